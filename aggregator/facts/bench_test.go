package facts_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

// BenchmarkObserve measures the store's throughput on the default world's
// first day (every producer), records decoded beforehand as the consumer
// does: each iteration observes the whole day into a fresh store.
func BenchmarkObserve(b *testing.B) {
	r := defaultRun(b, "plain", nil)
	b.ResetTimer()
	for b.Loop() {
		s := facts.New()
		for _, rec := range r.records {
			s.Observe(rec)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(r.records))/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(r.records)), "ns/event")
}

// BenchmarkDerive measures deriving the hero's facts after her Sunday.
func BenchmarkDerive(b *testing.B) {
	r := defaultRun(b, "plain", nil)
	s := r.store()
	ids := r.truth[world.HeroID]
	for b.Loop() {
		s.Derive(ids)
	}
}

// BenchmarkMemory measures the store's size per person: the saved state's
// bytes, and the heap the store holds, divided by the population. Run it
// with -benchtime=1x: one iteration builds one store.
//
//	go test ./aggregator/facts -run '^$' -bench Memory -benchtime=1x
func BenchmarkMemory(b *testing.B) {
	for _, size := range []struct{ persons, days int }{{2000, 1}, {300, 7}} {
		b.Run(fmt.Sprintf("%dpersons_%ddays", size.persons, size.days), func(b *testing.B) {
			cfg := world.DefaultConfig()
			cfg.Persons = size.persons
			r := generate(b, fmt.Sprintf("memory/%d/%d", size.persons, size.days), cfg, size.days, false)
			b.ResetTimer()
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s := r.store()
				runtime.GC()
				runtime.ReadMemStats(&after)
				var buf bytes.Buffer
				if err := s.Save(&buf); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(size.persons), "heap-B/person")
				b.ReportMetric(float64(buf.Len())/float64(size.persons), "saved-B/person")
				b.ReportMetric(float64(s.Len())/float64(size.persons), "ids/person")
				b.ReportMetric(float64(len(r.records))/float64(size.persons), "events/person")
				runtime.KeepAlive(s)
			}
		})
	}
}

// snapshotRun is the state BenchmarkSave and BenchmarkLoad serialise: a
// day of 3,000 people, every producer.
func snapshotRun(b *testing.B) *run {
	cfg := world.DefaultConfig()
	cfg.Persons = 3000
	return generate(b, "snapshot/3000/1", cfg, 1, false)
}

// BenchmarkSave measures Store.Save of a day of 3,000 people: the facts
// store's share of the pause a snapshot imposes on the aggregator's
// applier. part-B is the size of what it writes.
//
//	go test ./aggregator/facts -run '^$' -bench 'Save|Load' -benchmem
func BenchmarkSave(b *testing.B) {
	s := snapshotRun(b).store()
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		buf.Reset()
		if err := s.Save(&buf); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	b.ReportMetric(float64(buf.Len()), "part-B")
}

// BenchmarkLoad measures Store.Load of what BenchmarkSave writes.
func BenchmarkLoad(b *testing.B) {
	s := snapshotRun(b).store()
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ResetTimer()
	cpu := startCPU()
	for b.Loop() {
		if err := facts.New().Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
	b.ReportMetric(float64(len(data)), "part-B")
}

// cpuStart is the process's CPU time when a benchmark's loop starts.
type cpuStart time.Duration

func startCPU() cpuStart {
	t, _ := cpuTime()
	return cpuStart(t)
}

// report adds cpu-ns/op, the process's CPU time per iteration (the
// collector's included), when the platform tells it.
func (c cpuStart) report(b *testing.B) {
	if t, ok := cpuTime(); ok && b.N > 0 {
		b.ReportMetric(float64(t-time.Duration(c))/float64(b.N), "cpu-ns/op")
	}
}

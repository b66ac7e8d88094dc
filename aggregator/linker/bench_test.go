package linker_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

// BenchmarkObserve measures the linker's throughput on a week of the
// default world (events/s), and the memory the graph and the linker hold
// per identifier at the end (bytes/id, live heap after a GC).
func BenchmarkObserve(b *testing.B) {
	s := shared(b)
	records, _ := s.upTo(streamDays)
	b.ReportAllocs()
	b.ResetTimer()
	var ids int
	for range b.N {
		g := graph.New()
		l := linker.New(linker.DefaultConfig(), g)
		apply(g, l, records)
		ids = g.Stats().Identifiers
	}
	b.StopTimer()
	b.ReportMetric(float64(len(records)*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(ids), "ids")

	b.ReportMetric(heapPerID(records), "bytes/id")
}

// heapPerID returns the live heap a graph and a linker hold after
// applying records, per identifier: the heap with them, minus the heap
// once they are dropped.
func heapPerID(records []*obs.Record) float64 {
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	apply(g, l, records)
	ids := g.Stats().Identifiers
	var with, without runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&with)
	runtime.KeepAlive(g)
	runtime.KeepAlive(l)
	g, l = nil, nil
	runtime.GC()
	runtime.ReadMemStats(&without)
	return float64(int64(with.HeapAlloc)-int64(without.HeapAlloc)) / float64(ids)
}

// scalePersons are the populations BenchmarkObserveScale runs, e.g.
// -scale.persons 3000,10000.
var scalePersons = &personsFlag{300, 3000}

type personsFlag []int

func (p *personsFlag) String() string { return fmt.Sprint(*p) }

func (p *personsFlag) Set(s string) error {
	*p = nil
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a population", f)
		}
		*p = append(*p, n)
	}
	return nil
}

// scaleAtClose makes BenchmarkObserveScale read each closed bin at once
// (ReadAtClose), so that a CPU profile tells the scoring of a closed bin,
// which a partitioned scorer could share out, from the decisions, which
// stay in one order (docs/scaling.md, step 3).
var scaleAtClose = flag.Bool("scale.at-close", false, "BenchmarkObserveScale reads each closed bin at once, every anchor scored before any is decided")

func init() {
	flag.Var(scalePersons, "scale.persons", "populations of BenchmarkObserveScale, comma-separated")
}

// BenchmarkObserveScale runs one day of a larger population (decoded
// without schema validation, which is not the linker's cost), to check that
// the cost per event and the memory per identifier do not grow with the
// crowd.
func BenchmarkObserveScale(b *testing.B) {
	for _, persons := range *scalePersons {
		b.Run(fmt.Sprintf("persons=%d", persons), func(b *testing.B) {
			records := decodedDay(b, persons)
			b.ResetTimer()
			cpu0 := cpuTime(b)
			var ids int
			var st linker.Stats
			for range b.N {
				g := graph.New()
				l := linker.New(linker.DefaultConfig(), g)
				if *scaleAtClose {
					linker.ReadAtClose(l)
				}
				apply(g, l, records)
				ids, st = g.Stats().Identifiers, l.Stats()
			}
			b.StopTimer()
			b.ReportMetric(float64(len(records)*b.N)/b.Elapsed().Seconds(), "events/s")
			// The process's CPU time (the collector's included) says what
			// an event costs on a machine others share, where the wall
			// clock says how busy they were.
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(len(records)*b.N), "cpu-ns/event")
			b.ReportMetric(float64(ids)/float64(persons), "ids/person")
			b.ReportMetric(float64(st.Candidates)/float64(persons), "candidates/person")
			b.ReportMetric(heapPerID(records), "bytes/id")
		})
	}
}

// cpuTime returns the CPU time the process has used, in nanoseconds.
func cpuTime(tb testing.TB) int64 {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// decodedDay returns day 1 of a world of n persons as records, in time
// order.
func decodedDay(tb testing.TB, n int) []*obs.Record {
	tb.Helper()
	records, err := makeDay(n)
	if err != nil {
		tb.Fatal(err)
	}
	return records
}

// days holds the days sharedDay made, by population.
var days sync.Map // int → *dayOnce

type dayOnce struct {
	once    sync.Once
	records []*obs.Record
	err     error
}

// sharedDay is decodedDay made once per test binary and population:
// several tests replay the same day of 1,000 people, and the linker only
// reads records. Benchmarks make their own, so that one population's day
// does not weigh on the next one's memory.
func sharedDay(t *testing.T, n int) []*obs.Record {
	t.Helper()
	v, _ := days.LoadOrStore(n, &dayOnce{})
	d := v.(*dayOnce)
	d.once.Do(func() { d.records, d.err = makeDay(n) })
	if d.err != nil {
		t.Fatal(d.err)
	}
	return d.records
}

func makeDay(n int) ([]*obs.Record, error) {
	cfg := world.DefaultConfig()
	cfg.Persons = n
	w, err := world.New(cfg)
	if err != nil {
		return nil, err
	}
	ps, err := producers.Select(nil)
	if err != nil {
		return nil, err
	}
	day := w.Day(1)
	var evs []event.Event
	for _, p := range ps {
		e, err := producers.Collect(p, cfg.Seed, day)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e...)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	out := make([]*obs.Record, len(evs))
	for i := range evs {
		data, err := json.Marshal(evs[i].Data)
		if err != nil {
			return nil, err
		}
		evs[i].Data = json.RawMessage(data)
		if out[i], err = obs.Decode(&evs[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// savePersons is the population BenchmarkSave saves a day of.
var savePersons = flag.Int("save.persons", 2000, "population of BenchmarkSave")

// BenchmarkSave saves the graph and the linker after a day of
// -save.persons people: with -benchmem, B/op against written-B/op says how
// much a snapshot allocates beyond what it writes.
func BenchmarkSave(b *testing.B) {
	records := decodedDay(b, *savePersons)
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	apply(g, l, records)
	for _, part := range []struct {
		name string
		save func(io.Writer) error
	}{{"graph", g.Save}, {"linker", l.Save}} {
		b.Run(part.name, func(b *testing.B) {
			b.ReportAllocs()
			var w countingWriter
			cpu0 := cpuTime(b)
			for b.Loop() {
				w = 0
				if err := part.save(&w); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time, the collector's included: on a shared machine,
			// ns/op also says how busy the others were.
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(w), "written-B/op")
		})
	}
}

// countingWriter counts what is written to it, and keeps nothing.
type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// BenchmarkLoad loads back what BenchmarkSave saves, into a graph and a
// linker that already hold the same state: Load replaces it, as a restore
// does.
func BenchmarkLoad(b *testing.B) {
	records := decodedDay(b, *savePersons)
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	apply(g, l, records)
	var bg, bl bytes.Buffer
	if err := g.Save(&bg); err != nil {
		b.Fatal(err)
	}
	if err := l.Save(&bl); err != nil {
		b.Fatal(err)
	}
	for _, part := range []struct {
		name string
		data []byte
		load func(io.Reader) error
	}{
		{"graph", bg.Bytes(), func(r io.Reader) error { return graph.New().Load(r) }},
		{"linker", bl.Bytes(), l.Load},
	} {
		b.Run(part.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for b.Loop() {
				if err := part.load(bytes.NewReader(part.data)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(part.data)), "read-B/op")
		})
	}
}

//go:build unix

package aggregator_test

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
	"exhaust/aggregator/facts"
	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/aggregator/obs"
	"exhaust/aggregator/score"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

var stagesPersons = flag.Int("stages.persons", 2000, "population of BenchmarkStages's city (two days)")

// The stages of an event's way through the aggregator, in the order an
// event meets them. The service runs validate and record on its workers
// (--workers), touch and link on the one goroutine that applies in stream
// order, facts and traces on the Engine's side goroutine (side.go).
const (
	stageDecode   = iota // encoding/json decode of the envelope, for comparison: not in the total
	stageValidate        // event.Validator.Validate: the bytes checked and decoded in one pass
	stageRecord          // obs.Decode: the event's data into a record
	stageTouch           // the duplicate filter, then graph.Touch of every identifier
	stageLink            // linker.Observe: same event, joins, co-occurrence, contradictions
	stageFacts           // facts.Store.Observe
	stageTraces          // score.Traces.Observe
	nStages
)

var stageNames = [nStages]string{"decode", "validate", "record", "touch", "link", "facts", "traces"}

// stagesChunk is how many events each stage takes in turn: enough that
// reading the CPU clock between stages (a system call) costs nothing
// measurable, few enough that a chunk's records stay in cache.
const stagesChunk = 4096

// BenchmarkStages runs the aggregator's stages over a city's second day,
// one stage after another over each chunk of stagesChunk events in stream
// order, and reports the CPU time of each stage per event (decode-ns/ev,
// validate-ns/ev, record-ns/ev, touch-ns/ev, link-ns/ev, facts-ns/ev,
// traces-ns/ev), their total and each one's share of it (link-%…), the
// total of the goroutine each runs on in the service (workers-ns/ev,
// applier-ns/ev, side-ns/ev), the collector's share (gc-ns/ev), and the
// links the day added to the graph per event (links/ev). Then,
// to check the sum, the stages from record to traces one event at a time
// on one goroutine (interleaved-ns/ev), and Engine.Apply on the same
// validated events (engine-ns/ev: the same stages, facts and traces on
// its side goroutine; the process's CPU counts both goroutines). The
// first day is applied untimed, so the day measured meets the state a day
// leaves. One iteration is the whole of day 2, measured three times:
// run it with -benchtime 1x.
//
//	go test -c -o stages.test ./aggregator
//	./stages.test -test.run '^$' -test.bench Stages -test.benchtime 1x -stages.persons 10000
//
// CPU time is the process's, user and system, from getrusage: it counts
// only the time this process ran, so other work on a shared machine
// changes it much less than it changes wall time. runtime/metrics'
// /cpu/classes/user:cpu-seconds would not do: the runtime estimates it
// from wall time and GOMAXPROCS, so a core taken by another process
// counts as ours. The collector's CPU (gc-ns/ev) can only come from
// runtime/metrics, /cpu/classes/gc/total:cpu-seconds, an estimate of the
// same kind; it is part of the stages' times (the collector runs while
// they do, for the heap they all make), not an extra.
//
// The bench is built from the same packages as the Engine (graph, linker,
// facts, score), wired as Apply wires them: a record's identifiers are
// replaced by graph.Touch's result before the linker sees it. Only the
// duplicate filter is a stand-in (the Engine's is unexported): a set of
// the same 64-bit keys of event ids, kept for the whole run instead of a
// horizon (at 10,000 people a profile puts it about 0.2 µs an event above
// the Engine's filter). The bench fails unless the three runs end with the
// same graph (identifiers, links by kind, clusters, links undone) and let
// through the same events.
func BenchmarkStages(b *testing.B) {
	s, err := aggtest.Generate(1, *stagesPersons, 2, nil)
	if err != nil {
		b.Fatal(err)
	}
	v, err := producers.NewValidator(producers.All()...)
	if err != nil {
		b.Fatal(err)
	}
	day2 := dayTwo(s)
	measured := len(s.Events) - day2
	var cpu [nStages]time.Duration
	var gc, interleaved, engine time.Duration
	links := 0 // links the day added to the graph, net of those undone
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		p := newPipeline(v)
		for _, ev := range s.Events[:day2] {
			if err := p.apply(ev); err != nil {
				b.Fatal(err)
			}
		}
		links0 := p.graph.Stats().Links
		runtime.GC()
		b.StartTimer()
		gc0 := gcTime()
		for from := day2; from < len(s.Events); from += stagesChunk {
			if err := p.chunk(s.Events[from:min(from+stagesChunk, len(s.Events))], &cpu); err != nil {
				b.Fatal(err)
			}
		}
		gc += gcTime() - gc0
		b.StopTimer()
		stages := p.stats()
		links += stages.graph.Links - links0
		p = nil
		runtime.GC() // the stages' state gone before the next run's
		d, one, err := interleavedRun(v, s, day2)
		if err != nil {
			b.Fatal(err)
		}
		interleaved += d
		runtime.GC()
		d, e, err := engineRun(s, day2)
		if err != nil {
			b.Fatal(err)
		}
		engine += d
		if err := sameRun("the stages", stages, "the Engine", e); err != nil {
			b.Fatal(err)
		}
		if err := sameRun("the stages one event at a time", one, "the Engine", e); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	perEvent := func(d time.Duration) float64 { return float64(d) / float64(measured*b.N) }
	var total time.Duration
	for st := stageValidate; st < nStages; st++ {
		total += cpu[st]
	}
	for st, name := range stageNames {
		b.ReportMetric(perEvent(cpu[st]), name+"-ns/ev")
		if st != stageDecode {
			b.ReportMetric(100*float64(cpu[st])/float64(max(total, 1)), name+"-%")
		}
	}
	b.ReportMetric(perEvent(total), "total-ns/ev")
	b.ReportMetric(perEvent(cpu[stageValidate]+cpu[stageRecord]), "workers-ns/ev")
	b.ReportMetric(perEvent(cpu[stageTouch]+cpu[stageLink]), "applier-ns/ev")
	b.ReportMetric(perEvent(cpu[stageFacts]+cpu[stageTraces]), "side-ns/ev")
	b.ReportMetric(perEvent(gc), "gc-ns/ev")
	b.ReportMetric(perEvent(interleaved), "interleaved-ns/ev")
	b.ReportMetric(perEvent(engine), "engine-ns/ev")
	b.ReportMetric(float64(measured), "events")
	b.ReportMetric(float64(links)/float64(measured*b.N), "links/ev")
}

// dayTwo is the index of the stream's first event of its second day, in
// the city's time (aggtest.Generate starts on world.DefaultStart).
func dayTwo(s *aggtest.Stream) int {
	day2 := world.DefaultStart().AddDate(0, 0, 1)
	i := 0
	for i < len(s.Events) && s.Events[i].Time.Before(day2) {
		i++
	}
	return i
}

// pipeline holds the Engine's parts, each driven by the bench.
type pipeline struct {
	v      *event.Validator
	seen   map[uint64]struct{}
	graph  *graph.Graph
	linker *linker.Linker
	facts  *facts.Store
	traces *score.Traces
	// Counts, to compare with the Engine's.
	applied, duplicates uint64

	// A chunk's work in progress, stage to stage.
	raw  [][]byte
	evs  []*event.Event
	recs []*obs.Record
}

func newPipeline(v *event.Validator) *pipeline {
	g := graph.New()
	return &pipeline{
		v:      v,
		seen:   map[uint64]struct{}{},
		graph:  g,
		linker: linker.New(aggregator.DefaultConfig().Linker, g),
		facts:  facts.New(),
		traces: score.NewTraces(),
	}
}

// apply runs ev through the stages from record to traces, one after
// another, as Engine.Apply does (without its side goroutine). ev is
// validated already.
func (p *pipeline) apply(ev *event.Event) error {
	rec, err := obs.Decode(ev)
	if err != nil {
		return err
	}
	if !p.touch(ev, rec) {
		return nil
	}
	p.linker.Observe(rec)
	p.facts.Observe(rec)
	p.traces.Observe(rec)
	return nil
}

// touch is Apply's duplicate filter and graph.Touch of rec's identifiers;
// it reports whether ev was new.
func (p *pipeline) touch(ev *event.Event, rec *obs.Record) bool {
	key := eventKey(ev.ID)
	if _, dup := p.seen[key]; dup {
		p.duplicates++
		return false
	}
	p.seen[key] = struct{}{}
	for i, id := range rec.IDs {
		rec.IDs[i] = p.graph.Touch(id, rec.Time)
	}
	p.applied++
	return true
}

// eventKey is the key the Engine's duplicate filter keeps for an event id
// (a UUID's halves folded; the ids of generated events are UUIDs).
func eventKey(id string) uint64 {
	u, err := uuid.Parse(id)
	if err != nil {
		panic(fmt.Sprintf("event id %q is not a UUID", id))
	}
	return binary.BigEndian.Uint64(u[:8]) ^ binary.BigEndian.Uint64(u[8:])
}

// chunk runs every stage over evs (validated events, in stream order), one
// stage after another, adding each stage's CPU time to cpu.
func (p *pipeline) chunk(evs []*event.Event, cpu *[nStages]time.Duration) error {
	// Untimed: the bytes as published.
	p.raw = p.raw[:0]
	for _, ev := range evs {
		raw, err := ev.Encode()
		if err != nil {
			return err
		}
		p.raw = append(p.raw, raw)
	}
	p.evs, p.recs = p.evs[:0], p.recs[:0]

	t := cpuTime()
	var envelope struct {
		event.Event
		Data json.RawMessage `json:"data"`
	}
	for _, raw := range p.raw {
		envelope.Data = nil
		if err := json.Unmarshal(raw, &envelope); err != nil {
			return err
		}
	}
	t = lap(t, &cpu[stageDecode])

	for _, raw := range p.raw {
		ev, err := p.v.Validate(raw)
		if err != nil {
			return err
		}
		p.evs = append(p.evs, ev)
	}
	t = lap(t, &cpu[stageValidate])

	for _, ev := range p.evs {
		rec, err := obs.Decode(ev)
		if err != nil {
			return err
		}
		p.recs = append(p.recs, rec)
	}
	t = lap(t, &cpu[stageRecord])

	kept := p.recs[:0]
	for i, rec := range p.recs {
		if p.touch(p.evs[i], rec) {
			kept = append(kept, rec)
		}
	}
	p.recs = kept
	t = lap(t, &cpu[stageTouch])

	for _, rec := range p.recs {
		p.linker.Observe(rec)
	}
	t = lap(t, &cpu[stageLink])

	for _, rec := range p.recs {
		p.facts.Observe(rec)
	}
	t = lap(t, &cpu[stageFacts])

	for _, rec := range p.recs {
		p.traces.Observe(rec)
	}
	lap(t, &cpu[stageTraces])
	clear(p.evs)
	clear(p.recs)
	return nil
}

// lap adds the CPU time since t to d and returns the time now.
func lap(t time.Duration, d *time.Duration) time.Duration {
	now := cpuTime()
	*d += now - t
	return now
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		panic(fmt.Sprintf("getrusage: %v", err))
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// gcTime returns the runtime's estimate of the CPU time its collector has
// used.
func gcTime() time.Duration {
	m := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(m[0].Value.Float64() * 1e9)
}

// runStats is what BenchmarkStages compares between its stages and an
// Engine fed the same events.
type runStats struct {
	applied, duplicates uint64
	graph               graph.Stats
	undone              int64
}

func (p *pipeline) stats() runStats {
	return runStats{applied: p.applied, duplicates: p.duplicates, graph: p.graph.Stats(), undone: p.linker.Stats().Undone}
}

// interleavedRun runs the stages from record to traces one event at a
// time on one goroutine, as Apply runs them but without the side
// goroutine, and returns their CPU time over the events from day2 on and
// the state they made.
func interleavedRun(v *event.Validator, s *aggtest.Stream, day2 int) (time.Duration, runStats, error) {
	p := newPipeline(v)
	for _, ev := range s.Events[:day2] {
		if err := p.apply(ev); err != nil {
			return 0, runStats{}, err
		}
	}
	runtime.GC()
	t0 := cpuTime()
	for _, ev := range s.Events[day2:] {
		if err := p.apply(ev); err != nil {
			return 0, runStats{}, err
		}
	}
	return cpuTime() - t0, p.stats(), nil
}

// engineRun applies s's events to a new Engine and returns the CPU time
// the Engine took over the events from day2 on (record decode, duplicate
// filter, graph, linker, and facts and traces on its side goroutine), and
// its state.
func engineRun(s *aggtest.Stream, day2 int) (time.Duration, runStats, error) {
	e := aggregator.New(aggregator.DefaultConfig())
	var t0 time.Duration
	var first event.ID // an identifier of the stream's first event
	for i, ev := range s.Events {
		if i == day2 {
			runtime.GC()
			t0 = cpuTime()
		}
		if _, err := e.Apply(uint64(i+1), ev); err != nil {
			return 0, runStats{}, err
		}
		if first.Value == "" {
			if ids := event.IDsOf(ev); len(ids) > 0 {
				first = ids[0]
			}
		}
	}
	// A profile waits for the side goroutine to finish the last facts
	// and traces (and derives one cluster's facts, once).
	if _, ok := e.ProfileOf(first); !ok {
		return 0, runStats{}, fmt.Errorf("the Engine has no profile of %v", first)
	}
	d := cpuTime() - t0
	st := e.Stats()
	return d, runStats{
		applied:    st.Events,
		duplicates: st.Duplicates,
		graph:      graph.Stats{IdentifiersByKind: st.IdentifiersByKind, LinksByKind: st.LinksByKind, Clusters: st.Profiles},
		undone:     st.LinksUndone,
	}, nil
}

// sameRun returns an error unless two runs, named a and b, ended in the
// same state.
func sameRun(a string, x runStats, b string, y runStats) error {
	switch {
	case x.applied != y.applied || x.duplicates != y.duplicates:
		return fmt.Errorf("%s applied %d events and dropped %d duplicates, %s %d and %d", a, x.applied, x.duplicates, b, y.applied, y.duplicates)
	case x.graph.Clusters != y.graph.Clusters:
		return fmt.Errorf("%s made %d clusters, %s %d", a, x.graph.Clusters, b, y.graph.Clusters)
	case !maps.Equal(x.graph.IdentifiersByKind, y.graph.IdentifiersByKind):
		return fmt.Errorf("%s hold identifiers %v, %s %v", a, x.graph.IdentifiersByKind, b, y.graph.IdentifiersByKind)
	case !maps.Equal(x.graph.LinksByKind, y.graph.LinksByKind):
		return fmt.Errorf("%s hold links %v, %s %v", a, x.graph.LinksByKind, b, y.graph.LinksByKind)
	case x.undone != y.undone:
		return fmt.Errorf("%s undid %d links, %s %d", a, x.undone, b, y.undone)
	}
	return nil
}

package aggregator_test

import (
	"flag"
	"slices"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
)

var (
	stallPersons = flag.Int("stall.persons", 2000, "population of BenchmarkApplyStalls's city (two days)")
	stallRate    = flag.Float64("stall.rate", 10000, "events per second BenchmarkApplyStalls's queue receives (p99-wait-ms)")
)

// BenchmarkApplyStalls applies the events of a city's second day one per
// iteration, after the first day and a quarter of the second, and reports
// how long the longest Apply took (max-ms) and the share of the time spent
// in Applies over 5 ms (stalled-share): what holds up the events behind
// it in the service, whose p99 publish→fact latency is the target.
//
// Many Applies a little slow in a row hold events up as surely as one
// very slow: p99-wait-ms is the 99th percentile of the time an event
// would wait for the Applies before it, in a queue that receives the
// events at -stall.rate a second, evenly, and applies them one at a time
// with the times measured (W' = max(0, W + S - 1/rate), Lindley's
// recursion). It leaves out everything but the Engine: reading, the
// side goroutine's core, NATS.
//
// Run it with -benchtime 600000x, a minute at 10,000 events/s (fewer if
// the day has fewer events left):
//
//	go test ./aggregator -run '^$' -bench ApplyStalls -benchtime 600000x -stall.persons 10000
func BenchmarkApplyStalls(b *testing.B) {
	if !(*stallRate > 0) {
		b.Fatalf("-stall.rate %v: want events per second above 0", *stallRate)
	}
	s, err := aggtest.Generate(1, *stallPersons, 2, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := aggregator.New(aggregator.DefaultConfig())
	s.SetTruth(e)
	first := measuredFrom(s)
	for i := range first {
		if _, err := e.Apply(uint64(i+1), s.Events[i]); err != nil {
			b.Fatal(err)
		}
	}
	i := first
	var longest, stalled, total time.Duration
	gap := time.Duration(float64(time.Second) / *stallRate)
	var wait time.Duration
	waits := make([]time.Duration, 0, b.N)
	for b.Loop() {
		if i == len(s.Events) {
			b.Fatalf("the day has %d events left after a quarter: ask for fewer iterations", len(s.Events)-first)
		}
		t0 := time.Now()
		if _, err := e.Apply(uint64(i+1), s.Events[i]); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		total += d
		longest = max(longest, d)
		if d > 5*time.Millisecond {
			stalled += d
		}
		waits = append(waits, wait)
		wait = max(0, wait+d-gap)
		i++
	}
	slices.Sort(waits)
	b.ReportMetric(float64(longest)/1e6, "max-ms")
	b.ReportMetric(float64(stalled)/float64(max(total, 1)), "stalled-share")
	if len(waits) > 0 {
		b.ReportMetric(float64(waits[len(waits)*99/100])/1e6, "p99-wait-ms")
	}
}

// measuredFrom is the index of the first event BenchmarkApplyStalls
// measures: a quarter into the second day. Days are the city's, from
// midnight in Paris (aggtest.Generate starts on world.DefaultStart): a
// day cut at midnight UTC would start an hour into the first.
func measuredFrom(s *aggtest.Stream) int {
	i := dayTwo(s)
	return i + (len(s.Events)-i)/4
}

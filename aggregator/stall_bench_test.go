package aggregator_test

import (
	"flag"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
	"exhaust/world"
)

var stallPersons = flag.Int("stall.persons", 2000, "population of BenchmarkApplyStalls's city (two days)")

// BenchmarkApplyStalls applies the events of a city's second day one per
// iteration, after the first day and a quarter of the second, and reports
// how long the longest Apply took (max-ms) and the share of the time spent
// in Applies over 5 ms (stalled-share): what holds up the events behind
// it in the service, whose p99 publish→fact latency is the target. Run it
// with -benchtime 600000x, a minute at 10,000 events/s (fewer if the day
// has fewer events left):
//
//	go test ./aggregator -run '^$' -bench ApplyStalls -benchtime 600000x -stall.persons 10000
func BenchmarkApplyStalls(b *testing.B) {
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
		i++
	}
	b.ReportMetric(float64(longest)/1e6, "max-ms")
	b.ReportMetric(float64(stalled)/float64(max(total, 1)), "stalled-share")
}

// measuredFrom is the index of the first event BenchmarkApplyStalls
// measures: a quarter into the second day. Days are the city's, from
// midnight in Paris (aggtest.Generate starts on world.DefaultStart): a
// day cut at midnight UTC would start an hour into the first.
func measuredFrom(s *aggtest.Stream) int {
	day2 := world.DefaultStart().AddDate(0, 0, 1)
	i := 0
	for s.Events[i].Time.Before(day2) {
		i++
	}
	return i + (len(s.Events)-i)/4
}

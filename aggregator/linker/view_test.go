package linker_test

import (
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
)

// TestViewMatchesScan reads a day of a city with every observation's
// view checked against a search of the grid phone by phone: the phones
// near it, in order, and the count of those not far must be the same,
// for its span and for shorter ones.
func TestViewMatchesScan(t *testing.T) {
	if testing.Short() {
		t.Skip("a day of 1,500 people")
	}
	records := decodedDay(t, 1500)
	failures := 0
	stop := linker.CheckViews(func(format string, args ...any) {
		if failures++; failures <= 5 {
			t.Errorf(format, args...)
		}
	})
	defer stop()
	g := graph.New()
	l := linker.New(linker.DefaultConfig(), g)
	apply(g, l, records)
	l.Flush()
	if n := stop(); n < 1000 {
		t.Errorf("%d views checked, want a day's worth", n)
	}
	if failures > 0 {
		t.Errorf("%d views differ", failures)
	}
}

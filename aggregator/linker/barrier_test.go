package linker_test

import (
	"flag"
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/aggregator/obs"
	"exhaust/aggregator/score"
	"exhaust/event"
	"exhaust/world"
)

// The city TestReadAtCloseKeepsAccuracy runs on: by default the shared
// week of the default world (30 people); docs/scaling.md gives the command
// for the larger ones.
var (
	barrierPersons = flag.Int("barrier.persons", 0, "people in the city of TestReadAtCloseKeepsAccuracy (0: the shared week of the default world)")
	barrierDays    = flag.Int("barrier.days", streamDays, "days of the city of TestReadAtCloseKeepsAccuracy, with -barrier.persons")
	barrierSeed    = flag.Int64("barrier.seed", world.DefaultConfig().Seed, "seed of the city of TestReadAtCloseKeepsAccuracy, with -barrier.persons")
)

// maxBarrierLoss is how much pairwise F1 reading each closed bin at once,
// every anchor scored before any is decided, may cost against reading it
// as the records come. Measured, it costs nothing beyond 0.0002 at 30,
// 1,000 and 10,000 people (docs/scaling.md); the bound is there to catch a
// reading that decides wrongly or not at all.
const maxBarrierLoss = 0.005

// A partitioned scorer (docs/scaling.md, step 3) scores a closed bin's
// anchors against the graph as of one point of the stream and decides
// them afterwards, in one order. The linker decides each anchor as soon as
// it is scored, between records. This measures what the difference costs
// in accuracy, and checks that the reading at close does what it says: no
// decision between two observations of one bin.
func TestReadAtCloseKeepsAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated week of 30 people, read twice: run without -short")
	}
	records, truth := barrierCity(t)
	type run struct {
		acc score.Accuracy
		// bins in whose reading a decision came between two observations
		interrupted int
		decisions   int64
	}
	read := func(atClose bool) run {
		g := graph.New()
		l := linker.New(linker.DefaultConfig(), g)
		if atClose {
			linker.ReadAtClose(l)
		}
		var r run
		var last, counted any
		var at int64
		stop := linker.OnObserve(func(x *linker.Linker, bin any) {
			if x != l {
				return
			}
			if bin == last && x.Decisions() != at && bin != counted {
				r.interrupted++
				counted = bin
			}
			last, at = bin, x.Decisions()
		})
		apply(g, l, records)
		stop()
		r.acc, r.decisions = score.Evaluate(g, truth), l.Decisions()
		return r
	}
	asCome, atClose := read(false), read(true)
	t.Logf("%d records", len(records))
	for _, x := range []struct {
		name string
		r    run
	}{{"as the records come", asCome}, {"at close", atClose}} {
		t.Logf("%-19s pairwise %s, co-occurrence %s; %d decisions, %d bins with one while they were read",
			x.name, prf(x.r.acc.Pairwise), prf(x.r.acc.ByEvidence[graph.Cooccurrence].Pairwise), x.r.decisions, x.r.interrupted)
	}
	if asCome.interrupted == 0 {
		t.Errorf("read as the records come, no bin had a decision mid-reading: the check below tells nothing")
	}
	if atClose.interrupted != 0 {
		t.Errorf("read at close, %d bins had a decision between two of their observations, want none", atClose.interrupted)
	}
	if atClose.decisions == 0 {
		t.Errorf("read at close, no co-occurrence decision at all")
	}
	if atClose.acc.Pairwise.Precision < minPrecision {
		t.Errorf("read at close, pairwise precision %.4f, want ≥ %.2f", atClose.acc.Pairwise.Precision, minPrecision)
	}
	if loss := asCome.acc.Pairwise.F1 - atClose.acc.Pairwise.F1; loss > maxBarrierLoss {
		t.Errorf("read at close, pairwise F1 %.4f, %.4f below reading as the records come, want at most %.3f below",
			atClose.acc.Pairwise.F1, loss, maxBarrierLoss)
	}
}

// barrierCity returns the records and truth of the city the flags name.
func barrierCity(t *testing.T) ([]*obs.Record, map[event.ID]string) {
	t.Helper()
	if *barrierPersons == 0 {
		return shared(t).upTo(streamDays)
	}
	cfg := world.DefaultConfig()
	cfg.Persons, cfg.Seed = *barrierPersons, *barrierSeed
	s, err := generate(cfg, *barrierDays)
	if err != nil {
		t.Fatal(err)
	}
	return s.upTo(*barrierDays)
}

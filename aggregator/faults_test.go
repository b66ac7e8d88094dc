package aggregator_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/event"
)

// TestDuplicatesAndLatenessCostNothing applies a day as a faulty network
// delivers it: one event in twenty repeated a little later (same id), one in
// ten held back up to two minutes (delivered behind later events). The
// duplicates are counted and ignored, the late events counted as within the
// horizon, and the beast ends exactly as sure of who is who as on the clean
// stream: the same pairwise and B-cubed accuracy.
func TestDuplicatesAndLatenessCostNothing(t *testing.T) {
	s := genStream(t, 30, 1)
	clean := aggregator.New(aggregator.DefaultConfig())
	apply(t, clean, s.Events, 1)
	s.SetTruth(clean)

	// Delivery order: each event at its time, or later for the delayed
	// and the repeated; ties keep the stream's order.
	type delivery struct {
		at time.Time
		i  int
		ev *event.Event
	}
	rng := rand.New(rand.NewPCG(13, 1))
	var ds []delivery
	dups, delayed := 0, 0
	for i, ev := range s.Events {
		at := ev.Time
		if rng.IntN(10) == 0 {
			at = at.Add(time.Duration(1+rng.IntN(120)) * time.Second)
			delayed++
		}
		ds = append(ds, delivery{at, i, ev})
		if rng.IntN(20) == 0 {
			ds = append(ds, delivery{at.Add(time.Duration(1+rng.IntN(60)) * time.Second), i, ev})
			dups++
		}
	}
	slices.SortStableFunc(ds, func(a, b delivery) int { return a.at.Compare(b.at) })
	faulty := aggregator.New(aggregator.DefaultConfig())
	for seq, d := range ds {
		if _, err := faulty.Apply(uint64(seq+1), d.ev); err != nil {
			t.Fatal(err)
		}
	}
	s.SetTruth(faulty)

	st := faulty.Stats()
	if int(st.Duplicates) != dups || st.Events != uint64(len(s.Events)) {
		t.Errorf("%d duplicates counted, %d events applied; want %d and %d", st.Duplicates, st.Events, dups, len(s.Events))
	}
	if st.LateWithin == 0 || st.LateBeyond != 0 {
		t.Errorf("late: %d within the horizon, %d beyond; want some within (%d delayed), none beyond", st.LateWithin, st.LateBeyond, delayed)
	}
	if cs := clean.Stats(); cs.Duplicates != 0 || cs.LateWithin != 0 || cs.LateBeyond != 0 {
		t.Errorf("the clean stream counts %d duplicates and %d+%d late events", cs.Duplicates, cs.LateWithin, cs.LateBeyond)
	}
	want, got := clean.Accuracy(), faulty.Accuracy()
	if got.Pairwise != want.Pairwise || got.BCubed != want.BCubed {
		t.Errorf("accuracy under duplicates and lateness: pairwise %+v, B-cubed %+v; clean: %+v, %+v",
			got.Pairwise, got.BCubed, want.Pairwise, want.BCubed)
	}
}

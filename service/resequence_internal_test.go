package service

import (
	"slices"
	"testing"
	"time"

	"exhaust/natsbus"
)

// seqs returns the publisher numbers of hs.
func seqs(hs []held) []uint64 {
	var out []uint64
	for _, h := range hs {
		out = append(out, h.seq)
	}
	return out
}

// admitted admits message number n of pub, at stream sequence streamSeq,
// received at now, and returns the messages to apply, in order.
func admitted(r *resequencer, pub string, streamSeq, n uint64, now time.Time) []held {
	return admittedSettled(r, pub, streamSeq, n, 0, now)
}

// admittedSettled is admitted with a settled mark.
func admittedSettled(r *resequencer, pub string, streamSeq, n, settled uint64, now time.Time) []held {
	m := natsbus.Message{Seq: streamSeq}
	early, apply, freed := r.admit(pub, n, settled, &m, nil, nil, 0, func() time.Time { return now })
	if apply {
		early = append(early, held{m: m, seq: n})
	}
	return append(early, freed...)
}

// feeder feeds one publisher's messages to a resequencer, all at one
// time, and keeps the numbers it applies, in order.
type feeder struct {
	r       *resequencer
	applied []uint64
}

func newFeeder() *feeder { return &feeder{r: newResequencer(time.Minute)} }

// feed admits message number n of publisher "a", at stream sequence
// streamSeq, with the settled mark settled.
func (f *feeder) feed(streamSeq, n, settled uint64) {
	for _, h := range admittedSettled(f.r, "a", streamSeq, n, settled, time.Unix(0, 0)) {
		f.applied = append(f.applied, h.seq)
	}
}

// TestResequencerRestoresPublicationOrder feeds one publisher's messages
// in the order a leader failover stores them (3 and 4 behind 5 to 7) and
// another publisher's in order between them.
func TestResequencerRestoresPublicationOrder(t *testing.T) {
	r := newResequencer(time.Minute)
	now := time.Unix(0, 0)
	var applied []uint64
	feed := func(pub string, streamSeq, n uint64) {
		for _, h := range admitted(r, pub, streamSeq, n, now) {
			if pub == "a" {
				applied = append(applied, h.seq)
			}
		}
	}
	for i, n := range []uint64{1, 2, 5, 6, 7} {
		feed("a", uint64(i+1), n)
		feed("b", uint64(100+i), uint64(i+1)) // in order: never held
	}
	if r.holding() != 3 || !slices.Equal(applied, []uint64{1, 2}) {
		t.Fatalf("before the gap fills: holding %d, applied %v; want 3, [1 2]", r.holding(), applied)
	}
	feed("a", 6, 6) // the same message stored twice: the one held stands
	if r.holding() != 3 || len(applied) != 2 {
		t.Fatalf("after a repeat of 6: holding %d, applied %v; want 3, [1 2]", r.holding(), applied)
	}
	feed("a", 6, 3)
	if r.holding() != 3 {
		t.Fatalf("after 3: holding %d, want 3 (4 still missing)", r.holding())
	}
	feed("a", 7, 4)
	if want := []uint64{1, 2, 3, 4, 5, 6, 7}; !slices.Equal(applied, want) || r.holding() != 0 {
		t.Fatalf("applied %v, holding %d; want %v, 0", applied, r.holding(), want)
	}
	if r.moved != 3 || r.gaps != 0 {
		t.Errorf("moved %d, gaps %d; want 3, 0", r.moved, r.gaps)
	}
	if got := r.positions(); got["a"].Next != 8 || got["b"].Next != 6 {
		t.Errorf("positions %v, want a at 8, b at 6", got)
	}
}

// TestResequencerGivesUpOnAGap checks that messages behind a number that
// never comes are applied in order once they have waited the timeout, and
// that the missing one, if it comes after all, is applied at once.
func TestResequencerGivesUpOnAGap(t *testing.T) {
	r := newResequencer(time.Minute)
	t0 := time.Unix(0, 0)
	admitted(r, "a", 1, 1, t0)
	if got := admitted(r, "a", 2, 3, t0); got != nil {
		t.Fatalf("3 before 2 applied at once: %v", seqs(got))
	}
	admitted(r, "a", 3, 4, t0.Add(time.Second))
	if got := r.expire(t0.Add(59 * time.Second)); got != nil {
		t.Fatalf("released before the timeout: %v", seqs(got))
	}
	if got := r.expire(t0.Add(time.Minute)); !slices.Equal(seqs(got), []uint64{3, 4}) {
		t.Fatalf("after the timeout released %v, want [3 4]", seqs(got))
	}
	if r.gaps != 1 || r.holding() != 0 {
		t.Errorf("gaps %d, holding %d; want 1, 0", r.gaps, r.holding())
	}
	if got := admitted(r, "a", 4, 2, t0.Add(2*time.Minute)); !slices.Equal(seqs(got), []uint64{2}) {
		t.Errorf("the late message: %v, want [2] at once", seqs(got))
	}
	if got := admitted(r, "a", 5, 5, t0.Add(2*time.Minute)); !slices.Equal(seqs(got), []uint64{5}) {
		t.Errorf("the next one: %v, want [5] at once", seqs(got))
	}
}

// TestResequencerBoundsWhatItHolds checks that a publisher holding more
// than maxHeld messages is released rather than held without end.
func TestResequencerBoundsWhatItHolds(t *testing.T) {
	r := newResequencer(time.Minute)
	now := time.Unix(0, 0)
	admitted(r, "a", 1, 1, now)
	var released []held
	for n := uint64(3); n <= maxHeld+3; n++ {
		released = append(released, admitted(r, "a", n, n, now)...)
	}
	if len(released) != maxHeld+1 || r.holding() != 0 || r.gaps != 1 {
		t.Fatalf("released %d, holding %d, gaps %d; want %d, 0, 1", len(released), r.holding(), r.gaps, maxHeld+1)
	}
	if !slices.IsSortedFunc(released, func(a, b held) int { return int(a.seq) - int(b.seq) }) {
		t.Error("released out of order")
	}
}

// TestResequencerRestoresPositions checks that a restart from a snapshot
// holds what the run before it would have held.
func TestResequencerRestoresPositions(t *testing.T) {
	r := newResequencer(time.Minute)
	r.restore(map[string]PublisherPosition{"a": {Next: 5, LastSeq: 40}})
	if got := admitted(r, "a", 41, 6, time.Unix(0, 0)); got != nil {
		t.Fatalf("6 applied before 5 after a restore: %v", seqs(got))
	}
	if got := admitted(r, "a", 42, 5, time.Unix(0, 0)); !slices.Equal(seqs(got), []uint64{5, 6}) {
		t.Fatalf("got %v, want [5 6]", seqs(got))
	}
}

// TestResequencerInOrderAllocatesNothing: the usual message, in its turn
// with nothing held, costs no allocation on the applier's path.
func TestResequencerInOrderAllocatesNothing(t *testing.T) {
	r := newResequencer(time.Minute)
	m := natsbus.Message{Seq: 1}
	n := uint64(0)
	clock := func() time.Time { return time.Unix(0, 0) }
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		m.Seq++
		if early, apply, freed := r.admit("producer", n, n, &m, nil, nil, 0, clock); early != nil || !apply || freed != nil {
			t.Fatalf("message %d: apply %v, freed %d", n, apply, len(freed))
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per message in order, want 0", allocs)
	}
}

// TestResequencerSkipsWhatIsSettled: a number the stream dropped (a
// duplicate) is not waited for once a later message's settled mark says it
// was settled before that message was published.
func TestResequencerSkipsWhatIsSettled(t *testing.T) {
	f := newFeeder()
	f.feed(1, 1, 1)
	f.feed(2, 3, 1) // 2 missing, maybe in flight
	f.feed(3, 5, 2) // still maybe
	if f.r.holding() != 2 || !slices.Equal(f.applied, []uint64{1}) {
		t.Fatalf("holding %d, applied %v; want 2, [1]", f.r.holding(), f.applied)
	}
	f.feed(4, 6, 3) // 2 settled before 6 was published, and not seen: not coming
	if want := []uint64{1, 3}; f.r.holding() != 2 || !slices.Equal(f.applied, want) {
		t.Fatalf("holding %d, applied %v; want 2 (5 and 6, waiting for 4), %v", f.r.holding(), f.applied, want)
	}
	f.feed(5, 7, 5) // 4 settled too: 5, 6, then 7
	if want := []uint64{1, 3, 5, 6, 7}; f.r.holding() != 0 || !slices.Equal(f.applied, want) {
		t.Fatalf("holding %d, applied %v; want 0, %v", f.r.holding(), f.applied, want)
	}
	if f.r.gaps != 0 {
		t.Errorf("%d gaps given up on, want none: the settled mark says what is not coming", f.r.gaps)
	}
}

// TestResequencerNewPublisherStartsAtItsSettledMark: a failover in a
// publisher's first window stores its first messages behind later ones.
// The first message heard starts the publisher's order at its settled
// mark, so the earlier ones still in flight are waited for, while those
// below the mark, in the stream before it, are not.
func TestResequencerNewPublisherStartsAtItsSettledMark(t *testing.T) {
	f := newFeeder()
	f.feed(1, 3, 1) // 1 and 2 were sent and not yet stored
	f.feed(2, 4, 1)
	if len(f.applied) != 0 || f.r.holding() != 2 {
		t.Fatalf("before 1 and 2: applied %v, holding %d; want none, 2", f.applied, f.r.holding())
	}
	f.feed(3, 1, 1)
	f.feed(4, 2, 1)
	if want := []uint64{1, 2, 3, 4}; !slices.Equal(f.applied, want) {
		t.Fatalf("applied %v, want %v", f.applied, want)
	}

	// An aggregator that starts after a publisher's first messages (a
	// stream trimmed by its limits): what is below the mark is not waited
	// for, what is above it is.
	f = newFeeder()
	f.feed(10, 1000, 998)
	f.feed(11, 998, 998)
	f.feed(12, 999, 998)
	if want := []uint64{998, 999, 1000}; !slices.Equal(f.applied, want) {
		t.Fatalf("started mid-run: applied %v, want %v", f.applied, want)
	}
	f = newFeeder()
	f.feed(10, 1000, 1000)
	if want := []uint64{1000}; !slices.Equal(f.applied, want) {
		t.Fatalf("started mid-run, all before settled: applied %v, want %v", f.applied, want)
	}
}

package promexport

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
)

// TestSlowViewIsSpacedAndRefreshed feeds half a stream, scrapes, feeds the
// rest and scrapes again. The clock is the test's, and every reading
// advances it by a second, so a slow read "takes" a second: the next is
// due RefreshSpacing seconds later, and then runs in the background.
// Until then a scrape serves the cheap figures live and the slow ones
// (accuracy, per-person series) from the first read.
func TestSlowViewIsSpacedAndRefreshed(t *testing.T) {
	s, err := aggtest.Shared(1, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	e := aggregator.New(aggregator.DefaultConfig())
	s.SetTruth(e)
	half := len(s.Events) / 2
	for i, ev := range s.Events[:half] {
		if _, err := e.Apply(uint64(i+1), ev); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tick := func(d time.Duration) time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(d)
		return clock
	}
	r := newRefresher(e, 3, nil)
	r.now = func() time.Time { return tick(time.Second) }

	first := r.view()
	before := e.Accuracy()
	if !reflect.DeepEqual(first.acc, before) || len(first.top) != 3 {
		t.Fatalf("first scrape: accuracy %+v (want %+v), %d profiles (want 3)", first.acc, before, len(first.top))
	}
	for i, ev := range s.Events[half:] {
		if _, err := e.Apply(uint64(half+i+1), ev); err != nil {
			t.Fatal(err)
		}
	}
	after := e.Accuracy()
	if reflect.DeepEqual(before, after) {
		t.Fatal("fixture too thin: the second half changes no score")
	}

	// Not due yet: slow figures from the first read, cheap ones live.
	v := r.view()
	if v.stats.Events != e.Stats().Events || v.seq != uint64(len(s.Events)) {
		t.Errorf("cheap figures not live: %d events at %d, want %d at %d", v.stats.Events, v.seq, e.Stats().Events, len(s.Events))
	}
	if !reflect.DeepEqual(v.acc, before) {
		t.Errorf("slow figures read again right after a read that took 1s, want them kept %v", RefreshSpacing*time.Second)
	}

	// While a read runs, the cheap figures are the newest seen, not the
	// last read's: a counter must not go back.
	r.mu.Lock()
	r.running = true
	r.mu.Unlock()
	if w := r.view(); w.stats.Events != v.stats.Events || w.seq != v.seq {
		t.Errorf("during a read: %d events at %d, want the newest seen, %d at %d", w.stats.Events, w.seq, v.stats.Events, v.seq)
	}
	r.mu.Lock()
	r.running = false
	r.mu.Unlock()

	// Due: this scrape starts the read and serves the old view; the next
	// one, once the read is done, the new.
	tick(RefreshSpacing * time.Second)
	if v := r.view(); !reflect.DeepEqual(v.acc, before) {
		t.Errorf("a scrape waited for a read that was slow last time")
	}
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	<-done
	v = r.view()
	if !reflect.DeepEqual(v.acc, after) {
		t.Errorf("after the background read: accuracy %+v, want %+v", v.acc, after)
	}
	want := e.TopProfiles(3)
	for i := range want {
		if v.top[i].ID != want[i].ID || v.top[i].LastSeen != want[i].LastSeen {
			t.Errorf("top profile %d: %s last seen %s, want %s last seen %s", i, v.top[i].ID, v.top[i].LastSeen, want[i].ID, want[i].LastSeen)
		}
	}
}

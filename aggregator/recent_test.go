package aggregator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestIDSet(t *testing.T) {
	var s idSet
	if s.has(0) || s.has(42) {
		t.Fatal("the empty set holds something")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := map[uint64]bool{0: true} // stored as 1 (slotKey), which no other key below is
	s.add(0)
	for range 10000 {
		k := rng.Uint64()
		if rng.IntN(4) == 0 {
			k &= 0xff00 // keys alike in their low bits, and repeats
		}
		in[k] = true
		s.add(k)
	}
	if s.n != len(in) {
		t.Errorf("set holds %d keys, want %d", s.n, len(in))
	}
	for k := range in {
		if !s.has(k) {
			t.Fatalf("key %#x added but not found", k)
		}
	}
	for range 10000 {
		if k := rng.Uint64(); !in[k] && s.has(k) {
			t.Fatalf("key %#x found but never added", k)
		}
	}
	if got := len(s.keys()); got != len(in) {
		t.Errorf("keys lists %d, want %d", got, len(in))
	}
}

func TestRecentIDs(t *testing.T) {
	r := newRecentIDs(2 * time.Hour)
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	id := func(i int) string { return fmt.Sprintf("3f2b8c1e-0d4a-4c5e-9a7b-%012x", i) }
	if !r.add(id(1), t0) || r.add(id(1), t0.Add(time.Hour)) {
		t.Fatal("an id seen twice within the horizon is not a duplicate")
	}
	if !r.add("not-a-uuid", t0) || r.add("not-a-uuid", t0) {
		t.Fatal("an id that is not a UUID is not remembered")
	}
	for i := 2; i < 1000; i++ {
		if !r.add(id(i), t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("id %d is new but was taken for a duplicate", i)
		}
	}
	var b bytes.Buffer
	if err := r.save(&b); err != nil {
		t.Fatal(err)
	}
	loaded := newRecentIDs(2 * time.Hour)
	if err := loaded.load(&b); err != nil {
		t.Fatal(err)
	}
	for _, rr := range []*recentIDs{r, loaded} {
		if rr.add(id(500), t0) {
			t.Error("an id within the horizon is new again")
		}
		// Four hours later, the first hour is forgotten.
		rr.add(id(5000), t0.Add(4*time.Hour))
		if !rr.add(id(1), t0.Add(4*time.Hour)) {
			t.Error("an id beyond the horizon is still remembered")
		}
	}
}

package aggregator

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"exhaust/event"
)

// TestTruthTable names identifiers for persons, some named again for
// others, across many merges, and checks every owner against a map.
func TestTruthTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tt := newTruthTable()
	want := map[event.ID]string{}
	kinds := []event.IDKind{event.IMSI, event.Card, event.MAC}
	for p := range 3000 {
		tr := Truth{Person: fmt.Sprintf("person-%d", rng.IntN(2500))}
		for range rng.IntN(20) {
			// A fifth of the identifiers were named before (maybe for
			// another person): they change owner.
			n := p*20 + rng.IntN(20)
			if rng.IntN(5) == 0 && p > 0 {
				n = rng.IntN(p * 20)
			}
			id := event.ID{Kind: kinds[n%len(kinds)], Value: fmt.Sprint(n)}
			tr.IDs = append(tr.IDs, id)
			want[id] = tr.Person
		}
		tt.set(tr)
	}
	if len(tt.keys) == 0 {
		t.Fatal("nothing was merged: the test does not cover merging")
	}
	for id, person := range want {
		p, ok := tt.ownerOf(id)
		if !ok || tt.person(p) != person {
			t.Fatalf("owner of %v: %v (known %v), want %s", id, tt.person(p), ok, person)
		}
	}
	if _, ok := tt.ownerOf(event.ID{Kind: event.IMSI, Value: "nobody's"}); ok {
		t.Error("an identifier never named has an owner")
	}
	tt.merge()
	if len(tt.recent) != 0 || len(tt.keys) != len(want) {
		t.Errorf("after a merge: %d recent, %d merged, want 0 and %d", len(tt.recent), len(tt.keys), len(want))
	}
	for id, person := range want {
		if p, ok := tt.ownerOf(id); !ok || tt.person(p) != person {
			t.Fatalf("after a merge, owner of %v is not %s", id, person)
		}
	}
}

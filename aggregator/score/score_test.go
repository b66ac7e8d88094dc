package score_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/score"
	"exhaust/event"
)

func id(v string) event.ID { return event.ID{Kind: event.Card, Value: v} }

// truth: ann owns a1..a4, bob b1..b2, cyd c1.
var truth = map[event.ID]string{
	id("a1"): "ann", id("a2"): "ann", id("a3"): "ann", id("a4"): "ann",
	id("b1"): "bob", id("b2"): "bob",
	id("c1"): "cyd",
}

func ids(vs ...string) []event.ID {
	out := make([]event.ID, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestPairwiseAndBCubed(t *testing.T) {
	tests := []struct {
		name         string
		clusters     [][]event.ID
		pair, bcubed score.PRF
	}{
		{
			name:     "perfect",
			clusters: [][]event.ID{ids("a1", "a2", "a3", "a4"), ids("b1", "b2"), ids("c1")},
			pair:     score.PRF{Precision: 1, Recall: 1, F1: 1},
			bcubed:   score.PRF{Precision: 1, Recall: 1, F1: 1},
		},
		{
			name:     "all apart: nothing claimed, nothing found",
			clusters: [][]event.ID{ids("a1"), ids("a2"), ids("a3"), ids("a4"), ids("b1"), ids("b2"), ids("c1")},
			pair:     score.PRF{Precision: 1, Recall: 0, F1: 0},
			// Each identifier's cluster is itself: recall 1/|person|.
			bcubed: score.PRF{Precision: 1, Recall: (4*0.25 + 2*0.5 + 1) / 7, F1: 2 * (3.0 / 7) / (1 + 3.0/7)},
		},
		{
			name: "ann split in two, bob merged with cyd",
			// pairs: predicted 1+1+3 = 5, true positives 1+1+1 = 3, actual 6+1 = 7.
			clusters: [][]event.ID{ids("a1", "a2"), ids("a3", "a4"), ids("b1", "b2", "c1")},
			pair:     score.PRF{Precision: 3.0 / 5, Recall: 3.0 / 7, F1: 2 * (3.0 / 5) * (3.0 / 7) / (3.0/5 + 3.0/7)},
			// precision: ann 4×(2/2), bob 2×(2/3), cyd 1×(1/3) → (4+4/3+1/3)/7;
			// recall: ann 4×(2/4), bob 2×(2/2), cyd 1 → (2+2+1)/7.
			bcubed: func() score.PRF {
				p, r := (4+4.0/3+1.0/3)/7, 5.0/7
				return score.PRF{Precision: p, Recall: r, F1: 2 * p * r / (p + r)}
			}(),
		},
		{
			name: "identifiers the truth does not know are ignored",
			clusters: [][]event.ID{
				ids("a1", "a2", "a3", "a4", "zz1"), ids("b1", "b2", "zz2"), ids("c1"), ids("zz3", "zz4"),
			},
			pair:   score.PRF{Precision: 1, Recall: 1, F1: 1},
			bcubed: score.PRF{Precision: 1, Recall: 1, F1: 1},
		},
		{
			name:     "nothing known: zero",
			clusters: [][]event.ID{ids("zz1", "zz2")},
		},
		{
			name:     "only part of the truth seen: pairs among the seen",
			clusters: [][]event.ID{ids("a1", "a2")},
			pair:     score.PRF{Precision: 1, Recall: 1, F1: 1},
			bcubed:   score.PRF{Precision: 1, Recall: 1, F1: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := score.Pairwise(tt.clusters, truth)
			if !near(got.Precision, tt.pair.Precision) || !near(got.Recall, tt.pair.Recall) || !near(got.F1, tt.pair.F1) {
				t.Errorf("Pairwise = %+v, want %+v", got, tt.pair)
			}
			got = score.BCubed(tt.clusters, truth)
			if !near(got.Precision, tt.bcubed.Precision) || !near(got.Recall, tt.bcubed.Recall) || !near(got.F1, tt.bcubed.F1) {
				t.Errorf("BCubed = %+v, want %+v", got, tt.bcubed)
			}
			// The same truth as person numbers, read through a function.
			number := map[string]int{"ann": 1, "bob": 2, "cyd": 3}
			owner := func(id event.ID) (int, bool) {
				p, ok := truth[id]
				return number[p], ok
			}
			got = score.PairwiseOf(tt.clusters, owner)
			if !near(got.Precision, tt.pair.Precision) || !near(got.Recall, tt.pair.Recall) || !near(got.F1, tt.pair.F1) {
				t.Errorf("PairwiseOf = %+v, want %+v", got, tt.pair)
			}
			got = score.BCubedOf(tt.clusters, owner)
			if !near(got.Precision, tt.bcubed.Precision) || !near(got.Recall, tt.bcubed.Recall) || !near(got.F1, tt.bcubed.F1) {
				t.Errorf("BCubedOf = %+v, want %+v", got, tt.bcubed)
			}
		})
	}
}

func TestInvert(t *testing.T) {
	got := score.Invert(map[string][]event.ID{"bob": ids("b1", "x"), "ann": ids("a1", "x")})
	want := map[event.ID]string{id("a1"): "ann", id("b1"): "bob", id("x"): "ann"}
	if len(got) != len(want) {
		t.Fatalf("Invert = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Invert[%v] = %q, want %q", k, got[k], v)
		}
	}
}

func TestEvaluate(t *testing.T) {
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	g := graph.New()
	g.Touch(id("c1"), at)
	g.Link(graph.Link{A: id("a1"), B: id("a2"), Kind: graph.SameEvent, FirstSeen: at})
	g.Link(graph.Link{A: id("a2"), B: id("a3"), Kind: graph.Joined, FirstSeen: at})
	g.Link(graph.Link{A: id("a3"), B: id("a4"), Kind: graph.Cooccurrence, FirstSeen: at})
	g.Link(graph.Link{A: id("b1"), B: id("b2"), Kind: graph.SameEvent, FirstSeen: at})
	g.Link(graph.Link{A: id("b2"), B: id("c1"), Kind: graph.Cooccurrence, FirstSeen: at}) // wrong
	a := score.Evaluate(g, truth)
	// Overall: clusters {a1..a4} {b1,b2,c1}: predicted 6+3, true positives 6+1, actual 7.
	if want := (score.PRF{Precision: 7.0 / 9, Recall: 1}); !near(a.Pairwise.Precision, want.Precision) || !near(a.Pairwise.Recall, want.Recall) {
		t.Errorf("overall pairwise = %+v, want %+v", a.Pairwise, want)
	}
	// Same event alone: {a1,a2} {b1,b2}: precision 1, recall 2/7.
	if se := a.ByEvidence[graph.SameEvent].Pairwise; !near(se.Precision, 1) || !near(se.Recall, 2.0/7) {
		t.Errorf("same_event pairwise = %+v", se)
	}
	// Co-occurrence alone: {a3,a4} {b2,c1}: precision 1/2, recall 1/7.
	if co := a.ByEvidence[graph.Cooccurrence].Pairwise; !near(co.Precision, 0.5) || !near(co.Recall, 1.0/7) {
		t.Errorf("cooccurrence pairwise = %+v", co)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pairwise", "bcubed", "by_evidence"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON of Accuracy has no %q: %s", k, b)
		}
	}
}

package api

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/event"
)

// TestProfileSplits checks that a profile's splits reach the API with the
// link as the API writes links, and the documented field names.
func TestProfileSplits(t *testing.T) {
	card := event.ID{Kind: event.Card, Value: "tok_a"}
	imsi := event.ID{Kind: event.IMSI, Value: "208010000000001"}
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	p := &aggregator.Profile{Splits: []linker.Split{{
		Time: at, A: card, B: imsi, EventA: "e1", EventB: "e2", Why: "card and imsi seen 4.1 km apart 30s apart, 2 times: not one person",
		Link: graph.Link{A: card, B: imsi, Kind: graph.Cooccurrence, Score: 12.5, Count: 3, Why: "card seen near imsi 3 times of 4"},
	}}}
	out := toProfile(p)
	if len(out.Splits) != 1 {
		t.Fatalf("%d splits, want 1", len(out.Splits))
	}
	sp := out.Splits[0]
	if sp.Link.Evidence != "cooccurrence" || sp.Link.A != card || sp.A != card || sp.B != imsi || !sp.Time.Equal(at) || sp.Why == "" {
		t.Errorf("split %+v", sp)
	}
	b, err := json.Marshal(sp)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(m), []string{"a", "b", "event_a", "event_b", "link", "time", "why"}; !slices.Equal(got, want) {
		t.Errorf("split fields %v, want %v", got, want)
	}
	if empty := toProfile(&aggregator.Profile{}); empty.Splits == nil {
		t.Error("splits is null, want an empty list")
	}
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

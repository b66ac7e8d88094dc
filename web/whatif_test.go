package web

import (
	"testing"

	"exhaust/aggregator/facts"
)

func changeOf(cs []Change, fact string) *Change {
	for i := range cs {
		if cs[i].Fact == fact {
			return &cs[i]
		}
	}
	return nil
}

// Paying cash, leaving the loyalty cards at home and keeping location
// services off lowers the hero's exposure and removes what rested on her
// card and loyalty baskets; her home survives, placed by the cell towers.
func TestWhatIfCashNoLoyaltyLocationOff(t *testing.T) {
	r := newRun(t, 1, true, 1)
	wi := r.page.whatif
	st := wi.defaults
	st.Cash, st.NoLoyalty, st.LocationOff = true, true, true
	cmp, err := wi.compare(st)
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Before.Settings != wi.defaults || cmp.After.Settings != st {
		t.Fatalf("compared %+v with %+v", cmp.Before.Settings, cmp.After.Settings)
	}
	if !(cmp.After.Score < cmp.Before.Score) {
		t.Fatalf("exposure %v → %v, want lower", cmp.Before.Score, cmp.After.Score)
	}
	if cmp.After.Events["card.payment"] != 0 || cmp.After.Events["loyalty.basket"] != 0 || cmp.Before.Events["card.payment"] == 0 {
		t.Fatalf("card payments %d → %d, baskets %d → %d", cmp.Before.Events["card.payment"], cmp.After.Events["card.payment"],
			cmp.Before.Events["loyalty.basket"], cmp.After.Events["loyalty.basket"])
	}
	tests := []struct {
		fact   string
		status []string
		by     string
	}{
		{facts.FactHome, []string{"survived", "weakened"}, ""},
		{facts.FactSpending, []string{"gone"}, "cash"},
		{facts.FactShopping, []string{"gone"}, "no_loyalty"},
		{facts.FactCafe, []string{"gone"}, ""},
		{facts.FactSleep, []string{"survived"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.fact, func(t *testing.T) {
			c := changeOf(cmp.Changes, tc.fact)
			if c == nil {
				t.Fatalf("no change listed for %s", tc.fact)
			}
			ok := false
			for _, s := range tc.status {
				ok = ok || c.Status == s
			}
			if !ok {
				t.Fatalf("%s: status %s, want one of %v", tc.fact, c.Status, tc.status)
			}
			if tc.by != "" {
				found := false
				for _, b := range c.By {
					found = found || b == tc.by
				}
				if !found {
					t.Errorf("%s gone, blamed on %v, want %s among them", tc.fact, c.By, tc.by)
				}
			}
		})
	}
	home := changeOf(cmp.Changes, facts.FactHome)
	kept := false
	for _, k := range home.Kept {
		kept = kept || k == "phone.cell"
	}
	if !kept {
		t.Errorf("home survived on %v, want the cell towers (phone.cell) among them", home.Kept)
	}
	// The same settings again come from the cache, identical.
	again, err := wi.compare(st)
	if err != nil {
		t.Fatal(err)
	}
	if again.After.Score != cmp.After.Score || len(again.Changes) != len(cmp.Changes) {
		t.Error("a second replay of the same settings differs")
	}
}

// With the default settings, the replay is the run's own day: the same
// facts as the live session at the end of day 1.
func TestWhatIfDefaultsMatchTheLiveDay(t *testing.T) {
	r := newRun(t, 1, true, 1)
	r.play(t)
	sn := r.page.session.read("hero", 0, 0)
	live := r.page.session.beast(sn.engine, "hero")
	cmp, err := r.page.whatif.compare(r.page.whatif.defaults)
	if err != nil {
		t.Fatal(err)
	}
	if live.Score != cmp.Before.Score || live.Score != cmp.After.Score {
		t.Fatalf("live exposure %v, replayed %v and %v: want the same", live.Score, cmp.Before.Score, cmp.After.Score)
	}
	for _, c := range cmp.Changes {
		if c.Status != "survived" {
			t.Errorf("%s: %s with unchanged settings", c.Fact, c.Status)
		}
	}
}

func TestExposure(t *testing.T) {
	tests := []struct {
		name   string
		facts  []facts.Fact
		linked int
		want   float64
	}{
		{"nothing", nil, 0, 0},
		{"one identifier adds nothing", nil, 1, 0},
		{"home at half confidence", []facts.Fact{{Name: facts.FactHome, Confidence: 0.5}}, 1, 6},
		{"name and three identifiers", []facts.Fact{{Name: facts.FactName, Confidence: 1}}, 3, 12},
		{"unknown fact", []facts.Fact{{Name: "horoscope", Confidence: 1}}, 0, defaultWeight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := exposure(tc.facts, tc.linked); got != tc.want {
				t.Errorf("exposure = %v, want %v", got, tc.want)
			}
		})
	}
	sum := 0.0
	for _, name := range facts.FactNames {
		w, ok := exposureWeights[name]
		if !ok {
			t.Errorf("fact %s has no exposure weight", name)
		}
		sum += w
	}
	if sum != 100 {
		t.Errorf("weights add up to %v, want 100", sum)
	}
}

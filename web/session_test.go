package web

import (
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

func factNames(fs []facts.Fact) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		out[f.Name] = true
	}
	return out
}

// Over a fast day, the taps reach the session's beast: the hero's profile
// gets her home (cell triangulation), sleep, trips and name, and her
// timeline holds her events grouped by the seed's moments.
func TestSessionLearnsTheHerosDay(t *testing.T) {
	r := newRun(t, 1, true, 1)
	r.play(t)
	sn := r.page.session.read(world.HeroID, 0, 0)
	v := r.page.session.beast(sn.engine, world.HeroID)
	if v.Profile == nil {
		t.Fatal("no profile matches the hero after her day")
	}
	got := factNames(v.Profile.Facts)
	for _, want := range []string{facts.FactHome, facts.FactSleep, facts.FactTrips, facts.FactName, facts.FactInterests} {
		if !got[want] {
			t.Errorf("the hero's profile lacks %s; it has %v", want, got)
		}
	}
	if v.Score <= 0 || v.Linked < 5 {
		t.Errorf("score %v with %d linked identifiers, want a positive score and ≥ 5 identifiers", v.Score, v.Linked)
	}
	if len(sn.groups) != len(world.MomentNames) {
		t.Fatalf("hero's day split in %d groups, want the %d seed moments", len(sn.groups), len(world.MomentNames))
	}
	if len(sn.entries) < 50 {
		t.Fatalf("hero's timeline has %d events, want dozens", len(sn.entries))
	}
	seen := map[string]bool{}
	for i, e := range sn.entries {
		g := sn.groups[e.Group]
		if e.T.Before(g.Start) || !e.T.Before(g.End) {
			t.Errorf("event %d at %v filed under %s (%v–%v)", i, e.T, g.Name, g.Start, g.End)
		}
		seen[g.Name+"/"+e.Type] = true
	}
	for _, want := range []string{"night/phone.cell", "wake-up/phone.app", "fnac/loyalty.basket", "starbucks/wifi.probe"} {
		if !seen[want] {
			t.Errorf("no %s event in the hero's timeline", want)
		}
	}
	// Another persona's day is grouped by the segments of their plan.
	other := r.page.session.read("p003", 0, 0)
	if len(other.groups) == 0 || other.groups[0].Kind != "segment" || len(other.entries) == 0 {
		t.Errorf("p003: %d groups (first %+v), %d events", len(other.groups), other.groups, len(other.entries))
	}
}

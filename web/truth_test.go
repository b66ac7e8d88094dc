package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"exhaust/aggregator"
	"exhaust/world"
)

// beastSide is everything the beast's side of the page answers after a
// run: what the aggregator lists and holds, the population view's own
// columns, and the promotions the shops sent. Nothing in it may depend on
// the narrator's truth.
type beastSide struct {
	Listing   []aggregator.Summary  `json:"listing"`   // truth label blanked
	Profiles  []*aggregator.Profile `json:"profiles"`  // facts, identifiers, links; truth label blanked
	Rows      []popRow              `json:"rows"`      // id, name, identifiers, facts only
	Promos    []Promo               `json:"promos"`    // the page's, narrator label blanked
	Published []json.RawMessage     `json:"published"` // as sent on promo.exhaust.<chain>
}

// playSide plays the default city for days (its 30 people bring the
// shops several customers; the tests' smaller city, mostly the hero), with
// the session's truth or blind, deciding each day's promotions once the
// day is over. It returns the beast's side of the page, and how many
// profiles the engine and promotions the page labelled with the truth.
func playSide(t *testing.T, days int, blind bool) (beastSide, int, int) {
	t.Helper()
	r := newRunOf(t, world.DefaultPersons, days, true, 1)
	_ = r.page.Close() // no worker: promotions are decided at each day's end, the same in both runs
	s := r.page.session
	s.mu.Lock()
	s.blind = blind
	s.mu.Unlock()
	r.beforeDay = func(*world.Day) { s.promote(r.promos.publish) }
	r.play(t)
	s.promote(r.promos.publish)

	engine := s.read(world.HeroID, 0, 0).engine
	var out beastSide
	truths, labels := 0, 0
	for _, sum := range engine.Profiles() {
		if sum.Truth != "" {
			truths++
		}
		sum.Truth = ""
		out.Listing = append(out.Listing, sum)
		p, ok := engine.Profile(sum.ID)
		if !ok {
			t.Fatalf("profile %s listed but not found", sum.ID)
		}
		p.Truth = ""
		out.Profiles = append(out.Profiles, p)
	}
	for _, row := range s.population(engine, 0, 0).Rows {
		out.Rows = append(out.Rows, popRow{ID: row.ID, Name: row.Name, Identifiers: row.Identifiers, Facts: row.Facts})
	}
	for _, p := range s.read(world.HeroID, 0, 0).promos {
		if p.Person != "" {
			labels++
		}
		p.Person = ""
		out.Promos = append(out.Promos, p)
	}
	r.promos.mu.Lock()
	for _, b := range r.promos.payloads {
		out.Published = append(out.Published, b)
	}
	r.promos.mu.Unlock()
	return out, truths, labels
}

// The beast never uses the ground truth: the same session played with the
// narrator's truth (the owner table, the engine's SetTruth) and without it
// lists the same profiles with the same identifiers, facts and links, and
// the shops send the same promotions to the same profiles and contacts.
// Only the narrator's labels differ.
func TestBeastSideIgnoresTruth(t *testing.T) {
	const days = 2
	withTruth, truths, labels := playSide(t, days, false)
	blind, blindTruths, blindLabels := playSide(t, days, true)

	if truths == 0 || labels == 0 {
		t.Fatalf("the run with truth labelled %d profiles and %d promotions: it must know the truth to prove anything", truths, labels)
	}
	if blindTruths != 0 || blindLabels != 0 {
		t.Fatalf("the blind run labelled %d profiles and %d promotions: the truth leaked in", blindTruths, blindLabels)
	}
	if len(withTruth.Promos) == 0 || len(withTruth.Profiles) == 0 {
		t.Fatalf("%d profiles and %d promotions: nothing to compare", len(withTruth.Profiles), len(withTruth.Promos))
	}
	t.Logf("%d profiles, %d promotions", len(withTruth.Profiles), len(withTruth.Promos))
	compareSide(t, "profile listing", withTruth.Listing, blind.Listing)
	compareSide(t, "profiles", withTruth.Profiles, blind.Profiles)
	compareSide(t, "population rows", withTruth.Rows, blind.Rows)
	compareSide(t, "promotions", withTruth.Promos, blind.Promos)
	compareSide(t, "published promotions", withTruth.Published, blind.Published)
}

// compareSide compares two answers as JSON, element by element, and
// reports the first differences.
func compareSide[T any](t *testing.T, what string, want, got []T) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: %d with truth, %d without", what, len(want), len(got))
	}
	diffs := 0
	for i := range min(len(want), len(got)) {
		w, g := mustJSON(t, want[i]), mustJSON(t, got[i])
		if bytes.Equal(w, g) {
			continue
		}
		if diffs++; diffs <= 3 {
			t.Errorf("%s[%d] differs:\nwith truth: %s\nwithout:    %s", what, i, clip(w), clip(g))
		}
	}
	if diffs > 3 {
		t.Errorf("%s: %d elements differ in all", what, diffs)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clip shortens a long JSON document for an error message.
func clip(b []byte) string {
	const n = 600
	if len(b) <= n {
		return string(b)
	}
	return fmt.Sprintf("%s… (%d bytes)", b[:n], len(b))
}

package web

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"exhaust/aggregator/facts"
)

// docNumber reads the first number the pattern's group captures in
// docs/classroom.md.
func docNumber(t *testing.T, doc []byte, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/classroom.md no longer says %q", pattern)
	}
	f, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestClassroomChallengeAsDocumented replays the challenge as
// docs/classroom.md tells it, in the city it names (seed 1, 30 people), and
// checks each thing the page is said to show: the exposure before and
// after (the numbers read from the doc itself, so the two cannot drift),
// spending, shopping and café gone, trips no longer tied to her, interests,
// name, e-mail and home surviving; and with the phone off at night too,
// trips tied again and the score the doc gives.
func TestClassroomChallengeAsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a 30-person day twice")
	}
	doc, err := os.ReadFile("../docs/classroom.md")
	if err != nil {
		t.Fatal(err)
	}
	before := docNumber(t, doc, `drops \(([0-9.]+) → [0-9.]+ in the default city: seed 1, 30 people\)`)
	after := docNumber(t, doc, `drops \([0-9.]+ → ([0-9.]+) in the default city`)
	nightToo := docNumber(t, doc, `with the phone off at\s+night too: ([0-9.]+)\)`)

	r := newRunOf(t, 30, 1, true, 1)
	wi := r.page.whatif
	st := wi.defaults
	if !st.LocationOff {
		t.Fatal("the doc says location services are already off for the hero")
	}
	st.Cash, st.NoLoyalty = true, true
	cmp, err := wi.compare(st)
	if err != nil {
		t.Fatal(err)
	}
	round := func(x float64) float64 { return float64(int(x*10+0.5)) / 10 }
	if round(cmp.Before.Score) != before || round(cmp.After.Score) != after {
		t.Errorf("exposure %.1f → %.1f, the doc says %.1f → %.1f", cmp.Before.Score, cmp.After.Score, before, after)
	}
	for fact, want := range map[string]string{
		facts.FactSpending: "gone", facts.FactShopping: "gone", facts.FactCafe: "gone",
		facts.FactTrips: "unlinked", facts.FactInterests: "survived",
		facts.FactName: "survived", facts.FactEmail: "survived", facts.FactHome: "survived",
	} {
		c := changeOf(cmp.Changes, fact)
		if c == nil || c.Status != want {
			t.Errorf("%s: %+v, the doc says %s", fact, c, want)
		}
	}

	st.PhoneOffNight = true
	night, err := wi.compare(st)
	if err != nil {
		t.Fatal(err)
	}
	if round(night.After.Score) != nightToo {
		t.Errorf("with the phone off at night too: %.1f, the doc says %.1f", night.After.Score, nightToo)
	}
	if c := changeOf(night.Changes, facts.FactTrips); c == nil || c.Status != "survived" {
		t.Errorf("trips with the phone off at night too: %+v, the doc says it survives", c)
	}
}

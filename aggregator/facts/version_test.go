package facts_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/event"
	"exhaust/world"
)

// The Engine keeps a profile's summary (how many facts, the person's
// name) while the profile's identifiers see no event and the store's
// Version stays the same. This holds the store to that: over three days
// of the default world, every few records, each person's facts are
// derived again, and a person none of whose identifiers was in an event
// since the last time, under the same Version, must have the same facts
// and name.
func TestVersionKeepsWhichFactsThereAre(t *testing.T) {
	if testing.Short() {
		t.Skip("three simulated days of facts derived again and again: run without -short")
	}
	r := generate(t, "default/3days", world.DefaultConfig(), 3, false)
	owner := map[event.ID]string{}
	for person, ids := range r.truth {
		for _, id := range ids {
			owner[id] = person
		}
	}
	type derived struct {
		version uint64
		facts   string
	}
	last := map[string]derived{}
	touched := map[string]bool{}
	s := facts.New()
	// A person's phone is in an event every half hour or so: a check
	// every few minutes of the day finds many who were in none.
	const every = 60
	kept, versions := 0, map[uint64]bool{}
	for i, rec := range r.records {
		s.Observe(rec)
		for _, id := range rec.IDs {
			touched[owner[id]] = true
		}
		if i%every != every-1 && i != len(r.records)-1 {
			continue
		}
		v := s.Version()
		versions[v] = true
		for person, ids := range r.truth {
			old, ok := last[person]
			if touched[person] {
				delete(last, person) // derived again once it is not
				continue
			}
			if ok && old.version != v {
				ok = false
			}
			d := derived{v, describeFacts(s.Derive(ids))}
			if ok {
				kept++
				if old.facts != d.facts {
					t.Errorf("record %d: %s, in no event since, under the same version: facts %s, were %s", i, person, d.facts, old.facts)
				}
			}
			last[person] = d
		}
		clear(touched)
	}
	t.Logf("%d records, %d versions met; %d times a person's facts were kept", len(r.records), len(versions), kept)
	if kept == 0 {
		t.Error("no person was ever kept: the check tells nothing")
	}
}

// describeFacts is what a profile's summary reads of its facts: which
// there are, and the person's name.
func describeFacts(fs []facts.Fact) string {
	var names []string
	for _, f := range fs {
		n := f.Name
		if v, ok := f.Value.(facts.NameValue); ok && f.Name == facts.FactName {
			n += fmt.Sprintf("=%q", v.Name)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

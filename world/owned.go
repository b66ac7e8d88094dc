package world

import (
	"cmp"
	"slices"

	"exhaust/event"
)

// Owned accumulates who owns which identifiers over the days played, as
// the runner publishes the truth and the scorers read it: person id →
// identifiers. A visitor's identifiers count from their arrival, and are
// kept once they leave.
type Owned map[string]map[event.ID]bool

// PersonIDs is a person's identifiers so far.
type PersonIDs struct {
	Person *Person
	IDs    []event.ID // by kind, then value
}

// Add adds day's truth (Day.Truth) for the people in the city that day,
// and returns each one's identifiers so far, in Day.Present's order.
// Call it for each day in order (and, for a day made in parts, for each
// part in order).
func (o Owned) Add(day *Day) []PersonIDs {
	ids := day.Truth()
	present := day.Present()
	out := make([]PersonIDs, 0, len(present))
	for _, pl := range present {
		out = append(out, PersonIDs{Person: pl.Person, IDs: o.AddPerson(pl.Person.ID, ids[pl.Person.ID])})
	}
	return out
}

// AddPerson adds ids to those of person id and returns the person's
// identifiers so far, by kind, then value.
func (o Owned) AddPerson(id string, ids []event.ID) []event.ID {
	set := o[id]
	if set == nil {
		set = map[event.ID]bool{}
		o[id] = set
	}
	for _, id := range ids {
		set[id] = true
	}
	all := make([]event.ID, 0, len(set))
	for id := range set {
		all = append(all, id)
	}
	slices.SortFunc(all, func(a, b event.ID) int {
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return all
}

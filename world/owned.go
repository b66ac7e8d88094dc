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
// Call it for each day in order.
func (o Owned) Add(day *Day) []PersonIDs {
	ids := day.Truth()
	present := day.Present()
	out := make([]PersonIDs, 0, len(present))
	for _, pl := range present {
		p := pl.Person
		set := o[p.ID]
		if set == nil {
			set = map[event.ID]bool{}
			o[p.ID] = set
		}
		for _, id := range ids[p.ID] {
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
		out = append(out, PersonIDs{Person: p, IDs: all})
	}
	return out
}

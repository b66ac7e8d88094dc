package aggregator

import "exhaust/event"

// truthTable is the ground truth, for scoring only (never for linking, nor
// for anything a profile says of itself): who owns each identifier. At
// city scale it names millions of identifiers, so it holds integers, not
// strings: each person id once, and each identifier as a 64-bit hash of
// its kind and value with its owner's number. A person's truth only grows
// (a record covers the identifiers seen up to its day), so the records
// themselves are not kept.
type truthTable struct {
	persons []string         // person ids, in the order first named
	number  map[string]int32 // person id → its place in persons
	owner   map[uint64]int32 // idHash of an identifier → its owner's number
}

func newTruthTable() truthTable {
	return truthTable{number: map[string]int32{}, owner: map[uint64]int32{}}
}

// set records t: its identifiers are its person's (an identifier named
// again for another person changes owner).
func (tt *truthTable) set(t Truth) {
	p, ok := tt.number[t.Person]
	if !ok {
		p = int32(len(tt.persons))
		tt.persons = append(tt.persons, t.Person)
		tt.number[t.Person] = p
	}
	for _, id := range t.IDs {
		tt.owner[idHash(id)] = p
	}
}

// ownerOf returns the number of the person owning id, if the truth knows.
func (tt *truthTable) ownerOf(id event.ID) (int32, bool) {
	p, ok := tt.owner[idHash(id)]
	return p, ok
}

// person returns the id of person number p.
func (tt *truthTable) person(p int32) string { return tt.persons[p] }

// len returns how many persons the truth names.
func (tt *truthTable) len() int { return len(tt.persons) }

// idHash is FNV-1a over an identifier's kind, a zero byte and its value:
// among the million identifiers of a city of 100,000, two colliding has a
// probability of about 3·10⁻⁸ (and would only blur a score).
func idHash(id event.ID) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(id.Kind); i++ {
		h = (h ^ uint64(id.Kind[i])) * prime
	}
	h *= prime // the separator, a zero byte
	for i := 0; i < len(id.Value); i++ {
		h = (h ^ uint64(id.Value[i])) * prime
	}
	return h
}

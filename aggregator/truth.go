package aggregator

import (
	"slices"

	"exhaust/event"
)

// truthTable is the ground truth, for scoring only (never for linking, nor
// for anything a profile says of itself): who owns each identifier. At
// city scale it names millions of identifiers, so it holds integers, not
// strings: each person id once, and each identifier as a 64-bit hash of
// its kind and value with its owner's number, 12 bytes in two sorted
// arrays (a map takes 30). A person's truth only grows (a record covers
// the identifiers seen up to its day), so the records themselves are not
// kept.
type truthTable struct {
	persons []string         // person ids, in the order first named
	number  map[string]int32 // person id → its place in persons
	// keys are identifier hashes (idHash), sorted, owners their owners'
	// numbers, in step. Identifiers named since the last merge are in
	// recent, which overrides them: merging each record as it comes would
	// copy the arrays once a person.
	keys   []uint64
	owners []int32
	recent map[uint64]int32
}

func newTruthTable() truthTable {
	return truthTable{number: map[string]int32{}, recent: map[uint64]int32{}}
}

// minMerge is how many identifiers recent holds before it is merged, at
// least: below that the arrays are small, and copying them often is cheap
// but pointless.
const minMerge = 4096

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
		tt.recent[idHash(id)] = p
	}
	// An eighth of the arrays: each identifier is copied eight times over
	// at most, and recent adds a few bytes per identifier at most.
	if len(tt.recent) > max(minMerge, len(tt.keys)/8) {
		tt.merge()
	}
}

// merge moves recent into the sorted arrays.
func (tt *truthTable) merge() {
	var added []uint64
	for k, p := range tt.recent {
		if i, ok := slices.BinarySearch(tt.keys, k); ok {
			tt.owners[i] = p
		} else {
			added = append(added, k)
		}
	}
	if len(added) > 0 {
		slices.Sort(added)
		n := len(tt.keys) + len(added)
		keys, owners := make([]uint64, 0, n), make([]int32, 0, n)
		i := 0
		for _, k := range added {
			for ; i < len(tt.keys) && tt.keys[i] < k; i++ {
				keys, owners = append(keys, tt.keys[i]), append(owners, tt.owners[i])
			}
			keys, owners = append(keys, k), append(owners, tt.recent[k])
		}
		tt.keys, tt.owners = append(keys, tt.keys[i:]...), append(owners, tt.owners[i:]...)
	}
	tt.recent = map[uint64]int32{} // clear would keep the map's table
}

// ownerOf returns the number of the person owning id, if the truth knows.
func (tt *truthTable) ownerOf(id event.ID) (int32, bool) {
	k := idHash(id)
	if p, ok := tt.recent[k]; ok {
		return p, true
	}
	if i, ok := slices.BinarySearch(tt.keys, k); ok {
		return tt.owners[i], true
	}
	return 0, false
}

// person returns the id of person number p.
func (tt *truthTable) person(p int32) string { return tt.persons[p] }

// len returns how many persons the truth names.
func (tt *truthTable) len() int { return len(tt.persons) }

// idHash is the identifier's 64-bit hash (event.ID.Hash): a collision
// would only blur a score.
func idHash(id event.ID) uint64 { return id.Hash() }

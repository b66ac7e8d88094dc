package facts

import (
	"fmt"
	"reflect"
)

// SameState returns an error unless a and b hold the same state: every
// map and list, the accumulators they point to, the radio model. (The
// event type bit of the last Observe is not state.)
func SameState(a, b *Store) error {
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"strings", a.strs, b.strs}, {"string index", a.strIdx, b.strIdx},
		{"types", a.types, b.types}, {"type index", a.typeAt, b.typeAt},
		{"towers", a.towers, b.towers}, {"tower index", a.towerAt, b.towerAt},
		{"names", a.names, b.names}, {"places", a.places, b.places}, {"place index", a.placeAt, b.placeAt},
		{"app categories", a.appCat, b.appCat}, {"heads", a.heads, b.heads},
		{"cells", a.cells, b.cells}, {"gps", a.gps, b.gps}, {"apps", a.apps, b.apps}, {"msgs", a.msgs, b.msgs},
		{"wifi", a.wifi, b.wifi}, {"bands", a.bands, b.bands}, {"pays", a.pays, b.pays},
		{"transits", a.transits, b.transits}, {"tickets", a.tickets, b.tickets}, {"baskets", a.baskets, b.baskets},
		{"regs", a.regs, b.regs}, {"attrs", a.attrs, b.attrs}, {"numbers", a.byHash, b.byHash},
		{"radio", a.radio, b.radio}, {"radio places", a.radioPlaces, b.radioPlaces}, {"radio next", a.radioNext, b.radioNext},
		{"unplaced stations", a.unplaced, b.unplaced}, {"stations placed late", a.placedLate, b.placedLate},
	} {
		if !reflect.DeepEqual(f.a, f.b) {
			return fmt.Errorf("%s differ", f.name)
		}
	}
	return nil
}

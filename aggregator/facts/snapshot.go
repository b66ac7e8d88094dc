package facts

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// snapshotVersion is the version of the Save format. Version 2 added the
// fitted radio model: a version 1 snapshot has none, and refitting it from
// the accumulators at load would give another model than the one an
// uninterrupted store holds, so it is refused (replay the stream).
// Version 3 keeps the event types in the order the store met them (the
// evidence's sources) and the facts producers declare (meaning.Attribute).
const snapshotVersion = 3

// entries is one accumulator map as a slice sorted by key.
type entries[P any] struct {
	Keys []key
	Vals []*P
}

func entriesOf[P any](m map[key]*P) entries[P] {
	e := entries[P]{Keys: slices.Sorted(maps.Keys(m))}
	e.Vals = make([]*P, len(e.Keys))
	for i, k := range e.Keys {
		e.Vals[i] = m[k]
	}
	return e
}

func (e entries[P]) into(m map[key]*P) error {
	if len(e.Keys) != len(e.Vals) {
		return fmt.Errorf("%d keys but %d values", len(e.Keys), len(e.Vals))
	}
	for i, k := range e.Keys {
		v := e.Vals[i]
		if v == nil {
			v = new(P) // gob leaves an all-zero value out
		}
		m[k] = v
	}
	return nil
}

// snapshot is the Save format: the store's maps as slices sorted by key, so
// that the same store always saves to the same bytes.
type snapshot struct {
	Version  int
	Strings  []string
	Towers   []towerPos
	Places   []towerPos
	Names    [][2]int32
	AppCats  [][2]int32
	HeadKeys []key
	Heads    []head
	Numbers  []string // phone numbers seen as identifiers
	Cells    entries[cellPart]
	GPS      entries[gpsPart]
	Apps     entries[appPart]
	Msgs     entries[msgPart]
	WiFi     entries[wifiPart]
	Bands    entries[bandPart]
	Pays     entries[payPart]
	Transits entries[transitPart]
	Tickets  entries[ticketPart]
	Baskets  entries[basketPart]
	Regs     entries[regPart]
	Attrs    entries[attrPart]
	Types    []string // event types, in bit order (see Store.typeBit)

	Radio                  radioModel
	RadioPlaces, RadioNext int
}

func pairs(m map[int32]int32) [][2]int32 {
	out := make([][2]int32, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, [2]int32{k, m[k]})
	}
	return out
}

// Save writes the store's state (gob). The same state always gives the same
// bytes.
func (s *Store) Save(w io.Writer) error {
	snap := snapshot{
		Version: snapshotVersion, Strings: s.strs, Towers: s.towers, Places: s.places,
		Names: pairs(s.names), AppCats: pairs(s.appCat),
		HeadKeys: slices.Sorted(maps.Keys(s.heads)),
		Cells:    entriesOf(s.cells), GPS: entriesOf(s.gps), Apps: entriesOf(s.apps), Msgs: entriesOf(s.msgs),
		WiFi: entriesOf(s.wifi), Bands: entriesOf(s.bands), Pays: entriesOf(s.pays),
		Transits: entriesOf(s.transits), Tickets: entriesOf(s.tickets), Baskets: entriesOf(s.baskets), Regs: entriesOf(s.regs),
		Attrs: entriesOf(s.attrs), Types: s.types,
		Radio: s.radio, RadioPlaces: s.radioPlaces, RadioNext: s.radioNext,
	}
	snap.Heads = make([]head, len(snap.HeadKeys))
	for i, k := range snap.HeadKeys {
		snap.Heads[i] = s.heads[k]
	}
	for _, h := range slices.Sorted(maps.Keys(s.byHash)) {
		snap.Numbers = append(snap.Numbers, s.byHash[h])
	}
	if err := gob.NewEncoder(w).Encode(&snap); err != nil {
		return fmt.Errorf("save facts: %w", err)
	}
	return nil
}

// ErrSnapshotVersion is returned by Load for a snapshot written by another
// version of the store.
var ErrSnapshotVersion = errors.New("facts: unsupported snapshot version")

// Load replaces the store's state with one written by Save. On error the
// store is unchanged.
func (s *Store) Load(r io.Reader) error {
	var snap snapshot
	if err := gob.NewDecoder(r).Decode(&snap); err != nil {
		return fmt.Errorf("load facts: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("%w: %d, this build reads %d", ErrSnapshotVersion, snap.Version, snapshotVersion)
	}
	if len(snap.HeadKeys) != len(snap.Heads) {
		return fmt.Errorf("load facts: %d identifiers but %d heads", len(snap.HeadKeys), len(snap.Heads))
	}
	n := New()
	n.strs = snap.Strings
	for i, v := range n.strs {
		n.strIdx[v] = int32(i)
	}
	n.towers = snap.Towers
	for i, t := range n.towers {
		n.towerAt[t.T] = i
	}
	n.places = snap.Places
	for i, p := range n.places {
		n.placeAt[p.T] = i
	}
	for _, pn := range snap.Names {
		n.names[pn[0]] = pn[1]
	}
	for _, pn := range snap.AppCats {
		n.appCat[pn[0]] = pn[1]
	}
	for i, k := range snap.HeadKeys {
		n.heads[k] = snap.Heads[i]
	}
	for _, num := range snap.Numbers {
		n.byHash[hashNumber(num)] = num
	}
	n.radio, n.radioPlaces, n.radioNext = snap.Radio, snap.RadioPlaces, snap.RadioNext
	if len(snap.Types) > maxTypes {
		return fmt.Errorf("load facts: %d event types, at most %d", len(snap.Types), maxTypes)
	}
	for i, t := range snap.Types {
		n.typeAt[t] = uint8(i)
	}
	n.types = snap.Types
	if err := errors.Join(
		snap.Cells.into(n.cells), snap.GPS.into(n.gps), snap.Apps.into(n.apps), snap.Msgs.into(n.msgs),
		snap.WiFi.into(n.wifi), snap.Bands.into(n.bands), snap.Pays.into(n.pays),
		snap.Transits.into(n.transits), snap.Tickets.into(n.tickets), snap.Baskets.into(n.baskets), snap.Regs.into(n.regs), snap.Attrs.into(n.attrs),
	); err != nil {
		return fmt.Errorf("load facts: %w", err)
	}
	*s = *n
	return nil
}

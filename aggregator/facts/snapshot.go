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
// Version 4 writes the long lists (strings, identifiers, accumulators) a
// batch at a time after a small head (see batch).
const snapshotVersion = 4

// snapshot heads the Save format: what is small, and how many entries of
// each long list follow it, in the order of the fields. Every map is
// written as a list sorted by key, so that the same store always saves to
// the same bytes. (Version 3 wrote the lists in this one message, under
// other names: gob skips them, so Load reads an old snapshot as far as its
// version.)
type snapshot struct {
	Version int
	Types   []string // event types, in bit order (see Store.typeBit)

	Radio                  radioModel
	RadioPlaces, RadioNext int

	NStrings, NTowers, NPlaces, NNames, NAppCats, NHeads, NNumbers int
	// NParts counts the accumulators of each map, in the order of
	// Store.partMaps.
	NParts []int
}

// batch is how many entries of a long list one gob message holds: the
// encoder's buffer and the batch's copy stay that small, where one message
// for the whole store grew gob's buffer to the size of the snapshot.
const batch = 512

// writeList writes the n entries at(0..n-1) in messages of at most batch
// entries, reusing buf.
func writeList[T any](enc *gob.Encoder, buf *[]T, n int, at func(i int) T) error {
	for i := 0; i < n; i += batch {
		b := (*buf)[:0]
		for j := i; j < min(n, i+batch); j++ {
			b = append(b, at(j))
		}
		*buf = b
		if err := enc.Encode(b); err != nil {
			return err
		}
	}
	clear(*buf) // what the entries point to is the store's, not the buffer's
	return nil
}

// readList reads n entries written by writeList, calling fn on each.
func readList[T any](dec *gob.Decoder, n int, fn func(T) error) error {
	if n < 0 {
		return fmt.Errorf("a list of %d entries", n)
	}
	for n > 0 {
		// A new slice each time: gob leaves a zero field out, so decoding
		// into the last batch would keep its values.
		var b []T
		if err := dec.Decode(&b); err != nil {
			return err
		}
		if len(b) == 0 || len(b) > min(n, batch) {
			return fmt.Errorf("a batch of %d entries where %d remain", len(b), n)
		}
		for _, v := range b {
			if err := fn(v); err != nil {
				return err
			}
		}
		n -= len(b)
	}
	return nil
}

// savedHead is an identifier's head.
type savedHead struct {
	K key
	H head
}

// savedPart is an accumulator with its identifier.
type savedPart[P any] struct {
	K key
	V *P
}

// partList saves and loads one of the store's accumulator maps.
type partList interface {
	len() int
	save(enc *gob.Encoder, keys *[]key) error
	load(dec *gob.Decoder, n int) error
}

type partMap[P any] map[key]*P

func (m partMap[P]) len() int { return len(m) }

func (m partMap[P]) save(enc *gob.Encoder, keys *[]key) error {
	*keys = sortedKeys(*keys, m)
	var buf []savedPart[P]
	return writeList(enc, &buf, len(*keys), func(i int) savedPart[P] {
		k := (*keys)[i]
		return savedPart[P]{k, m[k]}
	})
}

func (m partMap[P]) load(dec *gob.Decoder, n int) error {
	return readList(dec, n, func(p savedPart[P]) error {
		if p.V == nil {
			p.V = new(P) // gob leaves an all-zero value out
		}
		m[p.K] = p.V
		return nil
	})
}

// sortedKeys returns the keys of m sorted, in buf's memory.
func sortedKeys[V any](buf []key, m map[key]V) []key {
	buf = slices.AppendSeq(slices.Grow(buf[:0], len(m)), maps.Keys(m))
	slices.Sort(buf)
	return buf
}

// partMaps lists the store's accumulator maps, in their saved order.
func (s *Store) partMaps() []partList {
	return []partList{
		partMap[cellPart](s.cells), partMap[gpsPart](s.gps), partMap[appPart](s.apps), partMap[msgPart](s.msgs),
		partMap[wifiPart](s.wifi), partMap[bandPart](s.bands), partMap[payPart](s.pays),
		partMap[transitPart](s.transits), partMap[ticketPart](s.tickets), partMap[basketPart](s.baskets),
		partMap[regPart](s.regs), partMap[attrPart](s.attrs),
	}
}

// Save writes the store's state (gob). The same state always gives the same
// bytes.
func (s *Store) Save(w io.Writer) error {
	if err := s.save(w); err != nil {
		return fmt.Errorf("save facts: %w", err)
	}
	return nil
}

func (s *Store) save(w io.Writer) error {
	ps := s.partMaps()
	snap := snapshot{
		Version: snapshotVersion, Types: s.types,
		Radio: s.radio, RadioPlaces: s.radioPlaces, RadioNext: s.radioNext,
		NStrings: len(s.strs), NTowers: len(s.towers), NPlaces: len(s.places),
		NNames: len(s.names), NAppCats: len(s.appCat), NHeads: len(s.heads), NNumbers: len(s.byHash),
		NParts: make([]int, len(ps)),
	}
	for i, p := range ps {
		snap.NParts[i] = p.len()
	}
	enc := gob.NewEncoder(w)
	if err := enc.Encode(&snap); err != nil {
		return err
	}
	var strs []string
	if err := writeList(enc, &strs, len(s.strs), func(i int) string { return s.strs[i] }); err != nil {
		return err
	}
	var pos []towerPos
	if err := writeList(enc, &pos, len(s.towers), func(i int) towerPos { return s.towers[i] }); err != nil {
		return err
	}
	if err := writeList(enc, &pos, len(s.places), func(i int) towerPos { return s.places[i] }); err != nil {
		return err
	}
	var ints []int32
	var pairs [][2]int32
	for _, m := range []map[int32]int32{s.names, s.appCat} {
		ints = slices.AppendSeq(ints[:0], maps.Keys(m))
		slices.Sort(ints)
		if err := writeList(enc, &pairs, len(ints), func(i int) [2]int32 { return [2]int32{ints[i], m[ints[i]]} }); err != nil {
			return err
		}
	}
	keys := sortedKeys(nil, s.heads)
	var heads []savedHead
	if err := writeList(enc, &heads, len(keys), func(i int) savedHead { return savedHead{keys[i], s.heads[keys[i]]} }); err != nil {
		return err
	}
	hashes := slices.Sorted(maps.Keys(s.byHash))
	if err := writeList(enc, &strs, len(hashes), func(i int) string { return s.byHash[hashes[i]] }); err != nil {
		return err
	}
	for _, p := range ps {
		if err := p.save(enc, &keys); err != nil {
			return err
		}
	}
	return nil
}

// ErrSnapshotVersion is returned by Load for a snapshot written by another
// version of the store.
var ErrSnapshotVersion = errors.New("facts: unsupported snapshot version")

// Load replaces the store's state with one written by Save. On error the
// store is unchanged.
func (s *Store) Load(r io.Reader) error {
	n, err := load(r)
	if err != nil {
		return err
	}
	*s = *n
	return nil
}

func load(r io.Reader) (*Store, error) {
	dec := gob.NewDecoder(r)
	var snap snapshot
	if err := dec.Decode(&snap); err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil, fmt.Errorf("%w: %d, this build reads %d", ErrSnapshotVersion, snap.Version, snapshotVersion)
	}
	n := New()
	if err := n.load(dec, &snap); err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	return n, nil
}

// load reads the lists that follow snap into the empty store n.
func (n *Store) load(dec *gob.Decoder, snap *snapshot) error {
	if len(snap.Types) > maxTypes {
		return fmt.Errorf("%d event types, at most %d", len(snap.Types), maxTypes)
	}
	for i, t := range snap.Types {
		n.typeAt[t] = uint8(i)
	}
	n.types = snap.Types
	n.radio, n.radioPlaces, n.radioNext = snap.Radio, snap.RadioPlaces, snap.RadioNext
	if err := readList(dec, snap.NStrings, func(v string) error {
		n.strIdx[v] = int32(len(n.strs))
		n.strs = append(n.strs, v)
		return nil
	}); err != nil {
		return fmt.Errorf("strings: %w", err)
	}
	if err := readList(dec, snap.NTowers, func(t towerPos) error {
		n.towerAt[t.T] = len(n.towers)
		n.towers = append(n.towers, t)
		return nil
	}); err != nil {
		return fmt.Errorf("towers: %w", err)
	}
	if err := readList(dec, snap.NPlaces, func(p towerPos) error {
		n.placeAt[p.T] = len(n.places)
		n.places = append(n.places, p)
		return nil
	}); err != nil {
		return fmt.Errorf("places: %w", err)
	}
	for _, l := range []struct {
		n int
		m map[int32]int32
	}{{snap.NNames, n.names}, {snap.NAppCats, n.appCat}} {
		if err := readList(dec, l.n, func(p [2]int32) error {
			l.m[p[0]] = p[1]
			return nil
		}); err != nil {
			return fmt.Errorf("names: %w", err)
		}
	}
	if err := readList(dec, snap.NHeads, func(h savedHead) error {
		n.heads[h.K] = h.H
		return nil
	}); err != nil {
		return fmt.Errorf("identifiers: %w", err)
	}
	if err := readList(dec, snap.NNumbers, func(num string) error {
		n.byHash[hashNumber(num)] = num
		return nil
	}); err != nil {
		return fmt.Errorf("phone numbers: %w", err)
	}
	ps := n.partMaps()
	if len(snap.NParts) != len(ps) {
		return fmt.Errorf("%d kinds of accumulators, this build has %d", len(snap.NParts), len(ps))
	}
	for i, p := range ps {
		if err := p.load(dec, snap.NParts[i]); err != nil {
			return fmt.Errorf("accumulators %d: %w", i, err)
		}
	}
	return nil
}

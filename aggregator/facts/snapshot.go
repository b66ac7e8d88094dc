package facts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/bits"
	"slices"

	"exhaust/aggregator/wire"
)

// snapshotMagic opens the part: versions 1 to 4 were gob streams, whose
// version number cannot be read without gob, so a part that does not start
// with it is told apart at once and refused.
const snapshotMagic = "facts\x00"

// snapshotVersion is the version of the Save format. Version 2 added the
// fitted radio model: a version 1 snapshot has none, and refitting it from
// the accumulators at load would give another model than the one an
// uninterrupted store holds, so it is refused (replay the stream).
// Version 3 keeps the event types in the order the store met them (the
// evidence's sources) and the facts producers declare (meaning.Attribute).
// Version 4 writes the long lists (strings, identifiers, accumulators) a
// batch at a time after a small head. Version 5 drops gob for package
// wire, after snapshotMagic: every field is written by hand
// (snapshot_parts.go), a map's keys as their differences in sorted order,
// because gob's reflection took most of the pause a snapshot imposes on
// the applier. Version 6 adds the stations a gate named before they were
// placed, and how many have been placed since (Store.Version).
const snapshotVersion = 6

// The order of the part, each list preceded by its length:
//
//	snapshotMagic, version
//	event types (strings, in bit order: see Store.typeBit)
//	radio model (4 floats), radioPlaces, radioNext
//	strings (the intern table, in index order)
//	towers, places (positions, in the order they were learned)
//	stations named before they were placed (by key), how many placed since
//	names, app categories (int32 → int32, by key)
//	heads (by key)
//	phone numbers (by their hash, which Load computes again)
//	the accumulator maps, in the order of Store.partMaps (by key)
//
// Every map is written sorted by key, so that the same store always saves
// to the same bytes; Load refuses keys out of that order, so the bytes it
// accepts are the ones the store it builds would save.

// listPrealloc is the most entries Load allocates room for before reading
// them: a list's length comes from the part, and a corrupt one must not
// allocate gigabytes; longer lists grow by append as their entries are
// read.
const listPrealloc = 64

// mostStrings bounds the lists whose entries are indexed by int32 (the
// string table) or could not outnumber them (the identifiers: a store of
// two billion would not fit in memory).
const mostStrings = math.MaxInt32

// reader reads a part, with what its values must agree with.
type reader struct {
	*wire.Reader
	types uint32 // the bits of the part's event types
	strs  int    // the length of the part's string table
}

// writeList writes l's length and then each entry with save.
func writeList[T any](w *wire.Writer, l []T, save func(*T, *wire.Writer)) {
	w.Uvarint(uint64(len(l)))
	for i := range l {
		save(&l[i], w)
	}
}

// readList reads what writeList wrote, refusing more than most entries.
// An empty list is nil, as the store holds it.
func readList[T any](r *reader, most int, load func(*T, *reader)) []T {
	n := r.Len(most)
	if n == 0 {
		return nil
	}
	l := make([]T, 0, min(n, listPrealloc))
	for range n {
		var v T
		load(&v, r)
		if r.Err() != nil {
			return nil // the error ends the load: no need to read on
		}
		l = append(l, v)
	}
	return l
}

// writeKey writes k as its difference from prev, the key before it in
// sorted order (0 for the first): keys are hashes, and the differences of
// a few thousand sorted ones take 7 bytes rather than 8.
func writeKey(w *wire.Writer, k, prev key) {
	w.Uvarint(uint64(k - prev))
}

// readKey reads what writeKey wrote, refusing a key that is not above
// prev unless it is the first.
func (r *reader) readKey(prev key, first bool) key {
	k := prev + key(r.Uvarint())
	if !first && k <= prev {
		r.Fail("keys out of order: %d after %d", k, prev)
	}
	return k
}

// partList saves and loads one of the store's accumulator maps.
type partList interface {
	save(w *wire.Writer, ks *keySorter)
	load(r *reader, most int)
	what() string
}

// accumulator is what Save asks of an accumulator type P: *P writes and
// reads its fields (snapshot_parts.go).
type accumulator[P any] interface {
	*P
	save(w *wire.Writer)
	load(r *reader)
}

type partMap[P any, PP accumulator[P]] map[key]*P

// parts returns m as a partList.
func parts[P any, PP accumulator[P]](m map[key]*P) partList { return partMap[P, PP](m) }

func (m partMap[P, PP]) save(w *wire.Writer, ks *keySorter) {
	keys := sorted(ks, m)
	w.Uvarint(uint64(len(keys)))
	var prev key
	for _, k := range keys {
		writeKey(w, k, prev)
		PP(m[k]).save(w)
		prev = k
	}
}

// load reads at most most accumulators into the empty map m.
func (m partMap[P, PP]) load(r *reader, most int) {
	n := r.Len(most)
	var prev key
	for i := range n {
		k := r.readKey(prev, i == 0)
		p := new(P)
		PP(p).load(r)
		if r.Err() != nil {
			return
		}
		m[k], prev = p, k
	}
}

// what names the accumulator type, for errors.
func (m partMap[P, PP]) what() string {
	var p P
	return fmt.Sprintf("%T", p)
}

// keySorter sorts the keys of the store's maps, reusing its memory from
// one map to the next.
type keySorter struct {
	keys, spare []key
	ends        []int32
}

// sorted returns the keys of m sorted, in the sorter's memory (valid until
// its next call).
//
// Keys are hashes, spread evenly, so they are sorted by bucket: counted
// and placed by their top bits into about as many buckets as keys, then
// each bucket sorted, of one or two keys mostly: three passes, where a
// comparison sort makes log₂ n (17 at 100,000 identifiers) and took a
// quarter of Save. Keys bunched in a few buckets are still sorted right,
// by slices.Sort within each.
func sorted[V any](ks *keySorter, m map[key]V) []key {
	keys := slices.AppendSeq(slices.Grow(ks.keys[:0], len(m)), maps.Keys(m))
	ks.keys = keys
	n := len(keys)
	if n < 1024 {
		slices.Sort(keys)
		return keys
	}
	b := bits.Len(uint(n)) - 1 // 2^b buckets: n/2^b keys in each, 1 to 2
	shift := 64 - b
	ends := slices.Grow(ks.ends[:0], 1<<b+1)[:1<<b+1]
	clear(ends)
	for _, k := range keys {
		ends[k>>shift+1]++
	}
	for i := 1; i < len(ends); i++ {
		ends[i] += ends[i-1] // ends[i]: where bucket i starts
	}
	out := slices.Grow(ks.spare[:0], n)[:n]
	for _, k := range keys {
		i := k >> shift
		out[ends[i]] = k
		ends[i]++ // now where bucket i ends
	}
	start := int32(0)
	for _, end := range ends[:1<<b] {
		if end-start > 1 {
			slices.Sort(out[start:end])
		}
		start = end
	}
	ks.keys, ks.spare, ks.ends = out, keys, ends
	return out
}

// partMaps lists the store's accumulator maps, in their saved order.
func (s *Store) partMaps() []partList {
	return []partList{
		parts(s.cells), parts(s.gps), parts(s.apps), parts(s.msgs),
		parts(s.wifi), parts(s.bands), parts(s.pays),
		parts(s.transits), parts(s.tickets), parts(s.baskets),
		parts(s.regs), parts(s.attrs),
	}
}

// Save writes the store's state (see snapshotVersion for the format). The
// same state always gives the same bytes.
func (s *Store) Save(w io.Writer) error {
	if err := s.save(w); err != nil {
		return fmt.Errorf("save facts: %w", err)
	}
	return nil
}

func (s *Store) save(out io.Writer) error {
	if _, err := io.WriteString(out, snapshotMagic); err != nil {
		return err
	}
	// The Writer writes every 32 KiB as it goes: the part is never held
	// whole.
	w := wire.NewWriter(out)
	w.Uvarint(snapshotVersion)
	w.Uvarint(uint64(len(s.types)))
	for _, t := range s.types {
		w.String(t)
	}
	s.radio.save(w)
	w.Int(s.radioPlaces)
	w.Int(s.radioNext)
	w.Uvarint(uint64(len(s.strs)))
	for _, v := range s.strs {
		w.String(v)
	}
	writeList(w, s.towers, (*towerPos).save)
	writeList(w, s.places, (*towerPos).save)
	var ints []int32
	ints = slices.AppendSeq(ints, maps.Keys(s.unplaced))
	slices.Sort(ints)
	writeKeys(w, ints, nil)
	w.Int(s.placedLate)
	for _, m := range []map[int32]int32{s.names, s.appCat} {
		ints = slices.AppendSeq(ints[:0], maps.Keys(m))
		slices.Sort(ints)
		writeKeys(w, ints, func(k int32) { w.Int(int(m[k])) })
	}
	var ks keySorter
	keys := sorted(&ks, s.heads)
	w.Uvarint(uint64(len(keys)))
	var prev key
	for _, k := range keys {
		writeKey(w, k, prev)
		h := s.heads[k]
		h.save(w)
		prev = k
	}
	hashes := slices.Sorted(maps.Keys(s.byHash))
	w.Uvarint(uint64(len(hashes)))
	for _, h := range hashes {
		w.String(s.byHash[h])
	}
	for _, p := range s.partMaps() {
		p.save(w, &ks)
	}
	return w.Flush()
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

func load(in io.Reader) (*Store, error) {
	br := bufio.NewReaderSize(in, 32<<10)
	var magic [len(snapshotMagic)]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	if string(magic[:]) != snapshotMagic {
		return nil, fmt.Errorf("%w: the part does not start with %q as version %d and later do (an older build's gob?): delete the snapshot to rebuild from the stream",
			ErrSnapshotVersion, snapshotMagic, snapshotVersion)
	}
	r := &reader{Reader: wire.NewReader(br)}
	v := r.Uvarint()
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	if v != snapshotVersion {
		return nil, fmt.Errorf("%w: %d, this build reads %d (delete the snapshot to rebuild from the stream)", ErrSnapshotVersion, v, snapshotVersion)
	}
	n := New()
	if err := n.load(r); err != nil {
		return nil, fmt.Errorf("load facts: %w", err)
	}
	return n, nil
}

// load reads the part after its version into the empty store n.
func (n *Store) load(r *reader) error {
	for range r.Len(maxTypes) {
		t := r.String()
		if _, dup := n.typeAt[t]; dup && r.Err() == nil {
			r.Fail("event type %q twice", t)
		}
		if r.Err() != nil {
			return fmt.Errorf("event types: %w", r.Err())
		}
		n.typeAt[t] = uint8(len(n.types))
		n.types = append(n.types, t)
	}
	if err := r.Err(); err != nil { // the count itself
		return fmt.Errorf("event types: %w", err)
	}
	r.types = uint32(uint64(1)<<len(n.types) - 1)
	n.radio.load(r)
	n.radioPlaces, n.radioNext = r.Int(), r.Int()
	if err := r.Err(); err != nil {
		return fmt.Errorf("radio model: %w", err)
	}

	for range r.Len(mostStrings) {
		v := r.String()
		if _, dup := n.strIdx[v]; dup && r.Err() == nil {
			r.Fail("string %q twice", v)
		}
		if r.Err() != nil {
			return fmt.Errorf("strings: %w", r.Err())
		}
		n.strIdx[v] = int32(len(n.strs))
		n.strs = append(n.strs, v)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("strings: %w", err)
	}
	r.strs = len(n.strs)

	for _, l := range []struct {
		what string
		list *[]towerPos
		at   map[int32]int
	}{{"towers", &n.towers, n.towerAt}, {"places", &n.places, n.placeAt}} {
		// Each is learned once, under its interned id.
		*l.list = readList(r, r.strs, (*towerPos).load)
		for i, p := range *l.list {
			if _, dup := l.at[p.T]; dup {
				r.Fail("%d twice", p.T)
				break
			}
			l.at[p.T] = i
		}
		if err := r.Err(); err != nil {
			return fmt.Errorf("%s: %w", l.what, err)
		}
	}

	// A station waits to be placed only while it has no position.
	if err := r.keys(func(k int32) {
		if _, placed := n.placeAt[k]; placed {
			r.Fail("station %d placed and unplaced", k)
		}
		n.unplaced[k] = true
	}); err != nil {
		return fmt.Errorf("unplaced stations: %w", err)
	}
	n.placedLate = r.Int()
	if err := r.Err(); err != nil {
		return fmt.Errorf("unplaced stations: %w", err)
	}

	for _, l := range []struct {
		what string
		m    map[int32]int32
	}{{"place names", n.names}, {"app categories", n.appCat}} {
		if err := r.keys(func(k int32) { l.m[k] = r.Int32() }); err != nil {
			return fmt.Errorf("%s: %w", l.what, err)
		}
	}

	nh := r.Len(mostStrings)
	n.heads = make(map[key]head, min(nh, 1<<16))
	var prev key
	for i := range nh {
		k := r.readKey(prev, i == 0)
		var h head
		h.load(r)
		if r.Err() != nil {
			return fmt.Errorf("identifiers: %w", r.Err())
		}
		n.heads[k], prev = h, k
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("identifiers: %w", err)
	}

	// Every number is an identifier's, so has a head.
	var prevHash uint64
	for i := range r.Len(len(n.heads)) {
		num := r.String()
		if r.Err() != nil {
			return fmt.Errorf("phone numbers: %w", r.Err())
		}
		h := hashNumber(num)
		if i > 0 && h <= prevHash {
			return fmt.Errorf("phone numbers: %q out of order", num)
		}
		n.byHash[h], prevHash = num, h
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("phone numbers: %w", err)
	}

	for _, p := range n.partMaps() {
		// Every accumulator is an identifier's: Observe counts the
		// record's identifiers before it feeds their accumulators.
		p.load(r, len(n.heads))
		if err := r.Err(); err != nil {
			return fmt.Errorf("accumulators %s: %w", p.what(), err)
		}
	}
	return nil
}

// writeKeys writes sorted int32 keys, the first as it is (it may be
// negative: a difference may not), each next as its difference from the
// one before, calling each (if not nil) after each key for what goes with
// it.
func writeKeys(w *wire.Writer, keys []int32, each func(int32)) {
	w.Uvarint(uint64(len(keys)))
	for i, k := range keys {
		if i == 0 {
			w.Int(int(k))
		} else {
			w.Uvarint(uint64(int64(k) - int64(keys[i-1])))
		}
		if each != nil {
			each(k)
		}
	}
}

// keys reads what writeKeys wrote (at most as many keys as strings),
// calling each with every key to read what goes with it.
func (r *reader) keys(each func(int32)) error {
	var prev int32
	for i := range r.Len(r.strs) {
		var k int32
		if i == 0 {
			k = r.Int32()
		} else if d := r.Uvarint(); d >= 1 && d <= uint64(math.MaxInt32-int64(prev)) {
			k = prev + int32(d)
		} else if r.Err() == nil {
			r.Fail("keys out of order after %d", prev)
		}
		if r.Err() != nil {
			return r.Err()
		}
		each(k)
		if r.Err() != nil {
			return r.Err()
		}
		prev = k
	}
	return r.Err()
}

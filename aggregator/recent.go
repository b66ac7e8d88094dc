package aggregator

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/bits"
	"slices"
	"time"

	"github.com/google/uuid"

	"exhaust/aggregator/wire"
)

// recentIDs remembers event ids by hour of event time, forgetting hours
// older than the horizon behind the newest event seen. A city of 100,000
// people makes a few million events within the horizon, so an id is kept
// as a 64-bit hash in a set of its own (idSet). Two ids within the horizon
// sharing a hash (odds of about 5·10⁻¹⁴ an event with a million ids held)
// would drop the second as a duplicate.
type recentIDs struct {
	horizon time.Duration
	newest  int64 // newest hour bucket seen
	buckets map[int64]*idSet
}

func newRecentIDs(h time.Duration) *recentIDs {
	return &recentIDs{horizon: h, buckets: map[int64]*idSet{}}
}

// eventKey returns the hash of event id id.
func eventKey(id string) uint64 {
	if u, err := uuid.Parse(id); err == nil {
		// Whatever its version, a UUID's two halves together are unique
		// (random bits, or a time and a node): folding them keeps that.
		return binary.BigEndian.Uint64(u[:8]) ^ binary.BigEndian.Uint64(u[8:])
	}
	h := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(h[:8])
}

// add records id and reports whether it was new.
func (r *recentIDs) add(id string, t time.Time) bool {
	key := eventKey(id)
	for _, b := range r.buckets {
		if b.has(key) {
			return false
		}
	}
	hour := t.Unix() / 3600
	b := r.buckets[hour]
	if b == nil {
		b = &idSet{}
		r.buckets[hour] = b
	}
	b.add(key)
	if hour > r.newest {
		r.newest = hour
		keep := int64(r.horizon/time.Hour) + 1
		for h := range r.buckets {
			if h < r.newest-keep {
				delete(r.buckets, h)
			}
		}
	}
	return true
}

// recentMagic opens the duplicate filter's part: eight bytes of text, so
// that anything else, a gob part of an older build included, is refused at
// its first bytes and by name.
const recentMagic = "recentid"

// recentVersion is the version of the part's format; load refuses others.
// Version 1 (unnumbered) was one gob value, each hour's keys sorted.
// Version 2 writes with package wire: recentMagic, the version, the newest
// hour, then each hour (oldest first) with its count and its keys, 8 raw
// bytes each, in the order of the set's slots, so that nothing is sorted
// while the applier waits.
const recentVersion = 2

// maxHours and maxKeys bound the counts load accepts: a horizon of a few
// days keeps some dozens of hours, and an hour of a city of a million
// people a few million event ids. load reads an hour's keys into a list
// grown as they arrive and sizes the table from what it read, so a corrupt
// count fails at the end of the input instead of allocating.
const (
	maxHours = 1 << 16
	maxKeys  = 1 << 28
)

// errNotRecent is the error of a part that does not open with recentMagic.
var errNotRecent = errors.New("not a duplicate filter part of version 2 (parts before were written with gob and are no longer read): delete the snapshot to rebuild it from the stream")

// save writes the filter: the hours in order and each set's keys as its
// slots hold them, so the same filter always gives the same bytes.
func (r *recentIDs) save(w io.Writer) error {
	ww := wire.NewWriter(w)
	ww.Uint64(magic64(recentMagic))
	ww.Uvarint(recentVersion)
	ww.Varint(r.newest)
	hours := slices.Sorted(maps.Keys(r.buckets))
	ww.Uvarint(uint64(len(hours)))
	for _, h := range hours {
		b := r.buckets[h]
		ww.Varint(h)
		ww.Uvarint(uint64(b.n))
		b.each(ww.Uint64)
	}
	if err := ww.Flush(); err != nil {
		return fmt.Errorf("save duplicate filter: %w", err)
	}
	return nil
}

// magic64 returns the 8 bytes of s, little-endian: a part's opening text
// read as one fixed field.
func magic64(s string) uint64 { return binary.LittleEndian.Uint64([]byte(s)) }

// load replaces the filter's content with what save wrote; on error the
// filter is unchanged. Each set is built again by add, key by key (see
// setOf), rather than taken slot for slot: whatever the input, the tables
// load makes hold their invariants (a power of two of slots, at most three
// quarters full, so that a probe always ends; each key reachable from its
// home without a free slot between), and lookups cannot loop or miss.
func (r *recentIDs) load(rd io.Reader) error {
	if err := r.read(wire.NewReader(rd)); err != nil {
		return fmt.Errorf("load duplicate filter: %w", err)
	}
	return nil
}

func (r *recentIDs) read(rd *wire.Reader) error {
	if magic := rd.Uint64(); rd.Err() != nil {
		return fmt.Errorf("no duplicate filter part: %w", rd.Err())
	} else if magic != magic64(recentMagic) {
		return errNotRecent
	}
	if v := rd.Uvarint(); v != recentVersion && rd.Err() == nil {
		return fmt.Errorf("duplicate filter part of version %d, this build reads version %d: delete the snapshot to rebuild it from the stream", v, recentVersion)
	}
	newest := rd.Varint()
	buckets := map[int64]*idSet{}
	var keys []uint64 // an hour's keys, as read
	for i, nh := 0, rd.Len(maxHours); i < nh; i++ {
		h := rd.Varint()
		nk := rd.Len(maxKeys)
		if err := rd.Err(); err != nil {
			return err
		}
		if _, dup := buckets[h]; dup || h > newest {
			return fmt.Errorf("hour %d appears twice, or after the newest (%d)", h, newest)
		}
		// The keys are read before the table is made: its size then
		// follows from what the input held, not from a count it claims.
		keys = keys[:0]
		for j := 0; j < nk; j++ {
			keys = append(keys, rd.Uint64())
			if err := rd.Err(); err != nil {
				return fmt.Errorf("hour %d, key %d: %w", h, j, err)
			}
		}
		b, err := setOf(keys)
		if err != nil {
			return fmt.Errorf("hour %d: %w", h, err)
		}
		buckets[h] = b
	}
	if err := rd.Err(); err != nil {
		return err
	}
	r.newest, r.buckets = newest, buckets
	return nil
}

// idSet is a set of 64-bit hashes: open addressing with linear probing in
// a table at most three quarters full, about 14 bytes a hash where a
// map[uint64]struct{} takes 29 (its slots are 16 bytes: a zero-size value
// at the end of a struct is padded). Nothing is ever removed: a whole
// hour's set is dropped at once.
type idSet struct {
	slots []uint64 // 0 marks a free slot; see slotKey
	n     int
}

// slotKey is the key stored for hash k: zero marks a free slot, so a zero
// hash is stored as one (the set then also holds one, an error of the
// kind the hashing already accepts).
func slotKey(k uint64) uint64 { return max(k, 1) }

// home returns k's first slot: Fibonacci hashing spreads keys whose low
// bits are alike (a time-based UUID's) over the table.
func (s *idSet) home(k uint64) int {
	return int((k * 0x9E3779B97F4A7C15) >> (64 - bits.Len(uint(len(s.slots)-1))))
}

// has reports whether k is in the set.
func (s *idSet) has(k uint64) bool {
	if s.n == 0 {
		return false
	}
	k = slotKey(k)
	mask := len(s.slots) - 1
	for i := s.home(k); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// add puts k in the set.
func (s *idSet) add(k uint64) {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	k = slotKey(k)
	mask := len(s.slots) - 1
	for i := s.home(k); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return
		case 0:
			s.slots[i] = k
			s.n++
			return
		}
	}
}

// grow doubles the table (16 slots at first) and puts every key back.
func (s *idSet) grow() {
	old := s.slots
	s.slots, s.n = make([]uint64, max(16, 2*len(old))), 0
	for _, k := range old {
		if k != 0 {
			s.add(k)
		}
	}
}

// each calls fn for every key of the set, in the order of the slots from
// the first free one on, around the table. setOf, given the keys in that
// order, puts each back in its slot: a cluster of keys then comes in its
// order, from its start, so every key probes from its home through the
// ones before it to its own slot, free until then.
func (s *idSet) each(fn func(uint64)) {
	if s.n == 0 {
		return
	}
	free := slices.Index(s.slots, 0) // there is one: the table is at most 3/4 full
	mask := len(s.slots) - 1
	for i := range s.slots {
		if k := s.slots[(free+i)&mask]; k != 0 {
			fn(k)
		}
	}
}

// setOf returns the set of keys, added in their order to a table of the
// size add grows it to for that many keys: given the keys in the order of
// each, the same table, slot for slot. A key that is zero or given twice
// is an error: a set holds slotKey's keys, each once.
func setOf(keys []uint64) (*idSet, error) {
	s := &idSet{}
	if len(keys) == 0 {
		return s, nil
	}
	size := 16
	for len(keys)*4 > size*3 {
		size *= 2
	}
	s.slots = make([]uint64, size)
	for i, k := range keys {
		if s.add(k); k == 0 || s.n != i+1 {
			return nil, fmt.Errorf("key %#x is zero or appears twice", k)
		}
	}
	return s, nil
}

// keys returns the keys of the set, in no order.
func (s *idSet) keys() []uint64 {
	out := make([]uint64, 0, s.n)
	for _, k := range s.slots {
		if k != 0 {
			out = append(out, k)
		}
	}
	return out
}

package aggregator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"io"
	"math/bits"
	"slices"
	"time"

	"github.com/google/uuid"
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

type recentState struct {
	Newest  int64
	Buckets map[int64][]uint64
}

func (r *recentIDs) save(w io.Writer) error {
	s := recentState{Newest: r.newest, Buckets: map[int64][]uint64{}}
	for h, b := range r.buckets {
		ids := b.keys()
		slices.Sort(ids)
		s.Buckets[h] = ids
	}
	return gob.NewEncoder(w).Encode(&s)
}

func (r *recentIDs) load(rd io.Reader) error {
	var s recentState
	if err := gob.NewDecoder(rd).Decode(&s); err != nil {
		return err
	}
	r.newest, r.buckets = s.Newest, map[int64]*idSet{}
	for h, ids := range s.Buckets {
		b := &idSet{}
		for _, id := range ids {
			b.add(id)
		}
		r.buckets[h] = b
	}
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

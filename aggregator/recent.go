package aggregator

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
)

// recentIDs remembers event ids by hour of event time, forgetting hours
// older than the horizon behind the newest event seen. An id is kept as a
// 64-bit hash: half the bytes of the UUID it hashes, and a city of 100,000
// holds a few million of them. Two ids within the horizon sharing a hash
// (odds of about 5·10⁻¹⁴ an event with a million ids held) would drop the
// second as a duplicate.
type recentIDs struct {
	horizon time.Duration
	newest  int64 // newest hour bucket seen
	buckets map[int64]map[uint64]struct{}
}

func newRecentIDs(h time.Duration) *recentIDs {
	return &recentIDs{horizon: h, buckets: map[int64]map[uint64]struct{}{}}
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
		if _, ok := b[key]; ok {
			return false
		}
	}
	hour := t.Unix() / 3600
	b := r.buckets[hour]
	if b == nil {
		b = map[uint64]struct{}{}
		r.buckets[hour] = b
	}
	b[key] = struct{}{}
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
		ids := make([]uint64, 0, len(b))
		for id := range b {
			ids = append(ids, id)
		}
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
	r.newest, r.buckets = s.Newest, map[int64]map[uint64]struct{}{}
	for h, ids := range s.Buckets {
		b := make(map[uint64]struct{}, len(ids))
		for _, id := range ids {
			b[id] = struct{}{}
		}
		r.buckets[h] = b
	}
	return nil
}

package obs

import (
	"hash/maphash"
	"sync/atomic"
)

// Interning.
//
// Most strings of a Record come from small vocabularies repeated across
// millions of events: tower and station ids, app names, merchants, access
// points. Decoding each into a fresh string would make the aggregator hold
// one copy per event that keeps it; the decoder hands out one shared copy
// per value instead, from a bounded table.

// internSlots is the size of the intern table (a power of two): larger
// than the vocabularies of a city of 100,000 people, small enough (128 KiB)
// to sit in the cache.
const internSlots = 1 << 14

// maxInterned is the longest string interned: vocabulary values are short,
// longer strings (queries, names) are rarely repeated.
const maxInterned = 64

// internTable is a direct-mapped cache, not a set: a slot holds the last
// string hashed to it, so a collision costs an allocation, never a wrong
// string. Slots are atomic so that the decoding workers share it without
// a lock.
var internTable [internSlots]atomic.Pointer[string]

var internSeed = maphash.MakeSeed()

// intern returns a string equal to b, shared with earlier calls when it
// is still in the table.
func intern(b []byte) string {
	if len(b) > maxInterned {
		return string(b)
	}
	slot := &internTable[maphash.Bytes(internSeed, b)&(internSlots-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}

// Package shard says which of several aggregator workers owns what, when
// they share one city (docs/deploy.md, "Several aggregators").
//
// Workers are numbered slots (natsbus.Workers claims them). An owner is
// chosen by rendezvous hashing (highest random weight): every worker
// computes the same answer from the same list of live slots, with no
// coordination, and when a slot joins or leaves only the keys it wins or
// held change hands, about 1/N of them.
package shard

import "hash/fnv"

// Keys of the chores one worker does for the group, since every worker
// holds the same state and one doing them does them for all. Owner, asked
// about each, says which worker.
const (
	// CityScoreKey: scoring the city against the truth for /metrics
	// (every cluster, unicity), the costliest part of a slow read.
	CityScoreKey = "exhaust:city"
	// SnapshotsKey: the periodic snapshots of the state. Views of the
	// group may differ for a moment as workers come and go, so two may
	// save at once, or none for up to the slots' TTL after the one on
	// duty dies: a snapshot taken twice or a little late, never lost.
	SnapshotsKey = "exhaust:snapshots"
)

// Owner returns the slot of live that owns key, or -1 if live is empty.
// The order of live does not matter.
func Owner(key string, live []int) int {
	h := fnv.New64a()
	h.Write([]byte(key))
	k := h.Sum64()
	best, owner := uint64(0), -1
	for _, slot := range live {
		w := mix(k ^ mix(uint64(slot)+1))
		if owner < 0 || w > best || (w == best && slot < owner) {
			best, owner = w, slot
		}
	}
	return owner
}

// mix is SplitMix64's finaliser: every bit of x moves about half of the
// result's, so a key's weights for neighbouring slots are unrelated.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

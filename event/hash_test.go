package event_test

import (
	"hash/fnv"
	"testing"

	"exhaust/event"
)

// TestIDHash: ID.Hash is FNV-1a over kind, a zero byte and value, as the
// standard library computes it (saved state holds these hashes), and the
// separator keeps a kind's end from passing for a value's start.
func TestIDHash(t *testing.T) {
	for _, id := range []event.ID{{}, {Kind: event.IMSI, Value: "208011234567890"}, {Kind: "x", Value: "é"}} {
		h := fnv.New64a()
		h.Write([]byte(string(id.Kind) + "\x00" + id.Value))
		if got, want := id.Hash(), h.Sum64(); got != want {
			t.Errorf("%v.Hash() = %#x, want %#x", id, got, want)
		}
	}
	if (event.ID{Kind: "ab", Value: "c"}).Hash() == (event.ID{Kind: "a", Value: "bc"}).Hash() {
		t.Error("kind ab value c hashes as kind a value bc")
	}
}

package natsbus

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// change is a key-value entry as the slots' watcher delivers it.
type change struct {
	jetstream.KeyValueEntry // only Key and Operation are used
	key                     string
	op                      jetstream.KeyValueOp
}

func (c change) Key() string                     { return c.key }
func (c change) Operation() jetstream.KeyValueOp { return c.op }

// TestLiveFollowsTheWatcher: slots come and go with their keys' changes, a
// slot whose key stops changing drops out after the TTL, measured on the
// changes the watcher delivers, so a watcher cut off keeps the last view.
func TestLiveFollowsTheWatcher(t *testing.T) {
	t0 := time.Unix(1000, 0)
	now := t0
	w := &Worker{slot: 1, ttl: 10 * time.Second, now: func() time.Time { return now }, seen: map[int]time.Time{}}
	live := func(want ...int) {
		t.Helper()
		if got := w.Live(); !slices.Equal(got, want) {
			t.Fatalf("at %s: live %v, want %v", now.Sub(t0), got, want)
		}
	}
	put := func(key string) { w.note(change{key: key, op: jetstream.KeyValuePut}) }

	live(1)
	put("slot.0")
	put("slot.2")
	live(0, 1, 2)
	// Slot 2 dies; 0 and this worker keep beating.
	for range 4 {
		now = now.Add(3 * time.Second)
		put("slot.0")
		put("slot.1")
	}
	live(0, 1)
	// Cut off: nothing delivered for a minute changes nothing.
	now = now.Add(time.Minute)
	live(0, 1)
	// Slot 0 leaves.
	w.note(change{key: "slot.0", op: jetstream.KeyValueDelete})
	live(1)
	put("not-a-slot")
	live(1)
}

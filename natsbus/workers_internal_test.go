package natsbus

import (
	"context"
	"log/slog"
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

// lossyKV is a real bucket whose first creates go unanswered: stored (when
// store is set) or not, the caller sees only its context running out, as
// when the bucket's stream changes leader under the request.
type lossyKV struct {
	jetstream.KeyValue
	lose  int  // creates left to lose
	store bool // whether a lost create was stored
}

func (kv *lossyKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	if kv.lose == 0 {
		return kv.KeyValue.Create(ctx, key, value, opts...)
	}
	kv.lose--
	if kv.store {
		if _, err := kv.KeyValue.Create(ctx, key, value, opts...); err != nil {
			return 0, err
		}
	}
	<-ctx.Done()
	return 0, ctx.Err()
}

// TestClaimSurvivesAnUnansweredCreate: a create that gets no answer is
// tried again on the same slot, within the caller's context, and one that
// was stored all the same is found to be this worker's own, not taken as
// a namesake's (which would move the worker to the next slot and leave a
// ghost holding slot 0 for a TTL).
func TestClaimSurvivesAnUnansweredCreate(t *testing.T) {
	js := startJetStream(t, "")
	ctx, cancel := context.WithTimeout(t.Context(), 4*apiTimeout)
	defer cancel()
	real, err := ensureWorkerBucket(ctx, js, 0, DefaultWorkerTTL)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		store bool
	}{{"lost before it was stored", false}, {"stored, its answer lost", true}} {
		t.Run(c.name, func(t *testing.T) {
			if err := real.Purge(ctx, slotKey(0)); err != nil {
				t.Fatal(err)
			}
			kv := &lossyKV{KeyValue: real, lose: 1, store: c.store}
			w := &Worker{kv: kv, log: slog.New(slog.DiscardHandler)}
			info := WorkerInfo{Host: c.name, Started: time.Now()}
			if err := w.claim(ctx, info); err != nil {
				t.Fatal(err)
			}
			if w.slot != 0 {
				t.Errorf("claimed slot %d, want 0", w.slot)
			}
			entry, err := real.Get(ctx, slotKey(0))
			if err != nil {
				t.Fatal(err)
			}
			if entry.Revision() != w.rev || string(entry.Value()) != string(w.value) {
				t.Errorf("slot 0 holds revision %d %s; the worker has %d %s", entry.Revision(), entry.Value(), w.rev, w.value)
			}
		})
	}
}

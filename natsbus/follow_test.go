package natsbus_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// TestFollowTruth checks that a follower sees the truth published before it
// started (latest per person only) and what is published afterwards.
func TestFollowTruth(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 20*time.Second)
	if _, err := natsbus.EnsureTruthStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ id, data string }{{"hero", "v1"}, {"p1", "a"}, {"hero", "v2"}} {
		if err := natsbus.PublishTruth(ctx, js, p.id, []byte(p.data)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	n := 0
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- natsbus.FollowTruth(runCtx, js, func(subject string, data []byte) {
			mu.Lock()
			defer mu.Unlock()
			seen[subject] = string(data)
			n++
		})
	}()
	snapshot := func() (map[string]string, int) {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]string{}
		for k, v := range seen {
			out[k] = v
		}
		return out, n
	}
	waitFor(t, 10*time.Second, "the stored truth", func() bool { _, got := snapshot(); return got >= 2 })
	if err := natsbus.PublishTruth(ctx, js, "p2", []byte("b")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the new truth", func() bool { _, got := snapshot(); return got >= 3 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("FollowTruth = %v, want context.Canceled", err)
	}
	got, count := snapshot()
	want := map[string]string{"truth.exhaust.person.hero": "v2", "truth.exhaust.person.p1": "a", "truth.exhaust.person.p2": "b"}
	if count != 3 || len(got) != len(want) {
		t.Fatalf("saw %d messages %v, want %v", count, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

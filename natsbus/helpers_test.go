package natsbus_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
)

// testCtx returns a context that bounds a test step; it is a safety net
// against hangs, not a synchronisation device.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// quiet is a logger for tests that expect errors and warnings.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not synchronisation
	}
}

// ensureStream creates the EXHAUST stream with default settings.
func ensureStream(t *testing.T, js jetstream.JetStream) jetstream.Stream {
	t.Helper()
	s, err := natsbus.EnsureStream(testCtx(t, 10*time.Second), js, natsbus.DefaultStreamConfig())
	if err != nil {
		t.Fatalf("EnsureStream: %v", err)
	}
	return s
}

// streamMsgIDs reads every message of stream and counts each Nats-Msg-Id.
func streamMsgIDs(t *testing.T, stream jetstream.Stream) map[string]int {
	t.Helper()
	ctx := testCtx(t, 20*time.Second)
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	want := int(info.State.Msgs)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("ordered consumer: %v", err)
	}
	ids := make(map[string]int, want)
	for got := 0; got < want; {
		batch, err := cons.Fetch(min(want-got, 1000), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			ids[m.Headers().Get(jetstream.MsgIDHeader)]++
			n++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatalf("fetch batch: %v", err)
		}
		if n == 0 {
			t.Fatalf("fetch returned nothing after %d of %d messages", got, want)
		}
		got += n
	}
	return ids
}

// streamMsgs returns the number of messages in stream.
func streamMsgs(t *testing.T, stream jetstream.Stream) uint64 {
	t.Helper()
	info, err := stream.Info(testCtx(t, 5*time.Second))
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

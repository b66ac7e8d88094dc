package natsbus

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestPublisherSettlesAMessageOnce: the library may report one message
// twice (a publish it retried on its own after no responders, failed by
// the disconnect and by the retry both), so two copies are stored or
// dropped as duplicates and each gets an ack. The second report must not
// free a window slot again: the pending count would fall below zero, and
// Flush, waiting for it to reach zero, would never return.
func TestPublisherSettlesAMessageOnce(t *testing.T) {
	js := startJetStream(t, "")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := EnsureStream(ctx, js, DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	p, err := NewPublisher(js, PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	publish := func(from, to int) {
		t.Helper()
		for i := from; i <= to; i++ {
			if err := p.Publish(ctx, "exhaust.test.tick", "once-"+strconv.Itoa(i), []byte(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	publish(1, 3)
	// Message 2 reported again: acknowledged as a duplicate, then failed.
	again := &nats.Msg{Subject: "exhaust.test.tick", Header: nats.Header{PublisherSeqHeader: []string{"2"}}}
	p.onAck(js, again, &jetstream.PubAck{Stream: StreamName, Duplicate: true})
	p.fail(again, ErrNoStream)
	if st := p.Stats(); st.Pending != 0 || st.Failed != 0 || p.inflight.Load() != 0 {
		t.Fatalf("after message 2 reported twice: %d pending, %d failed, %d in flight; want 0, 0, 0", st.Pending, st.Failed, p.inflight.Load())
	}
	if err := p.takeErr(); err != nil {
		t.Errorf("a message stored was reported failed: %v", err)
	}
	publish(4, 5) // Flush returns: nothing is counted pending for ever
	if st := p.Stats(); st.Pending != 0 || st.Published != 5 {
		t.Errorf("stats %+v, want 5 published, 0 pending", st)
	}
}

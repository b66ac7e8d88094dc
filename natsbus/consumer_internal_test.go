package natsbus

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestConsumerFillsGaps simulates deliveries lost in transit: the consumer
// is positioned after 6 but believes it handled only up to 2, so the first
// delivery (7) reveals a gap. The handler must see 3..6 first, read from
// the stream, except 5, which was deleted from the stream (a real gap).
func TestConsumerFillsGaps(t *testing.T) {
	js := startJetStream(t, t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	stream, err := EnsureStream(ctx, js, DefaultStreamConfig())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		if _, err := js.Publish(ctx, "exhaust.test.gap", []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.DeleteMsg(ctx, 5); err != nil {
		t.Fatal(err)
	}
	c, err := OpenConsumer(ctx, js, ConsumerConfig{Durable: "gap", Log: slog.New(slog.DiscardHandler)}, 6)
	if err != nil {
		t.Fatal(err)
	}
	c.last = 2 // deliveries 3..6 "lost"

	var got []string
	stop := errors.New("done")
	err = c.Run(ctx, func(_ context.Context, m *Message) error {
		got = append(got, strconv.FormatUint(m.Seq, 10)+"="+string(m.Data))
		if m.Seq == 10 {
			return stop
		}
		return nil
	}, nil)
	if !errors.Is(err, stop) {
		t.Fatalf("Run: %v", err)
	}
	want := []string{"3=3", "4=4", "6=6", "7=7", "8=8", "9=9", "10=10"}
	if len(got) != len(want) {
		t.Fatalf("handled %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("handled %v, want %v", got, want)
		}
	}
}

// heartbeatIterator reports a missed heartbeat before each delivery, as
// the client does after a stall, then blocks until its context ends.
type heartbeatIterator struct {
	jetstream.MessagesContext
	msgs   []jetstream.Msg
	missed bool
}

func (it *heartbeatIterator) Next(opts ...jetstream.NextOpt) (jetstream.Msg, error) {
	if !it.missed && len(it.msgs) > 0 {
		it.missed = true
		return nil, jetstream.ErrNoHeartbeat
	}
	if len(it.msgs) > 0 {
		it.missed = false
		m := it.msgs[0]
		it.msgs = it.msgs[1:]
		return m, nil
	}
	return nil, context.DeadlineExceeded // the period's end
}

// seqMsg is a delivery of stream sequence seq; only what deliver calls is
// implemented.
type seqMsg struct {
	jetstream.Msg
	seq uint64
}

func (m seqMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: m.seq}, NumDelivered: 1}, nil
}
func (m seqMsg) Subject() string      { return "exhaust.test" }
func (m seqMsg) Headers() nats.Header { return nil }
func (m seqMsg) Data() []byte         { return nil }
func (m seqMsg) Ack() error           { return nil }

// TestConsumerSurvivesMissedHeartbeats: a missed heartbeat is a report
// from the client (its iterator stays usable), so the period goes on and
// every message is handled.
func TestConsumerSurvivesMissedHeartbeats(t *testing.T) {
	c := &Consumer{cfg: ConsumerConfig{Log: slog.New(slog.DiscardHandler)}.withDefaults()}
	it := &heartbeatIterator{msgs: []jetstream.Msg{seqMsg{seq: 1}, seqMsg{seq: 2}}}
	var got []uint64
	err := c.runPeriod(t.Context(), it, func(_ context.Context, m *Message) error {
		got = append(got, m.Seq)
		return nil
	})
	if err != nil {
		t.Fatalf("runPeriod: %v", err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("handled %v, want [1 2]", got)
	}
}

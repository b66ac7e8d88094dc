package natsbus_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// publishN publishes n messages "1".."n" (after the stream's current last
// message) to exhaust.test.n and waits for their acks.
func publishN(t *testing.T, js jetstream.JetStream, n int) {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	for i := 1; i <= n; i++ {
		if _, err := js.Publish(ctx, "exhaust.test.n", []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
}

// collector records what a Handler sees.
type collector struct {
	mu   sync.Mutex
	seqs []uint64
}

func (c *collector) handle(_ context.Context, m *natsbus.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqs = append(c.seqs, m.Seq)
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seqs)
}

func (c *collector) got() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]uint64(nil), c.seqs...)
}

// consumeUntil runs c with h until h has seen want messages in total, then
// stops it and returns Run's error.
func consumeUntil(t *testing.T, c *natsbus.Consumer, col *collector, want int) {
	t.Helper()
	ctx, cancel := context.WithCancel(testCtx(t, 20*time.Second))
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, col.handle, nil) }()
	waitFor(t, 10*time.Second, strconv.Itoa(want)+" messages handled (have "+fmtSeqs(col)+")", func() bool { return col.count() >= want })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// waitAcked waits until the durable has acknowledged everything up to seq.
func waitAcked(t *testing.T, js jetstream.JetStream, durable string, seq uint64) {
	t.Helper()
	waitFor(t, 10*time.Second, "ack floor "+strconv.FormatUint(seq, 10), func() bool {
		cons, err := js.Consumer(t.Context(), natsbus.StreamName, durable)
		if err != nil {
			return false
		}
		info, err := cons.Info(t.Context())
		return err == nil && info.AckFloor.Stream >= seq
	})
}

// TestConsumerPositionsAfterSequence checks that a consumer opened after
// sequence S delivers S+1 onwards, in order, whatever the durable had
// acknowledged before: behind the position, ahead of it (a snapshot older
// than the acks, the kill -9 case) or nothing.
func TestConsumerPositionsAfterSequence(t *testing.T) {
	const n = 40
	tests := []struct {
		name     string
		acked    int // messages the durable acknowledged before (0: no durable)
		after    uint64
		fallback bool // the durable exists with a start sequence (created by the fallback)
	}{
		{"fresh durable from the start", 0, 0, false},
		{"fresh durable mid-stream", 0, 17, false},
		{"acks ahead of the snapshot", 30, 12, false},
		{"acks behind the snapshot", 10, 25, false},
		{"snapshot covers everything", 40, 40, false},
		{"back to the start", 40, 0, false},
		{"durable from the fallback path", 0, 9, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := natstest.RunServer(t)
			_, js := natstest.Connect(t, srv)
			ensureStream(t, js)
			publishN(t, js, n)
			cfg := natsbus.ConsumerConfig{Durable: "agg", Log: quiet(), Tick: 50 * time.Millisecond}
			ctx := testCtx(t, 20*time.Second)
			if tc.acked > 0 {
				c, err := natsbus.OpenConsumer(ctx, js, cfg, 0)
				if err != nil {
					t.Fatal(err)
				}
				// Stop right after the last message to acknowledge (a
				// handler error leaves its message unacknowledged), so the
				// ack floor is exactly tc.acked.
				stop := errors.New("stop")
				primeCtx, cancel := context.WithCancel(ctx)
				err = c.Run(primeCtx, func(_ context.Context, m *natsbus.Message) error {
					if m.Seq > uint64(tc.acked) {
						return stop
					}
					if m.Seq == uint64(tc.acked) {
						cancel()
					}
					return nil
				}, nil)
				cancel()
				if !errors.Is(err, stop) && !errors.Is(err, context.Canceled) {
					t.Fatalf("priming Run: %v", err)
				}
				waitAcked(t, js, "agg", uint64(tc.acked))
			}
			if tc.fallback {
				if _, err := js.CreateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
					Durable: "agg", AckPolicy: jetstream.AckExplicitPolicy,
					DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: 30,
				}); err != nil {
					t.Fatal(err)
				}
			}
			c, err := natsbus.OpenConsumer(ctx, js, cfg, tc.after)
			if err != nil {
				t.Fatalf("OpenConsumer: %v", err)
			}
			if tc.fallback {
				// The durable could not be updated to deliver everything:
				// it was recreated at the position instead.
				cons, err := js.Consumer(ctx, natsbus.StreamName, "agg")
				if err != nil {
					t.Fatal(err)
				}
				if cfg := cons.CachedInfo().Config; cfg.DeliverPolicy != jetstream.DeliverByStartSequencePolicy || cfg.OptStartSeq != tc.after+1 {
					t.Errorf("recreated durable: deliver policy %v from %d, want by start sequence from %d", cfg.DeliverPolicy, cfg.OptStartSeq, tc.after+1)
				}
			}
			if c.Last() != tc.after {
				t.Errorf("Last() = %d, want %d", c.Last(), tc.after)
			}
			want := seqRange(tc.after+1, n)
			col := &collector{}
			if len(want) > 0 {
				consumeUntil(t, c, col, len(want))
			}
			// Whatever arrives later must not be more messages: publish one
			// more and check it comes right after.
			publishN(t, js, 1)
			consumeUntil(t, c, col, len(want)+1)
			want = append(want, n+1)
			if got := col.got(); !equalSeqs(got, want) {
				t.Errorf("handled %v, want %v", got, want)
			}
			waitAcked(t, js, "agg", n+1)
		})
	}
}

// TestConsumerDropsRedeliveries makes the server redeliver messages (the
// handler holds the first one past AckWait): the handler must still see
// every message exactly once, in order.
func TestConsumerDropsRedeliveries(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ensureStream(t, js)
	const n = 20
	publishN(t, js, n)
	ctx := testCtx(t, 30*time.Second)
	c, err := natsbus.OpenConsumer(ctx, js, natsbus.ConsumerConfig{
		Durable: "slow", AckWait: 100 * time.Millisecond, Batch: 64, MaxAckPending: 128, Log: quiet(),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	slowFirst := func(ctx context.Context, m *natsbus.Message) error {
		if m.Seq == 1 {
			// Hold the first message until the server has redelivered
			// something: its buffered successors have timed out too, and
			// the open pull request (the batch is larger than the stream)
			// receives them again.
			waitFor(t, 10*time.Second, "a redelivery", func() bool {
				cons, err := js.Consumer(ctx, natsbus.StreamName, "slow")
				if err != nil {
					return false
				}
				info, err := cons.Info(ctx)
				return err == nil && info.NumRedelivered > 0
			})
		}
		return col.handle(ctx, m)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx, slowFirst, nil) }()
	waitAcked(t, js, "slow", n)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if got, want := col.got(), seqRange(1, n); !equalSeqs(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
}

// TestConsumerHandlerErrorStopsWithoutAck checks that a failing handler
// stops Run with its error and leaves the message unacknowledged.
func TestConsumerHandlerErrorStopsWithoutAck(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ensureStream(t, js)
	publishN(t, js, 5)
	ctx := testCtx(t, 20*time.Second)
	c, err := natsbus.OpenConsumer(ctx, js, natsbus.ConsumerConfig{Durable: "fail", Log: quiet()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = c.Run(ctx, func(_ context.Context, m *natsbus.Message) error {
		if m.Seq == 3 {
			return boom
		}
		return nil
	}, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the handler's error", err)
	}
	if c.Last() != 2 {
		t.Errorf("Last() = %d, want 2", c.Last())
	}
	waitAcked(t, js, "fail", 2)
	cons, err := js.Consumer(ctx, natsbus.StreamName, "fail")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Stream != 2 {
		t.Errorf("ack floor %d, want 2: the failed message must stay unacknowledged", info.AckFloor.Stream)
	}
}

// TestConsumerTicksWhenIdle checks that tick runs with no message at all,
// and that its error stops Run.
func TestConsumerTicksWhenIdle(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ensureStream(t, js)
	ctx := testCtx(t, 20*time.Second)
	c, err := natsbus.OpenConsumer(ctx, js, natsbus.ConsumerConfig{Durable: "idle", Tick: 20 * time.Millisecond, Log: quiet()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough ticks")
	ticks := 0
	err = c.Run(ctx, func(context.Context, *natsbus.Message) error {
		t.Error("handler called on an empty stream")
		return nil
	}, func(context.Context) error {
		if ticks++; ticks == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Run = %v, want the tick's error", err)
	}
}

func TestConsumerConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  natsbus.ConsumerConfig
		ok   bool
	}{
		{"defaults", natsbus.ConsumerConfig{}, true},
		{"dotted name", natsbus.ConsumerConfig{Durable: "a.b"}, false},
		{"wildcard name", natsbus.ConsumerConfig{Durable: "a*"}, false},
		{"negative ack wait", natsbus.ConsumerConfig{AckWait: -time.Second}, false},
		{"window below batch", natsbus.ConsumerConfig{MaxAckPending: 10, Batch: 100}, false},
		{"negative tick", natsbus.ConsumerConfig{Tick: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestEnsureStreamExistsKeepsProducerLimits(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	// Missing: created with the given config.
	s, err := natsbus.EnsureStreamExists(ctx, js, natsbus.DefaultStreamConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != natsbus.DefaultStreamConfig().MaxAge {
		t.Errorf("created stream max age %s", got)
	}
	// Present with other limits: left alone.
	cfg := natsbus.DefaultStreamConfig()
	cfg.MaxAge = time.Hour
	cfg.Duplicates = time.Minute
	if _, err := natsbus.EnsureStream(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	s, err = natsbus.EnsureStreamExists(ctx, js, natsbus.DefaultStreamConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != time.Hour {
		t.Errorf("existing stream's max age changed to %s, want 1h kept", got)
	}
}

func fmtSeqs(c *collector) string {
	s := ""
	for _, q := range c.got() {
		s += strconv.FormatUint(q, 10) + " "
	}
	return s
}

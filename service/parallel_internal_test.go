package service

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/world"
)

// fakeMsg is a delivery of one stream message. Only what the pipeline
// calls is implemented.
type fakeMsg struct {
	jetstream.Msg
	seq, delivered, pending uint64
	data                    []byte
	onAck                   func(seq uint64)
}

func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: m.seq}, NumDelivered: m.delivered, NumPending: m.pending}, nil
}
func (m *fakeMsg) Subject() string                 { return "exhaust.test" }
func (m *fakeMsg) Headers() nats.Header            { return nil }
func (m *fakeMsg) Data() []byte                    { return m.data }
func (m *fakeMsg) Ack() error                      { m.onAck(m.seq); return nil }
func (m *fakeMsg) Reply() string                   { return "" }
func (m *fakeMsg) Term() error                     { return errors.New("unexpected Term") }
func (m *fakeMsg) Nak() error                      { return errors.New("unexpected Nak") }
func (m *fakeMsg) InProgress() error               { return errors.New("unexpected InProgress") }
func (m *fakeMsg) DoubleAck(context.Context) error { return errors.New("unexpected DoubleAck") }

// fakeIterator hands out scripted deliveries, then blocks until stopped.
// nexts counts the calls to Next; errs holds errors Next returns instead
// of a delivery, by call number.
type fakeIterator struct {
	jetstream.MessagesContext
	mu      sync.Mutex
	msgs    []jetstream.Msg
	errs    map[int]error
	nexts   int
	onNext  func(n int)
	stopped chan struct{}
	once    sync.Once
}

func (it *fakeIterator) Next(...jetstream.NextOpt) (jetstream.Msg, error) {
	it.mu.Lock()
	it.nexts++
	n := it.nexts
	if err := it.errs[n]; err != nil {
		it.mu.Unlock()
		return nil, err
	}
	var m jetstream.Msg
	if len(it.msgs) > 0 {
		m, it.msgs = it.msgs[0], it.msgs[1:]
	}
	it.mu.Unlock()
	if it.onNext != nil {
		it.onNext(n)
	}
	if m != nil {
		return m, nil
	}
	<-it.stopped
	return nil, jetstream.ErrMsgIteratorClosed
}

func (it *fakeIterator) Stop() { it.once.Do(func() { close(it.stopped) }) }

// fakeStream serves GetMsg from a map, for gap filling.
type fakeStream struct {
	jetstream.Stream
	msgs map[uint64][]byte
}

func (s *fakeStream) Info(context.Context, ...jetstream.StreamInfoOpt) (*jetstream.StreamInfo, error) {
	return &jetstream.StreamInfo{State: jetstream.StreamState{FirstSeq: 1}}, nil
}

func (s *fakeStream) GetMsg(_ context.Context, seq uint64, _ ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error) {
	data, ok := s.msgs[seq]
	if !ok {
		return nil, jetstream.ErrMsgNotFound
	}
	return &jetstream.RawStreamMsg{Subject: "exhaust.test", Sequence: seq, Data: data}, nil
}

// blockingObserver holds the applier inside the first Consumed call until
// release is closed.
type blockingObserver struct {
	NopObserver
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (o *blockingObserver) Consumed(string) {
	o.once.Do(func() {
		close(o.entered)
		<-o.release
	})
}

// noJS is a JetStream context the pipeline must not use (no rejects, no
// snapshots in these tests).
type noJS struct{ jetstream.JetStream }

func testEvents(t *testing.T, n int) [][]byte {
	t.Helper()
	day := testDay(t)
	var out [][]byte
	for _, p := range producers.All() {
		evs, err := producers.Collect(p, 1, day)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			raw, err := e.Encode()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, raw)
			if len(out) == n {
				return out
			}
		}
	}
	t.Fatalf("only %d events generated, want %d", len(out), n)
	return nil
}

// TestPipelineAppliesInOrderAndAcksAfterApplying scripts the deliveries a
// server can make: a redelivery of a message still queued, and a gap
// (message 4 lost in transit, delivered later). Every message must be
// handled once, in stream order, and every ack must come after its
// message was handled. The server's pending counts decide the batches:
// one message each when it says nothing more is pending, or several.
func TestPipelineAppliesInOrderAndAcksAfterApplying(t *testing.T) {
	tests := []struct {
		name    string
		pending map[uint64]uint64 // by sequence; the late 4 has none
	}{
		{"caught up: batches of one", map[uint64]uint64{}},
		{"catching up: one batch", map[uint64]uint64{1: 5, 2: 4, 3: 3, 5: 1, 6: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testPipeline(t, tt.pending) })
	}
}

func testPipeline(t *testing.T, pending map[uint64]uint64) {
	raws := testEvents(t, 6)
	validator, err := event.NewValidator(producers.Schemas(producers.All()...))
	if err != nil {
		t.Fatal(err)
	}
	engine := aggregator.New(aggregator.DefaultConfig())
	obs := &blockingObserver{entered: make(chan struct{}), release: make(chan struct{})}
	s, err := New(Config{JS: noJS{}, Engine: engine, Validator: validator, Observer: obs, Workers: 3,
		SnapshotEvery: -1, SnapshotInterval: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	type ack struct{ seq, handledUpTo uint64 }
	var acks []ack
	onAck := func(seq uint64) {
		mu.Lock()
		acks = append(acks, ack{seq, s.lastSeq.Load()})
		mu.Unlock()
	}
	msg := func(seq, delivered uint64) *fakeMsg {
		p := pending[seq]
		if delivered > 1 || seq == 4 {
			p = 0
		}
		return &fakeMsg{seq: seq, delivered: delivered, pending: p, data: raws[seq-1], onAck: onAck}
	}
	// 1, 2, 1 again, 3, 5 (4 is missing: read from the stream), 6, 4.
	it := &fakeIterator{
		msgs:    []jetstream.Msg{msg(1, 1), msg(2, 1), msg(1, 2), msg(3, 1), msg(5, 1), msg(6, 1), msg(4, 2)},
		stopped: make(chan struct{}),
	}
	// The applier is held on message 1 until the reader has queued the
	// redelivery of message 1 (it is back in Next for the next one).
	it.onNext = func(n int) {
		if n == 4 {
			close(obs.release)
		}
	}
	stream := &fakeStream{msgs: map[uint64][]byte{4: raws[3]}}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.pipeline(ctx, it, stream, time.Hour) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n == 7 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled up to %d, %d acks", s.lastSeq.Load(), n)
		}
		time.Sleep(time.Millisecond) // polling interval
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("pipeline: %v, want context.Canceled", err)
	}

	if got := s.handled.Load(); got != 6 {
		t.Errorf("handled %d messages, want 6 (each once)", got)
	}
	if got := engine.Seq(); got != 6 {
		t.Errorf("engine at sequence %d, want 6", got)
	}
	if got := engine.Stats().Events; got != 6 {
		t.Errorf("engine applied %d events, want 6", got)
	}
	mu.Lock()
	defer mu.Unlock()
	acked := map[uint64]int{}
	for _, a := range acks {
		acked[a.seq]++
		if a.handledUpTo < a.seq {
			t.Errorf("message %d acknowledged when only %d were handled", a.seq, a.handledUpTo)
		}
	}
	// Every delivery acked: 1 twice; 4 once (its delivery, after being
	// handled from the stream).
	want := map[uint64]int{1: 2, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1}
	for seq, n := range want {
		if acked[seq] != n {
			t.Errorf("message %d acknowledged %d times, want %d (acks %v)", seq, acked[seq], n, acks)
		}
	}

	// The same events applied one by one give the same state.
	ref := aggregator.New(aggregator.DefaultConfig())
	for i, raw := range raws {
		ev, err := validator.Validate(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ref.Apply(uint64(i+1), ev); err != nil {
			t.Fatal(err)
		}
	}
	if g, w := engine.Stats(), ref.Stats(); g.Events != w.Events || g.Profiles != w.Profiles {
		t.Errorf("stats %+v, want %+v", g, w)
	}
}

// testDay is day 1 of a tiny city.
func testDay(t *testing.T) *world.Day {
	t.Helper()
	w, err := world.New(world.Config{Seed: 1, Persons: 3})
	if err != nil {
		t.Fatal(err)
	}
	return w.Day(1)
}

// TestPipelineSurvivesMissedHeartbeats: the client reports a missed
// heartbeat from Next (the server had no pull from it for a while, as after
// a long stall of the applier) and the iterator stays usable. The reader
// must keep pulling, not end the run.
func TestPipelineSurvivesMissedHeartbeats(t *testing.T) {
	raws := testEvents(t, 3)
	validator, err := event.NewValidator(producers.Schemas(producers.All()...))
	if err != nil {
		t.Fatal(err)
	}
	engine := aggregator.New(aggregator.DefaultConfig())
	s, err := New(Config{JS: noJS{}, Engine: engine, Validator: validator, Workers: 2,
		SnapshotEvery: -1, SnapshotInterval: -1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var acked atomic.Int64
	msg := func(seq uint64) *fakeMsg {
		return &fakeMsg{seq: seq, delivered: 1, data: raws[seq-1], onAck: func(uint64) { acked.Add(1) }}
	}
	it := &fakeIterator{
		msgs: []jetstream.Msg{msg(1), msg(2), msg(3)},
		// Before the second message, and twice in a row before the third.
		errs:    map[int]error{2: jetstream.ErrNoHeartbeat, 4: jetstream.ErrNoHeartbeat, 5: jetstream.ErrNoHeartbeat},
		stopped: make(chan struct{}),
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.pipeline(ctx, it, &fakeStream{}, time.Hour) }()
	deadline := time.Now().Add(30 * time.Second)
	for acked.Load() < 3 {
		select {
		case err := <-done:
			t.Fatalf("pipeline ended after %d messages: %v", s.handled.Load(), err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("handled %d messages, want 3", s.handled.Load())
		}
		time.Sleep(time.Millisecond) // polling interval
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("pipeline: %v, want context.Canceled", err)
	}
	if got := engine.Seq(); got != 3 {
		t.Errorf("engine at sequence %d, want 3", got)
	}
}

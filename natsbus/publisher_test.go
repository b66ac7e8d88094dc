package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

func newPublisher(t *testing.T, js jetstream.JetStream, opts natsbus.PublisherOptions) *natsbus.Publisher {
	t.Helper()
	p, err := natsbus.NewPublisher(js, opts)
	if err != nil {
		t.Fatalf("NewPublisher: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func payload(i int) []byte { return []byte(`{"n":` + strconv.Itoa(i) + `}`) }

func TestPublisherPublishesAndDedups(t *testing.T) {
	tests := []struct {
		name       string
		maxPending int
		n          int
	}{
		{"default window", 0, 2000},
		{"window of one", 1, 50},
		{"small window", 8, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.RunServer(t)
			_, js := natstest.Connect(t, srv)
			stream := ensureStream(t, js)
			p := newPublisher(t, js, natsbus.PublisherOptions{MaxPending: tt.maxPending})
			ctx := testCtx(t, 15*time.Second)

			publishAll := func() {
				t.Helper()
				for i := range tt.n {
					if err := p.Publish(ctx, "exhaust.test.tick", "m-"+strconv.Itoa(i), payload(i)); err != nil {
						t.Fatalf("Publish %d: %v", i, err)
					}
				}
				if err := p.Flush(ctx); err != nil {
					t.Fatalf("Flush: %v", err)
				}
			}

			publishAll()
			if got := streamMsgs(t, stream); got != uint64(tt.n) {
				t.Fatalf("stream holds %d messages, want %d", got, tt.n)
			}
			if s := p.Stats(); s.Published != uint64(tt.n) || s.Duplicates != 0 || s.Pending != 0 || s.Failed != 0 {
				t.Fatalf("stats after first pass = %+v, want %d published", s, tt.n)
			}

			publishAll() // the same ids again
			if got := streamMsgs(t, stream); got != uint64(tt.n) {
				t.Fatalf("stream holds %d messages after republishing, want %d", got, tt.n)
			}
			if s := p.Stats(); s.Published != uint64(tt.n) || s.Duplicates != uint64(tt.n) || s.Pending != 0 {
				t.Fatalf("stats after second pass = %+v, want %d published and %d duplicates", s, tt.n, tt.n)
			}
			for id, c := range streamMsgIDs(t, stream) {
				if c != 1 {
					t.Errorf("msg id %s stored %d times", id, c)
				}
			}
		})
	}
}

func TestPublisherPermanentErrors(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	stream := ensureStream(t, js)
	p := newPublisher(t, js, natsbus.PublisherOptions{})
	ctx := testCtx(t, 15*time.Second)

	if err := p.Publish(ctx, "exhaust.test.ok", "", []byte("x")); !errors.Is(err, natsbus.ErrNoMsgID) {
		t.Fatalf("Publish with an empty msg id = %v, want ErrNoMsgID", err)
	}

	// No stream captures "nowhere.>": JetStream answers nothing, which
	// must not be retried forever.
	if err := p.Publish(ctx, "nowhere.test", "lost-1", []byte("x")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := p.Publish(ctx, "exhaust.test.ok", "kept-1", []byte("x")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	err := p.Flush(ctx)
	var pe *natsbus.PublishError
	if !errors.As(err, &pe) || !errors.Is(err, natsbus.ErrNoStream) {
		t.Fatalf("Flush = %v, want a *PublishError wrapping ErrNoStream", err)
	}
	if pe.Subject != "nowhere.test" || pe.MsgID != "lost-1" {
		t.Errorf("PublishError names %s / %s, want nowhere.test / lost-1", pe.Subject, pe.MsgID)
	}
	if err := p.Flush(ctx); err != nil {
		t.Errorf("second Flush = %v, want nil (each failure is reported once)", err)
	}
	if s := p.Stats(); s.Failed != 1 || s.Published != 1 || s.Pending != 0 {
		t.Errorf("stats = %+v, want 1 failed, 1 published", s)
	}
	if got := streamMsgs(t, stream); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}

func TestPublisherContextEndsWhileWindowFull(t *testing.T) {
	srv := natstest.RunServer(t)
	nc, js := natstest.Connect(t, srv)
	ensureStream(t, js)
	p := newPublisher(t, js, natsbus.PublisherOptions{MaxPending: 2})
	srv.Shutdown() // nothing will ever ack
	waitFor(t, 5*time.Second, "client to notice the server is gone", func() bool { return nc.Status() != nats.CONNECTED })

	ctx := testCtx(t, 10*time.Second)
	for i := range 2 {
		if err := p.Publish(ctx, "exhaust.test.tick", fmt.Sprint("w-", i), payload(i)); err != nil {
			t.Fatalf("Publish %d into a free window: %v", i, err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := p.Publish(short, "exhaust.test.tick", "w-2", payload(2)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish into a full window = %v, want context.DeadlineExceeded", err)
	}
	short2, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if err := p.Flush(short2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush with nothing acked = %v, want context.DeadlineExceeded", err)
	}
	if s := p.Stats(); s.Pending != 2 {
		t.Fatalf("pending = %d, want 2", s.Pending)
	}
}

// TestPublisherSurvivesServerRestart stops the server while messages are in
// flight, publishes while it is down, restarts it on the same port and store,
// and checks that every message is stored exactly once, in order.
func TestPublisherSurvivesServerRestart(t *testing.T) {
	const (
		n          = 4000
		maxPending = 256
	)
	dir := t.TempDir()
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	listen := fmt.Sprintf("127.0.0.1:%d", srv.Port())

	nc, err := natsbus.Connect(testCtx(t, 5*time.Second), srv.URL(), t.Name(), quiet(), natsbus.NoReconnectBuffer())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ensureStream(t, js)
	p := newPublisher(t, js, natsbus.PublisherOptions{MaxPending: maxPending})
	ctx := testCtx(t, 30*time.Second)

	half := make(chan struct{})
	down := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			for i := range n {
				if i == n/2 {
					close(half)
					select {
					case <-down:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if err := p.Publish(ctx, "exhaust.test.tick", "r-"+strconv.Itoa(i), payload(i)); err != nil {
					return fmt.Errorf("publish %d: %w", i, err)
				}
			}
			return p.Flush(ctx)
		}()
	}()

	select {
	case <-half:
	case err := <-done:
		t.Fatalf("publisher stopped early: %v", err)
	}
	inFlight := p.Stats().Pending
	srv.Shutdown() // acks in flight are lost with the connection
	waitFor(t, 5*time.Second, "client to notice the server is gone", func() bool { return nc.Status() != nats.CONNECTED })
	close(down)
	// Publishing goes on into the outage: the publisher retries, with
	// backoff, and publishes nothing newer meanwhile.
	waitFor(t, 10*time.Second, "the publisher to retry while the server is down", func() bool { return p.Stats().Retries >= 3 })

	srv, err = natsbus.StartServer(natsbus.ServerConfig{Listen: listen, DataDir: dir, Logger: quiet()})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("publisher: %v", err)
	}

	s := p.Stats()
	t.Logf("in flight at shutdown: %d; stats: %+v", inFlight, s)
	// Each message ends with exactly one ack; it says Duplicate when an
	// earlier attempt was stored but its ack was lost with the connection.
	if s.Published+s.Duplicates != n || s.Failed != 0 || s.Pending != 0 {
		t.Errorf("stats = %+v, want %d acks (new or duplicate), none failed or pending", s, n)
	}
	stream, err := js.Stream(testCtx(t, 5*time.Second), natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	ids := streamMsgIDs(t, stream)
	if len(ids) != n {
		t.Errorf("stream holds %d distinct ids, want %d", len(ids), n)
	}
	for i := range n {
		id := "r-" + strconv.Itoa(i)
		if c := ids[id]; c != 1 {
			t.Errorf("msg id %s stored %d times, want once", id, c)
		}
	}
	if got := streamMsgs(t, stream); got != n {
		t.Errorf("stream holds %d messages, want %d", got, n)
	}
	// In the order of the Publish calls, as if the server had stayed up.
	for i := range n {
		m, err := stream.GetMsg(testCtx(t, 5*time.Second), uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Header.Get(jetstream.MsgIDHeader), "r-"+strconv.Itoa(i); got != want {
			t.Fatalf("sequence %d holds %s, want %s: the restart changed the order", i+1, got, want)
		}
	}
}

// TestPublisherRetriesLostAck drops the first ack without any disconnect: a
// plain subscriber stands in for the stream, ignores the first delivery and
// acknowledges the second. Only the ack-timeout watchdog can recover.
func TestPublisherRetriesLostAck(t *testing.T) {
	srv := natstest.RunServer(t)
	nc, js := natstest.Connect(t, srv)
	var deliveries atomic.Int32
	sub, err := nc.Subscribe("fake.stream", func(m *nats.Msg) {
		if deliveries.Add(1) == 1 {
			return // the lost ack
		}
		_ = m.Respond([]byte(`{"stream":"FAKE","seq":1}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	p := newPublisher(t, js, natsbus.PublisherOptions{AckTimeout: 100 * time.Millisecond})
	ctx := testCtx(t, 10*time.Second)
	if err := p.Publish(ctx, "fake.stream", "lost-ack-1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if s := p.Stats(); s.Published != 1 || s.Retries < 1 || s.Pending != 0 {
		t.Errorf("stats = %+v, want 1 published after at least 1 retry", s)
	}
	if got := deliveries.Load(); got < 2 {
		t.Errorf("responder saw %d deliveries, want at least 2", got)
	}
}

// TestPublisherNumbersItsMessages checks the publication headers: one
// publisher id per Publisher, and numbers from 1 in Publish order, which
// the stream holds in that order when nothing fails.
func TestPublisherNumbersItsMessages(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	stream := ensureStream(t, js)
	ctx := testCtx(t, 15*time.Second)
	ids := map[string]bool{}
	for run := range 2 {
		p := newPublisher(t, js, natsbus.PublisherOptions{MaxPending: 16})
		for i := range 100 {
			if err := p.Publish(ctx, "exhaust.test.tick", fmt.Sprintf("r%d-%d", run, i), payload(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	next, marks := map[string]uint64{}, map[string]uint64{}
	for seq := uint64(1); seq <= 200; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		pub, n, settled, ok := natsbus.Publication(m.Header)
		if !ok {
			t.Fatalf("message %d has no publication headers: %v", seq, m.Header)
		}
		ids[pub] = true
		if next[pub]++; n != next[pub] {
			t.Fatalf("message %d is number %d of %s, want %d", seq, n, pub, next[pub])
		}
		// Settled below itself at most (it was not acknowledged when
		// sent), and never back.
		if settled < 1 || settled > n || settled < marks[pub] {
			t.Fatalf("message %d (number %d) says settled below %d, after %d", seq, n, settled, marks[pub])
		}
		marks[pub] = settled
	}
	if len(ids) != 2 {
		t.Errorf("%d publisher ids for two publishers", len(ids))
	}
}

func TestPublicationRefusesBadHeaders(t *testing.T) {
	for _, h := range []nats.Header{
		{},
		{natsbus.PublisherHeader: {"p"}},
		{natsbus.PublisherHeader: {"p"}, natsbus.PublisherSeqHeader: {"0"}},
		{natsbus.PublisherHeader: {"p"}, natsbus.PublisherSeqHeader: {"-1"}},
		{natsbus.PublisherHeader: {"p"}, natsbus.PublisherSeqHeader: {"x"}},
		{natsbus.PublisherSeqHeader: {"3"}},
	} {
		if _, _, _, ok := natsbus.Publication(h); ok {
			t.Errorf("Publication(%v) ok", h)
		}
	}
	if pub, n, settled, ok := natsbus.Publication(nats.Header{natsbus.PublisherHeader: {"p"}, natsbus.PublisherSeqHeader: {"12"}}); !ok || pub != "p" || n != 12 || settled != 0 {
		t.Errorf("Publication = %q, %d, %d, %v; want p, 12, 0, true", pub, n, settled, ok)
	}
	if _, _, settled, ok := natsbus.Publication(nats.Header{natsbus.PublisherHeader: {"p"}, natsbus.PublisherSeqHeader: {"12"}, natsbus.PublisherSettledHeader: {"9"}}); !ok || settled != 9 {
		t.Errorf("settled %d, %v; want 9", settled, ok)
	}
}

// TestPublisherSettledMark checks the settled mark across what settles a
// message: an ack as new, an ack as a duplicate (the stream dropped it, so
// its number is never stored), and a failure for good. Once Flush has
// returned, the next message says every earlier one is settled.
func TestPublisherSettledMark(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	stream := ensureStream(t, js)
	ctx := testCtx(t, 15*time.Second)
	p := newPublisher(t, js, natsbus.PublisherOptions{})
	publish := func(subject, id string) {
		t.Helper()
		if err := p.Publish(ctx, subject, id, payload(1)); err != nil {
			t.Fatal(err)
		}
	}
	lastMark := func(want uint64) {
		t.Helper()
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := stream.GetMsg(ctx, info.State.LastSeq)
		if err != nil {
			t.Fatal(err)
		}
		if _, n, settled, _ := natsbus.Publication(m.Header); n != want || settled != want {
			t.Fatalf("last message: number %d, settled below %d; want %d and %d", n, settled, want, want)
		}
	}
	publish("exhaust.test.tick", "a") // 1
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	publish("exhaust.test.tick", "a") // 2: a duplicate, dropped
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	publish("nowhere.test.tick", "b") // 3: no stream, fails for good
	if err := p.Flush(ctx); !errors.Is(err, natsbus.ErrNoStream) {
		t.Fatalf("Flush after a message no stream captures: %v, want ErrNoStream", err)
	}
	publish("exhaust.test.tick", "c") // 4
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	lastMark(4)
}

// TestPublisherWindowSpansFromTheOldestUnsettled loses one message without
// a disconnect (a stream leader gone before storing it: no ack, while the
// later ones are acknowledged). The window bounds the numbers in flight
// from the oldest one not settled, so the publisher stops a window after
// it, the stall watchdog fires, and the lost message is stored again a
// window later at most, not behind everything published meanwhile.
func TestPublisherWindowSpansFromTheOldestUnsettled(t *testing.T) {
	srv := natstest.RunServer(t)
	nc, js := natstest.Connect(t, srv)
	const lost, window, total = 5, 16, 200
	var mu sync.Mutex
	var stored []uint64
	dropped := false
	sub, err := nc.Subscribe("fake.stream", func(m *nats.Msg) {
		_, n, _, _ := natsbus.Publication(m.Header)
		mu.Lock()
		defer mu.Unlock()
		if n == lost && !dropped {
			dropped = true
			return // lost with the leader
		}
		stored = append(stored, n)
		_ = m.Respond(fmt.Appendf(nil, `{"stream":"FAKE","seq":%d}`, len(stored)))
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	p := newPublisher(t, js, natsbus.PublisherOptions{MaxPending: window, AckTimeout: 100 * time.Millisecond})
	ctx := testCtx(t, 20*time.Second)
	for i := range total {
		if err := p.Publish(ctx, "fake.stream", fmt.Sprint("m-", i), payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	at := slices.Index(stored, lost)
	if at < 0 {
		t.Fatalf("message %d never stored: %v", lost, stored)
	}
	for _, n := range stored[:at] {
		if n >= lost+window {
			t.Fatalf("message %d stored after %d: the publisher went more than a window (%d) past a message it had no ack for; stored order %v",
				lost, n, window, stored[:at+1])
		}
	}
}

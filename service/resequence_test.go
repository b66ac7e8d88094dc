package service_test

import (
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/service"
)

// failoverOrder returns the order in which a stream stores n messages of
// one publisher when the leader goes away twice: each time, the block of
// w messages in flight to the old leader is published again after the w
// that followed it, which the new leader stored first.
func failoverOrder(n, w int) []int {
	order := make([]int, 0, n)
	for i := range n {
		order = append(order, i)
	}
	for _, at := range []int{n / 4, n / 2} {
		block := append([]int(nil), order[at:at+w]...)
		copy(order[at:], order[at+w:at+2*w])
		copy(order[at+w:], block)
	}
	return order
}

// publishNumbered stores ev in EXHAUST as message number n of publisher
// pub, as natsbus.Publisher numbers them; with pub empty, without the
// publication headers.
func publishNumbered(t *testing.T, js jetstream.JetStream, ev event.Event, pub string, n int) uint64 {
	t.Helper()
	data, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	h := nats.Header{jetstream.MsgIDHeader: []string{ev.ID}}
	if pub != "" {
		h.Set(natsbus.PublisherHeader, pub)
		h.Set(natsbus.PublisherSeqHeader, strconv.Itoa(n))
	}
	ack, err := js.PublishMsg(testCtx(t, 5*time.Second), &nats.Msg{Subject: ev.Subject(), Data: data, Header: h})
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// TestFailoverOrderIsUndone stores a day in the order a stream leader's
// failovers leave it, and checks that the aggregator ends exactly as if it
// had read the day in publication order, because each message says its
// place in its publisher's order. Without the headers the same stream
// ends differently, so the reordering matters to the state.
func TestFailoverOrderIsUndone(t *testing.T) {
	v := newValidator(t)
	g := generate(t, 6, 1)
	w := len(g.events) / 8
	order := failoverOrder(len(g.events), w)
	stored := make([]event.Event, len(order))
	for i, k := range order {
		stored[i] = g.events[k]
	}
	want := reference(t, v, g.events)
	if jsonOf(t, reference(t, v, stored).Profiles()) == jsonOf(t, want.Profiles()) {
		t.Fatal("the failover order ends with the same profiles as publication order: the test would prove nothing")
	}

	for _, tc := range []struct {
		name    string
		workers int
	}{{"sequential", -1}, {"parallel", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := natstest.RunServer(t)
			_, js := natstest.Connect(t, srv)
			if _, err := natsbus.EnsureStream(testCtx(t, 10*time.Second), js, natsbus.DefaultStreamConfig()); err != nil {
				t.Fatal(err)
			}
			var last uint64
			for _, k := range order {
				last = publishNumbered(t, js, g.events[k], "producer-1", k+1)
			}
			r := start(t, js, v, func(c *service.Config) { c.Workers = tc.workers; c.SnapshotEvery = 50 })
			r.waitSeq(t, last)
			r.stop(t)
			st := r.svc.Stats()
			if st.Held != 0 || st.Resequenced != uint64(2*w) || st.Gaps != 0 {
				t.Errorf("held %d, resequenced %d, gaps %d; want 0, %d, 0", st.Held, st.Resequenced, st.Gaps, 2*w)
			}
			sameProfiles(t, r.engine, want)

			// Snapshots were taken only with nothing held, so one restored
			// ends the same.
			loaded := aggregator.New(aggregator.DefaultConfig())
			h, found, err := service.LoadSnapshot(testCtx(t, 10*time.Second), js, "", loaded)
			if err != nil || !found || h.Seq != last {
				t.Fatalf("final snapshot: found %v, seq %d, %v; want seq %d", found, h.Seq, err, last)
			}
			sameProfiles(t, loaded, want)
		})
	}
}

// TestStopWhileHoldingReplaysFromTheLastSnapshot stops the aggregator while
// it holds messages for one that is not in the stream yet: it saves no
// snapshot over them, and the next start, once the missing messages are
// stored, ends as if nothing had happened.
func TestStopWhileHoldingReplaysFromTheLastSnapshot(t *testing.T) {
	v := newValidator(t)
	g := generate(t, 4, 1)
	js := exhaustStream(t)
	n := len(g.events)
	gapAt, w := n/3, 40
	var before uint64
	for k := range gapAt {
		before = publishNumbered(t, js, g.events[k], "producer-1", k+1)
	}
	var last uint64
	for k := gapAt + w; k < gapAt+2*w; k++ {
		last = publishNumbered(t, js, g.events[k], "producer-1", k+1)
	}
	first := start(t, js, v, nil)
	first.waitSeq(t, last)
	if st := first.svc.Stats(); st.Held != w {
		t.Fatalf("holding %d messages, want %d", st.Held, w)
	}
	first.stop(t)
	if st := first.svc.Stats(); st.SnapshotSeq > before {
		t.Fatalf("a snapshot at %d covers held messages (the last one before them is %d)", st.SnapshotSeq, before)
	}

	for k := gapAt; k < gapAt+w; k++ {
		publishNumbered(t, js, g.events[k], "producer-1", k+1)
	}
	for k := gapAt + 2*w; k < n; k++ {
		last = publishNumbered(t, js, g.events[k], "producer-1", k+1)
	}
	second := start(t, js, v, nil)
	second.waitSeq(t, last)
	second.stop(t)
	if st := second.svc.Stats(); st.Held != 0 || st.Resequenced != uint64(w) {
		t.Errorf("second run: held %d, resequenced %d; want 0, %d", st.Held, st.Resequenced, w)
	}
	sameProfiles(t, second.engine, reference(t, v, g.events))
}

// TestGapGivenUpAfterTheHoldTimeout stores a day without one of its
// messages: the ones after it wait the hold timeout, then are applied in
// their order, and the gap is counted.
func TestGapGivenUpAfterTheHoldTimeout(t *testing.T) {
	v := newValidator(t)
	g := generate(t, 4, 1)
	js := exhaustStream(t)
	missing := len(g.events) / 2
	var rest []event.Event
	var last uint64
	for k, ev := range g.events {
		if k == missing {
			continue
		}
		rest = append(rest, ev)
		last = publishNumbered(t, js, ev, "producer-1", k+1)
	}
	r := start(t, js, v, func(c *service.Config) {
		c.HoldTimeout = 200 * time.Millisecond
		c.SnapshotInterval = 50 * time.Millisecond
	})
	waitFor(t, 30*time.Second, "the gap given up on", func() bool { return r.svc.Stats().Gaps == 1 })
	r.waitSeq(t, last)
	r.stop(t)
	st := r.svc.Stats()
	if want := uint64(len(g.events) - missing - 1); st.Held != 0 || st.Resequenced != want {
		t.Errorf("held %d, resequenced %d; want 0, %d", st.Held, st.Resequenced, want)
	}
	sameProfiles(t, r.engine, reference(t, v, rest))
	if st.SnapshotSeq != last {
		t.Errorf("final snapshot at %d, want %d", st.SnapshotSeq, last)
	}
}

// TestNumbersTheStreamDroppedAreNotWaitedFor publishes a day through a
// natsbus.Publisher, one event of it twice: the stream drops the second as
// a duplicate, so its number never reaches the aggregator. The settled
// mark of the messages after it says so, and nothing waits for it.
func TestNumbersTheStreamDroppedAreNotWaitedFor(t *testing.T) {
	v := newValidator(t)
	g := generate(t, 4, 1)
	js := exhaustStream(t)
	ctx := testCtx(t, 30*time.Second)
	pub, err := natsbus.NewPublisher(js, natsbus.PublisherOptions{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	publish := func(ev event.Event) {
		t.Helper()
		data, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, ev.Subject(), ev.ID, data); err != nil {
			t.Fatal(err)
		}
	}
	again := len(g.events) / 2
	for i, ev := range g.events {
		if i == again {
			publish(g.events[0]) // dropped by the stream's duplicate window
			if err := pub.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		publish(ev)
	}
	if err := pub.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := pub.Stats(); st.Duplicates != 1 {
		t.Fatalf("the publisher saw %d duplicates, want 1", st.Duplicates)
	}
	stream, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, js, v, func(c *service.Config) { c.HoldTimeout = time.Hour })
	r.waitSeq(t, info.State.LastSeq)
	r.stop(t)
	if st := r.svc.Stats(); st.Held != 0 || st.Resequenced != 0 || st.Gaps != 0 {
		t.Errorf("held %d, resequenced %d, gaps %d; want none", st.Held, st.Resequenced, st.Gaps)
	}
	sameProfiles(t, r.engine, reference(t, v, g.events))
}

// exhaustStream returns a JetStream context on a new server with the
// EXHAUST stream.
func exhaustStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	if _, err := natsbus.EnsureStream(testCtx(t, 10*time.Second), js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	return js
}

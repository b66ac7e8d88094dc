package service_test

import (
	"strconv"
	"testing"
	"time"

	"exhaust/aggregator"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/service"
)

// TestWorkersDoNotChangeTheResult runs the same stream, bad messages mixed
// in, with validation on the consuming goroutine and on several workers:
// the same messages must be rejected with the same reasons, and the Engine
// must end in the same state, that of the good events applied one by one.
func TestWorkersDoNotChangeTheResult(t *testing.T) {
	v := newValidator(t)
	g := generate(t, 3, 1)
	bad := badCorpus(t, g.events[len(g.events)/2])
	for _, workers := range []int{-1, 1, 3} {
		t.Run("workers "+strconv.Itoa(workers), func(t *testing.T) {
			srv := natstest.RunServer(t)
			_, js := natstest.Connect(t, srv)
			ctx := testCtx(t, 10*time.Second)
			if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
				t.Fatal(err)
			}
			k := max(len(g.events)/len(bad), 1)
			wantReason := map[uint64]string{}
			var last uint64
			b := 0
			for i, ev := range g.events {
				last = publishEvent(t, js, ev, ev.ID)
				if i%k == k-1 && b < len(bad) {
					last = publish(t, js, "exhaust.demo.ping", "bad-"+strconv.Itoa(b), bad[b].data)
					wantReason[last] = bad[b].reason
					b++
				}
			}
			r := start(t, js, v, func(c *service.Config) { c.Workers = workers })
			r.waitSeq(t, last)
			r.stop(t)

			dlq := dlqMessages(t, js)
			if len(dlq) != len(wantReason) {
				t.Errorf("%d messages rejected, want %d", len(dlq), len(wantReason))
			}
			for seq, reason := range wantReason {
				if m := dlq[seq]; m == nil || m.Header.Get(natsbus.HeaderRejectReason) != reason {
					t.Errorf("message %d: not rejected as %s", seq, reason)
				}
			}
			if st := r.svc.Stats(); st.Applied != uint64(len(g.events)) || st.Handled != uint64(len(g.events)+len(wantReason)) {
				t.Errorf("stats %+v, want %d applied, %d handled", st, len(g.events), len(g.events)+len(wantReason))
			}
			sameProfiles(t, r.engine, reference(t, v, g.events))
		})
	}
}

// TestQueuesShowTheBacklog: with a day already in the stream, the reader
// runs ahead of the applier, and the applier reports, batch by batch and
// once for each message, how many messages wait for it: at least the
// batch it takes, more than one batch while it catches up, never more
// than the reader may queue.
func TestQueuesShowTheBacklog(t *testing.T) {
	v := newValidator(t)
	g := generate(t, 30, 1)
	js := exhaustStream(t)
	var last uint64
	for _, ev := range g.events {
		last = publishEvent(t, js, ev, ev.ID)
	}
	r := start(t, js, v, func(c *service.Config) { c.Workers = 2 })
	r.waitSeq(t, last)
	r.stop(t)

	const batch = 32 // the reader's batches, at most
	const most = service.QueueCapacity
	o := r.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	t.Logf("%d messages, %d batches; applier queue %d to %d, side queue up to %d", last, o.batches, o.applierMin, o.applierMax, o.sideMax)
	if o.batches < int(last)/batch {
		t.Errorf("queues reported %d times for %d messages, want once a batch (at least %d)", o.batches, last, int(last)/batch)
	}
	if o.queued != int(last) {
		t.Errorf("queues reported for %d messages, want each of the %d once", o.queued, last)
	}
	if o.applierMin < 1 {
		t.Errorf("applier queue %d when taking a batch, want at least the batch", o.applierMin)
	}
	if o.applierMax <= batch || o.applierMax > most {
		t.Errorf("deepest applier queue %d, want more than a batch (%d) while catching up, at most %d", o.applierMax, batch, most)
	}
	if o.sideMax > aggregator.SideQueueCapacity {
		t.Errorf("side queue %d, more than it holds (%d)", o.sideMax, aggregator.SideQueueCapacity)
	}
}

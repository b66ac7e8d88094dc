package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/deploy/deploytest"
	"exhaust/natsbus"
	"exhaust/producers"
)

// client is a connection as one user, with the asynchronous errors the
// server sent it (permission violations arrive that way).
type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

// connectAs connects to url as user with the password deploytest gave it.
func connectAs(t *testing.T, url, user string) *client {
	t.Helper()
	c := &client{errs: make(chan error, 64)}
	nc, err := nats.Connect(url,
		nats.Name(t.Name()+"/"+user),
		nats.UserInfo(user, deploytest.Password(user)),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case c.errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(nc.Close)
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantViolation waits for the server's permission violation naming what
// (e.g. `Publish to "exhaust.card.payment"`).
func (c *client) wantViolation(t *testing.T, what string) {
	t.Helper()
	want := "permissions violation for " + strings.ToLower(what)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case err := <-c.errs:
			if strings.Contains(strings.ToLower(err.Error()), want) {
				return
			}
			t.Logf("other async error: %v", err)
		case <-deadline:
			t.Fatalf("no permission violation for %s", what)
		}
	}
}

// refusePublish publishes to subject and expects the server to refuse it.
func (c *client) refusePublish(t *testing.T, subject string) {
	t.Helper()
	if err := c.nc.Publish(subject, []byte(`{}`)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
	c.wantViolation(t, fmt.Sprintf("Publish to %q", subject))
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// setupStreams creates the streams as the admin user, as exhaust setup does.
func setupStreams(t *testing.T, url string) *client {
	t.Helper()
	admin := connectAs(t, url, "admin")
	ctx := testCtx(t)
	if _, err := natsbus.EnsureStream(ctx, admin.js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatalf("admin creates EXHAUST: %v", err)
	}
	if _, err := natsbus.EnsureTruthStream(ctx, admin.js); err != nil {
		t.Fatalf("admin creates EXHAUST_TRUTH: %v", err)
	}
	return admin
}

func TestUnknownUsersAreRefused(t *testing.T) {
	url := deploytest.StartNATS(t)
	tests := []struct {
		name string
		opts []nats.Option
	}{
		{"no credentials", nil},
		{"wrong password", []nats.Option{nats.UserInfo("phone", "notThePassword")}},
		{"another user's password", []nats.Option{nats.UserInfo("phone", deploytest.Password("admin"))}},
		{"unknown user", []nats.Option{nats.UserInfo("mallory", deploytest.Password("phone"))}},
		{"token", []nats.Option{nats.Token(deploytest.Password("admin"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := nats.Connect(url, append(tt.opts, nats.MaxReconnects(0))...)
			if err == nil {
				nc.Close()
				t.Fatal("connected, want the server to refuse")
			}
			if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
				t.Fatalf("error %v, want an authorization violation", err)
			}
		})
	}
}

func TestProducersPublishOnlyTheirOwnSubjects(t *testing.T) {
	checkProducersPublishOnlyTheirOwn(t, deploytest.StartNATS(t), producers.Names())
}

// checkProducersPublishOnlyTheirOwn checks, on the server at url, that each
// of producers may publish its own subjects and nothing else, and may not
// read the stream.
func checkProducersPublishOnlyTheirOwn(t *testing.T, url string, producers []string) {
	t.Helper()
	admin := setupStreams(t, url)
	for _, p := range producers {
		t.Run(p, func(t *testing.T) {
			c := connectAs(t, url, p)
			ctx := testCtx(t)
			subject := "exhaust." + p + ".test"
			ack, err := c.js.Publish(ctx, subject, []byte(`{}`), jetstream.WithMsgID("deploy-test-"+p))
			if err != nil {
				t.Fatalf("publish to its own %s: %v", subject, err)
			}
			if ack.Stream != natsbus.StreamName {
				t.Fatalf("ack from stream %q, want %s", ack.Stream, natsbus.StreamName)
			}
			// It may ask which stream captures its subjects (stream names
			// only): the publisher and produce --setup=false need that.
			if name, err := c.js.StreamNameBySubject(ctx, subject); err != nil || name != natsbus.StreamName {
				t.Fatalf("stream for %s: %q, %v; want %s", subject, name, err, natsbus.StreamName)
			}
			other := "phone"
			if p == other {
				other = "card"
			}
			for _, forbidden := range []string{
				"exhaust." + other + ".payment", // another producer's subjects
				"exhaust.test",                  // the stream's, outside any producer
				natsbus.TruthSubject("hero"),    // the ground truth
				"dlq.exhaust.bad_json",          // the aggregator's rejects
				"$JS.API.STREAM.DELETE.EXHAUST", // the rest of the JetStream API
				"$JS.API.STREAM.PURGE.EXHAUST",
				"$JS.API.STREAM.INFO.EXHAUST",
				"$JS.API.STREAM.MSG.GET.EXHAUST",
				"$JS.API.DIRECT.GET.EXHAUST",
				"$JS.API.CONSUMER.CREATE.EXHAUST",
				"$JS.API.CONSUMER.CREATE.EXHAUST.spy",
				// The aggregators' worker group: a producer may not
				// create the bucket, claim a slot, read one or watch.
				"$JS.API.STREAM.CREATE." + workersStream,
				"$JS.API.STREAM.INFO." + workersStream,
				"$KV." + workersBucket + ".0",
				"$JS.API.DIRECT.GET." + workersStream + ".$KV." + workersBucket + ".0",
				"$JS.API.STREAM.MSG.GET." + workersStream,
				"$JS.API.CONSUMER.CREATE." + workersStream,
			} {
				c.refusePublish(t, forbidden)
			}
			// Reading the stream is the aggregator's business.
			if _, err := c.nc.SubscribeSync("exhaust.>"); err != nil {
				t.Fatal(err)
			}
			c.wantViolation(t, `Subscription to "exhaust.>"`)
		})
	}

	// The stream holds exactly the accepted messages, one per producer.
	ctx := testCtx(t)
	s, err := admin.js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(producers)) {
		t.Errorf("stream holds %d messages, want %d: %v", info.State.Msgs, len(producers), info.State.Subjects)
	}
	for _, p := range producers {
		if info.State.Subjects["exhaust."+p+".test"] != 1 {
			t.Errorf("stream subjects %v, want one exhaust.%s.test", info.State.Subjects, p)
		}
	}
}

// TestProducersCannotReadTheAggregatorsDeliveries shows why every producer
// has an account of its own: a pull consumer's messages travel to the
// puller's _INBOX, and a producer needs _INBOX.> for its acks. In a shared
// account it would receive every event delivered to the aggregator.
func TestProducersCannotReadTheAggregatorsDeliveries(t *testing.T) {
	url := deploytest.StartNATS(t)
	setupStreams(t, url)
	ctx := testCtx(t)

	spy := connectAs(t, url, "phone")
	seen, err := spy.nc.SubscribeSync("_INBOX.>")
	if err != nil {
		t.Fatal(err)
	}
	card := connectAs(t, url, "card")
	if _, err := card.js.Publish(ctx, "exhaust.card.payment", []byte(`{"secret":"card 4970"}`)); err != nil {
		t.Fatal(err)
	}
	if err := spy.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	agg := connectAs(t, url, "aggregator")
	cons, err := agg.js.CreateOrUpdateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{Durable: natsbus.DefaultConsumer, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("aggregator creates its consumer: %v", err)
	}
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		if err := m.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if got != 1 {
		t.Fatalf("aggregator fetched %d messages, want 1 (err %v)", got, batch.Error())
	}
	// The server queued anything it routed to the spy before the
	// aggregator got its message; a round trip drains the spy's socket.
	if err := spy.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	n, _, err := seen.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		m, _ := seen.NextMsg(time.Second)
		t.Fatalf("the phone user received %d messages on _INBOX.>, e.g. %s: %q", n, m.Subject, m.Data)
	}
}

func TestTruthUser(t *testing.T) {
	url := deploytest.StartNATS(t)
	setupStreams(t, url)
	ctx := testCtx(t)
	c := connectAs(t, url, "truth")
	for _, data := range []string{`{"v":1}`, `{"v":1}`, `{"v":2}`, `{"v":1}`} {
		// The second and fourth take natsbus's duplicate path, which reads
		// the stream back: the truth user may do that too.
		if err := natsbus.PublishTruth(ctx, c.js, "hero", []byte(data)); err != nil {
			t.Fatalf("publish truth %s: %v", data, err)
		}
	}
	c.refusePublish(t, "exhaust.phone.cell")
	c.refusePublish(t, "$JS.API.STREAM.DELETE.EXHAUST_TRUTH")
	c.refusePublish(t, "$JS.API.STREAM.PURGE.EXHAUST_TRUTH")
}

func TestAggregatorUser(t *testing.T) {
	url := deploytest.StartNATS(t)
	admin := setupStreams(t, url)
	ctx := testCtx(t)

	phone := connectAs(t, url, "phone")
	for i := range 3 {
		if _, err := phone.js.Publish(ctx, "exhaust.phone.cell", []byte(`{}`)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	if err := natsbus.PublishTruth(ctx, connectAs(t, url, "truth").js, "hero", []byte(`{"person":"hero"}`)); err != nil {
		t.Fatal(err)
	}

	c := connectAs(t, url, "aggregator")
	t.Run("consumes EXHAUST with its durable", func(t *testing.T) {
		if _, err := natsbus.EnsureStreamExists(ctx, c.js, natsbus.DefaultStreamConfig()); err != nil {
			t.Fatal(err)
		}
		// Opened after a snapshot at 2, then again from scratch: each open
		// creates or updates the durable and resets it.
		for _, after := range []uint64{2, 0} {
			if _, err := natsbus.OpenConsumer(ctx, c.js, natsbus.ConsumerConfig{Tick: 50 * time.Millisecond}, after); err != nil {
				t.Fatalf("open consumer after %d: %v", after, err)
			}
		}
		cons, err := natsbus.OpenConsumer(ctx, c.js, natsbus.ConsumerConfig{Tick: 50 * time.Millisecond}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cons.Pending(ctx); err != nil {
			t.Fatalf("pending: %v", err)
		}
		runCtx, stop := context.WithCancel(ctx)
		var seqs []uint64
		err = cons.Run(runCtx, func(_ context.Context, m *natsbus.Message) error {
			seqs = append(seqs, m.Seq)
			if m.Seq == 3 {
				stop()
			}
			return nil
		}, nil)
		stop()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v", err)
		}
		if fmt.Sprint(seqs) != "[1 2 3]" {
			t.Fatalf("delivered %v, want [1 2 3]", seqs)
		}
		// A gap in deliveries is filled from the stream directly.
		s, err := c.js.Stream(ctx, natsbus.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetMsg(ctx, 2); err != nil {
			t.Fatalf("get message 2: %v", err)
		}
	})
	t.Run("reads the truth", func(t *testing.T) {
		s, err := c.js.Stream(ctx, natsbus.TruthStream)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.GetLastMsgForSubject(ctx, natsbus.TruthSubject("hero"))
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != `{"person":"hero"}` {
			t.Fatalf("truth %q", m.Data)
		}
		oc, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatalf("ordered consumer on the truth: %v", err)
		}
		if _, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil {
			t.Fatalf("next truth: %v", err)
		}
		fctx, stop := context.WithCancel(ctx)
		var got []string
		err = natsbus.FollowTruth(fctx, c.js, func(subject string, _ []byte) {
			got = append(got, subject)
			stop()
		})
		stop()
		if !errors.Is(err, context.Canceled) || len(got) != 1 {
			t.Fatalf("follow truth: got %v, %v", got, err)
		}
	})
	t.Run("keeps its dead letters", func(t *testing.T) {
		if _, err := natsbus.EnsureDLQStream(ctx, c.js); err != nil {
			t.Fatal(err)
		}
		if err := natsbus.PublishReject(ctx, c.js, natsbus.Reject{Reason: "bad_json", Subject: "exhaust.phone.cell", Seq: 1, Data: []byte("{")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("keeps its snapshots", func(t *testing.T) {
		store, err := natsbus.OpenSnapshotStore(ctx, c.js, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, seq := range []uint64{2, 3} {
			if err := store.Save(ctx, seq, []byte(fmt.Sprint("state at ", seq))); err != nil {
				t.Fatalf("save: %v", err)
			}
		}
		seq, data, found, err := store.Load(ctx)
		if err != nil || !found || seq != 3 || string(data) != "state at 3" {
			t.Fatalf("load: seq %d, %q, found %v, err %v", seq, data, found, err)
		}
		if err := store.Delete(ctx); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})
	t.Run("claims and watches worker slots", func(t *testing.T) {
		checkWorkerSlots(t, ctx, c)
	})
	t.Run("joins the worker group", func(t *testing.T) {
		checkWorkerGroup(t, ctx, c)
	})
	t.Run("runs worker 1's consumer and snapshot", func(t *testing.T) {
		// Slot k consumes with the durable <default>-k and snapshots to
		// the object of the same name.
		name := natsbus.DefaultConsumer + "-1"
		object := name
		cons, err := natsbus.OpenConsumer(ctx, c.js, natsbus.ConsumerConfig{Durable: name, Tick: 50 * time.Millisecond}, 0)
		if err != nil {
			t.Fatalf("open consumer %s: %v", name, err)
		}
		if _, err := cons.Pending(ctx); err != nil {
			t.Fatalf("pending of %s: %v", name, err)
		}
		store, err := natsbus.OpenSnapshotStore(ctx, c.js, object)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Save(ctx, 3, []byte("worker 1 at 3")); err != nil {
			t.Fatalf("save %s: %v", object, err)
		}
		if seq, data, found, err := store.Load(ctx); err != nil || !found || seq != 3 || string(data) != "worker 1 at 3" {
			t.Fatalf("load %s: seq %d, %q, found %v, err %v", object, seq, data, found, err)
		}
	})
	t.Run("publishes no events and manages no other stream", func(t *testing.T) {
		for _, subject := range []string{
			"exhaust.phone.cell",
			natsbus.TruthSubject("hero"),
			"$JS.API.STREAM.CREATE.EXHAUST",
			"$JS.API.STREAM.UPDATE.EXHAUST",
			"$JS.API.STREAM.DELETE.EXHAUST",
			"$JS.API.STREAM.PURGE.EXHAUST",
			"$JS.API.STREAM.MSG.DELETE.EXHAUST",
			"$JS.API.STREAM.DELETE.EXHAUST_TRUTH",
			"$JS.API.STREAM.CREATE.ANOTHER",
			"$JS.API.STREAM.DELETE." + workersStream,
			"$JS.API.STREAM.PURGE." + workersStream,
			"$KV.ANOTHER.0",
		} {
			c.refusePublish(t, subject)
		}
		if _, err := c.nc.SubscribeSync("exhaust.>"); err != nil {
			t.Fatal(err)
		}
		c.wantViolation(t, `Subscription to "exhaust.>"`)
	})

	// Nothing the aggregator did changed the events.
	s, err := admin.js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Fatalf("EXHAUST holds %d messages, want 3", info.State.Msgs)
	}
}

// The aggregators' worker group: a JetStream key-value bucket in which each
// aggregator claims a numbered slot (exhaust aggregate; docs/deploy.md,
// "Several aggregators").
const (
	workersBucket = natsbus.WorkerBucket
	workersStream = natsbus.WorkerStream
)

// checkWorkerSlots does, as the client c, what an aggregator does with the
// worker group's bucket: create it (or find it), claim a slot with
// compare-and-set, keep it alive, read and watch the others' slots, and
// release its own.
func checkWorkerSlots(t *testing.T, ctx context.Context, c *client) {
	t.Helper()
	cfg := jetstream.KeyValueConfig{Bucket: workersBucket, History: 1, TTL: natsbus.DefaultWorkerTTL}
	kv, err := c.js.CreateKeyValue(ctx, cfg)
	if err != nil {
		t.Fatalf("create the bucket %s: %v", workersBucket, err)
	}
	// Found, or updated, by a worker that starts later.
	if _, err := c.js.KeyValue(ctx, workersBucket); err != nil {
		t.Fatalf("open the bucket %s: %v", workersBucket, err)
	}
	if _, err := c.js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
		t.Fatalf("create or update the bucket %s: %v", workersBucket, err)
	}

	watch, err := kv.WatchAll(ctx)
	if err != nil {
		t.Fatalf("watch the slots: %v", err)
	}
	defer watch.Stop()
	next := func() jetstream.KeyValueEntry {
		t.Helper()
		select {
		case e := <-watch.Updates():
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("the watcher saw nothing within 10s")
			return nil
		}
	}
	if e := next(); e != nil {
		t.Fatalf("watcher's first entry %q, want the end of the (empty) initial values", e.Key())
	}

	rev, err := kv.Create(ctx, "slot.0", []byte("worker a"))
	if err != nil {
		t.Fatalf("claim slot 0: %v", err)
	}
	if _, err := kv.Create(ctx, "slot.0", []byte("worker b")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("a second claim of slot 0: %v, want %v", err, jetstream.ErrKeyExists)
	}
	rev1, err := kv.Create(ctx, "slot.1", []byte("worker b"))
	if err != nil {
		t.Fatalf("claim slot 1: %v", err)
	}
	if rev, err = kv.Update(ctx, "slot.0", []byte("worker a"), rev); err != nil {
		t.Fatalf("heartbeat of slot 0: %v", err)
	}
	// The watcher ends with each key's latest revision. (It usually sees
	// every change, in order; an ordered consumer that restarts, as it
	// may on a busy machine, delivers each key's latest value again.)
	latest := map[string]uint64{}
	for latest["slot.0"] != rev || latest["slot.1"] != rev1 {
		if e := next(); e != nil {
			latest[e.Key()] = e.Revision()
		}
	}
	e, err := kv.Get(ctx, "slot.1")
	if err != nil || string(e.Value()) != "worker b" {
		t.Fatalf("read slot 1: %v, %v", e, err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		t.Fatalf("list the slots: %v", err)
	}
	var got []string
	for k := range keys.Keys() {
		got = append(got, k)
	}
	slices.Sort(got)
	if fmt.Sprint(got) != "[slot.0 slot.1]" {
		t.Fatalf("slots %v, want [slot.0 slot.1]", got)
	}
	for _, slot := range []struct {
		key string
		rev uint64
	}{{"slot.0", rev}, {"slot.1", rev1}} {
		key := slot.key
		if err := kv.Delete(ctx, key, jetstream.LastRevision(slot.rev)); err != nil {
			t.Fatalf("release %s: %v", key, err)
		}
		for {
			e := next()
			if e != nil && e.Key() == key && e.Operation() == jetstream.KeyValueDelete {
				break
			}
			if e != nil && e.Revision() > slot.rev && e.Operation() != jetstream.KeyValueDelete {
				t.Fatalf("watcher saw %v, want %s released", e, key)
			}
		}
	}
}

// checkWorkerGroup joins natsbus's worker group, as exhaust aggregate
// does, as the client c: two workers claim slots 0 and 1, the second sees
// both, and both leave.
func checkWorkerGroup(t *testing.T, ctx context.Context, c *client) {
	t.Helper()
	var workers []*natsbus.Worker
	for i := range 2 {
		w, err := natsbus.JoinWorkers(ctx, c.js, natsbus.WorkerInfo{Host: fmt.Sprint("worker-", i), Started: time.Now()}, nil)
		if err != nil {
			t.Fatalf("worker %d joins: %v", i, err)
		}
		if w.Slot() != i {
			t.Fatalf("worker %d has slot %d", i, w.Slot())
		}
		workers = append(workers, w)
	}
	// The second saw the first when it joined.
	if got := fmt.Sprint(workers[1].Live()); got != "[0 1]" {
		t.Fatalf("worker 1 sees the slots %s, want [0 1]", got)
	}
	for _, w := range workers {
		if err := w.Leave(ctx); err != nil {
			t.Fatalf("slot %d leaves: %v", w.Slot(), err)
		}
	}
}

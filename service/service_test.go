package service_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/producers/producertest"
	"exhaust/service"
	"exhaust/sim"
	"exhaust/world"
)

// maxSize is the validator's size limit in these tests: the bad corpus's
// oversized event is written for it, and real events are well under it.
const maxSize = 4 << 10

// newValidator returns a validator for every producer's events and the bad
// corpus's demo.ping type.
func newValidator(t *testing.T) *event.Validator {
	t.Helper()
	types := producertest.Schemas(producers.All()...)
	ping, err := os.ReadFile(filepath.Join("..", "event", "testdata", "schemas", "demo.ping.json"))
	if err != nil {
		t.Fatal(err)
	}
	types["demo.ping"] = ping
	v, err := event.NewValidator(types, event.WithMaxSize(maxSize))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// generated is a few simulated days of a small city.
type generated struct {
	events []event.Event
	truth  []sim.Truth
}

// generate runs every producer over days 1..days of a city of persons.
func generate(t *testing.T, persons, days int) generated {
	t.Helper()
	start := time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())
	w, err := world.New(world.Config{Seed: 3, Persons: persons, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	var g generated
	owned := map[string]map[event.ID]bool{}
	for d := 1; d <= days; d++ {
		day := w.Day(d)
		var evs []event.Event
		for _, p := range producers.All() {
			pe, err := producers.Collect(p, 3, day)
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, pe...)
		}
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		g.events = append(g.events, evs...)
		for person, ids := range day.Truth() {
			if owned[person] == nil {
				owned[person] = map[event.ID]bool{}
			}
			for _, id := range ids {
				owned[person][id] = true
			}
		}
	}
	for _, p := range w.People {
		tr := sim.Truth{Person: p.ID, Name: p.Name, Email: p.Email, Day: days}
		for id := range owned[p.ID] {
			tr.IDs = append(tr.IDs, id)
		}
		sort.Slice(tr.IDs, func(i, j int) bool {
			if tr.IDs[i].Kind != tr.IDs[j].Kind {
				return tr.IDs[i].Kind < tr.IDs[j].Kind
			}
			return tr.IDs[i].Value < tr.IDs[j].Value
		})
		g.truth = append(g.truth, tr)
	}
	return g
}

// badMessage is one entry of the bad corpus.
type badMessage struct {
	name, reason string
	data         []byte
}

// badCorpus reads event/testdata/bad (file name up to the first dot: the
// reason) and adds the service's own rejects: absurd times, built from a
// good event.
func badCorpus(t *testing.T, good event.Event) []badMessage {
	t.Helper()
	dir := filepath.Join("..", "event", "testdata", "bad")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []badMessage
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		reason, _, _ := strings.Cut(e.Name(), ".")
		out = append(out, badMessage{name: e.Name(), reason: reason, data: data})
	}
	for _, tc := range []struct {
		name string
		at   time.Time
	}{
		{"epoch", time.Unix(0, 0).UTC()},
		{"year 1999", time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC)},
		{"two years ahead", good.Time.AddDate(2, 0, 0)},
	} {
		ev := good
		ev.ID = uuid.NewString()
		ev.Time = tc.at
		data, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, badMessage{name: "absurd: " + tc.name, reason: service.ReasonAbsurdTime, data: data})
	}
	return out
}

// recorder is an Observer that counts.
type recorder struct {
	mu        sync.Mutex
	consumed  map[string]int
	rejected  map[string]int
	processed int
	lags      int
	snapshots int // stored
	snapErrs  int
	// Queues: how often it was called, for how many messages, and the
	// deepest queues it saw.
	batches, queued     int
	applierMin          int
	applierMax, sideMax int
}

func newRecorder() *recorder {
	return &recorder{consumed: map[string]int{}, rejected: map[string]int{}}
}

func (r *recorder) Consumed(typ string) { r.mu.Lock(); r.consumed[typ]++; r.mu.Unlock() }
func (r *recorder) Rejected(reason string) {
	r.mu.Lock()
	r.rejected[reason]++
	r.mu.Unlock()
}
func (r *recorder) Processed(time.Duration) { r.mu.Lock(); r.processed++; r.mu.Unlock() }
func (r *recorder) Lag(time.Duration)       { r.mu.Lock(); r.lags++; r.mu.Unlock() }
func (r *recorder) Pending(uint64)          {}
func (r *recorder) Held(int)                {}
func (r *recorder) Resequenced(_, _ uint64) {}
func (r *recorder) Queues(applier, side, messages int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.batches == 0 || applier < r.applierMin {
		r.applierMin = applier
	}
	r.batches++
	r.queued += messages
	r.applierMax = max(r.applierMax, applier)
	r.sideMax = max(r.sideMax, side)
}
func (r *recorder) Snapshot(_, _ time.Duration, _ int, err error) {
	r.mu.Lock()
	if err != nil {
		r.snapErrs++
	} else {
		r.snapshots++
	}
	r.mu.Unlock()
}

var _ service.Observer = (*recorder)(nil)

// testCtx bounds a test step: a safety net against hangs, not a
// synchronisation device.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

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

// publish stores one message in EXHAUST with the given message id.
func publish(t *testing.T, js jetstream.JetStream, subject, msgID string, data []byte) uint64 {
	t.Helper()
	ack, err := js.PublishMsg(testCtx(t, 5*time.Second), &nats.Msg{
		Subject: subject, Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{msgID}},
	})
	if err != nil {
		t.Fatalf("publish to %s: %v", subject, err)
	}
	if ack.Duplicate {
		t.Fatalf("message id %s was already in the stream", msgID)
	}
	return ack.Sequence
}

func publishEvent(t *testing.T, js jetstream.JetStream, ev event.Event, msgID string) uint64 {
	t.Helper()
	data, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return publish(t, js, ev.Subject(), msgID, data)
}

// running is a Service running in the background.
type running struct {
	svc    *service.Service
	engine *aggregator.Engine
	obs    *recorder
	cancel context.CancelFunc
	done   chan error
}

// start runs a Service with a new Engine on js.
func start(t *testing.T, js jetstream.JetStream, v *event.Validator, mutate func(*service.Config)) *running {
	t.Helper()
	r := &running{engine: aggregator.New(aggregator.DefaultConfig()), obs: newRecorder(), done: make(chan error, 1)}
	cfg := service.Config{JS: js, Engine: r.engine, Validator: v, Observer: r.obs, SnapshotEvery: 200, Log: slog.New(slog.DiscardHandler)}
	if mutate != nil {
		mutate(&cfg)
	}
	svc, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
	ctx, cancel := context.WithCancel(t.Context())
	r.cancel = cancel
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// waitSeq waits until the service has handled everything up to seq.
func (r *running) waitSeq(t *testing.T, seq uint64) {
	t.Helper()
	waitFor(t, 60*time.Second, "sequence "+strconv.FormatUint(seq, 10)+" handled", func() bool {
		select {
		case err := <-r.done:
			t.Fatalf("service stopped: %v", err)
		default:
		}
		return r.svc.Stats().LastSeq >= seq
	})
}

// stop stops the service cleanly and checks Run's result.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run after a clean stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("service did not stop")
	}
}

// reference applies events straight to a new Engine, without NATS.
func reference(t *testing.T, v *event.Validator, evs []event.Event) *aggregator.Engine {
	t.Helper()
	e := aggregator.New(aggregator.DefaultConfig())
	for i, ev := range evs {
		data, err := ev.Encode()
		if err != nil {
			t.Fatal(err)
		}
		valid, err := v.Validate(data)
		if err != nil {
			t.Fatalf("generated event %d invalid: %v", i, err)
		}
		if _, err := e.Apply(uint64(i+1), valid); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// sameProfiles fails the test unless a and b hold the same profiles: ids,
// identifiers, facts and links.
func sameProfiles(t *testing.T, got, want *aggregator.Engine) {
	t.Helper()
	gp, wp := got.Profiles(), want.Profiles()
	if len(wp) == 0 {
		t.Fatal("the reference engine has no profiles: the test proves nothing")
	}
	if !reflect.DeepEqual(jsonOf(t, gp), jsonOf(t, wp)) {
		t.Fatalf("profile lists differ: got %d profiles, want %d", len(gp), len(wp))
	}
	for _, s := range wp {
		g, ok1 := got.Profile(s.ID)
		w, ok2 := want.Profile(s.ID)
		if !ok1 || !ok2 {
			t.Fatalf("profile %s missing", s.ID)
		}
		if gj, wj := jsonOf(t, g), jsonOf(t, w); gj != wj {
			t.Fatalf("profile %s differs:\ngot  %.600s\nwant %.600s", s.ID, gj, wj)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dlqMessages returns the DLQ stream's messages by original sequence.
func dlqMessages(t *testing.T, js jetstream.JetStream) map[uint64]*jetstream.RawStreamMsg {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	s, err := js.Stream(ctx, natsbus.DLQStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]*jetstream.RawStreamMsg{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := strconv.ParseUint(m.Header.Get(natsbus.HeaderOriginalSeq), 10, 64)
		if err != nil {
			t.Fatalf("DLQ message %d: bad %s header: %v", seq, natsbus.HeaderOriginalSeq, err)
		}
		if out[orig] != nil {
			t.Errorf("original sequence %d rejected twice", orig)
		}
		out[orig] = m
	}
	return out
}

// TestBadEventsAreRejectedAndGoodOnesApplied mixes the bad corpus into a
// generated stream: every bad message must land on dlq.exhaust.<reason>
// with its reason, unchanged, and be counted; every good one must be
// applied exactly as without the bad ones; the service must keep running.
func TestBadEventsAreRejectedAndGoodOnesApplied(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	g := generate(t, 4, 1)
	bad := badCorpus(t, g.events[len(g.events)/2])

	// Interleave: a bad message after every k-th good one.
	k := max(len(g.events)/len(bad), 1)
	badAt := map[uint64]badMessage{}
	var last uint64
	b := 0
	for i, ev := range g.events {
		last = publishEvent(t, js, ev, ev.ID)
		if i%k == k-1 && b < len(bad) {
			last = publish(t, js, "exhaust.demo.ping", "bad-"+strconv.Itoa(b), bad[b].data)
			badAt[last] = bad[b]
			b++
		}
	}
	for ; b < len(bad); b++ {
		last = publish(t, js, "exhaust.demo.ping", "bad-"+strconv.Itoa(b), bad[b].data)
		badAt[last] = bad[b]
	}

	r := start(t, js, v, nil)
	r.waitSeq(t, last)
	r.stop(t)

	// Every bad message is in the DLQ, once, with its reason.
	dlq := dlqMessages(t, js)
	wantRejected := map[string]int{}
	for seq, bm := range badAt {
		wantRejected[bm.reason]++
		m := dlq[seq]
		if m == nil {
			t.Errorf("%s (seq %d) not in the DLQ", bm.name, seq)
			continue
		}
		if m.Subject != natsbus.DLQSubject(bm.reason) {
			t.Errorf("%s went to %s, want %s (detail %q)", bm.name, m.Subject, natsbus.DLQSubject(bm.reason), m.Header.Get(natsbus.HeaderRejectDetail))
		}
		if got := m.Header.Get(natsbus.HeaderRejectReason); got != bm.reason {
			t.Errorf("%s: reason header %q, want %q", bm.name, got, bm.reason)
		}
		if m.Header.Get(natsbus.HeaderRejectDetail) == "" {
			t.Errorf("%s: no detail header", bm.name)
		}
		if got := m.Header.Get(natsbus.HeaderOriginalSubject); got != "exhaust.demo.ping" {
			t.Errorf("%s: original subject header %q", bm.name, got)
		}
		if string(m.Data) != string(bm.data) {
			t.Errorf("%s: payload changed in the DLQ", bm.name)
		}
	}
	if len(dlq) != len(badAt) {
		t.Errorf("DLQ holds %d messages, want the %d bad ones", len(dlq), len(badAt))
	}

	// Counted by reason, good ones counted by type.
	r.obs.mu.Lock()
	defer r.obs.mu.Unlock()
	if !reflect.DeepEqual(r.obs.rejected, wantRejected) {
		t.Errorf("rejected counts %v, want %v", r.obs.rejected, wantRejected)
	}
	wantConsumed := map[string]int{}
	for _, ev := range g.events {
		wantConsumed[ev.Type]++
	}
	if !reflect.DeepEqual(r.obs.consumed, wantConsumed) {
		t.Errorf("consumed counts %v, want %v", r.obs.consumed, wantConsumed)
	}
	if total := len(g.events) + len(bad); r.obs.processed != total {
		t.Errorf("processed %d messages, want %d", r.obs.processed, total)
	}
	st := r.svc.Stats()
	if st.Applied != uint64(len(g.events)) || st.Rejected != uint64(len(bad)) || st.Handled != uint64(len(g.events)+len(bad)) {
		t.Errorf("stats %+v, want %d applied and %d rejected", st, len(g.events), len(bad))
	}

	// The good ones made exactly the state they make alone.
	sameProfiles(t, r.engine, reference(t, v, g.events))
}

// TestDuplicatesChangeNothing publishes every event twice, the second time
// with a new message id (so the stream stores it again): the profiles must
// be those of one pass.
func TestDuplicatesChangeNothing(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	g := generate(t, 4, 1)
	// Each event again, with a new message id, right after the event ten
	// places later: the way a restarted producer overlaps a live stream.
	// (Far-apart repeats are JetStream's dedup window's job: the Engine
	// remembers ids over its DedupHorizon of event time.)
	const lag = 10
	var last uint64
	for i, ev := range g.events {
		last = publishEvent(t, js, ev, ev.ID)
		if i >= lag {
			last = publishEvent(t, js, g.events[i-lag], "again-"+g.events[i-lag].ID)
		}
	}
	for _, ev := range g.events[max(len(g.events)-lag, 0):] {
		last = publishEvent(t, js, ev, "again-"+ev.ID)
	}
	r := start(t, js, v, nil)
	r.waitSeq(t, last)
	r.stop(t)
	st := r.svc.Stats()
	if st.Applied != uint64(len(g.events)) || st.Duplicates != uint64(len(g.events)) {
		t.Errorf("stats %+v: want %d applied and as many duplicates", st, len(g.events))
	}
	sameProfiles(t, r.engine, reference(t, v, g.events))
}

// TestRestartResumesFromSnapshot stops a service mid-stream, starts a new
// one (new Engine) on the same consumer and snapshot, and checks it ends
// where one uninterrupted pass ends, and that it did not start over.
func TestRestartResumesFromSnapshot(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	v := newValidator(t)
	g := generate(t, 4, 1)
	half := len(g.events) / 2
	var mid uint64
	for _, ev := range g.events[:half] {
		mid = publishEvent(t, js, ev, ev.ID)
	}
	first := start(t, js, v, nil)
	first.waitSeq(t, mid)
	first.stop(t)
	if st := first.svc.Stats(); st.SnapshotSeq != mid {
		t.Fatalf("clean stop saved a snapshot at %d, want %d", st.SnapshotSeq, mid)
	}

	var last uint64
	for _, ev := range g.events[half:] {
		last = publishEvent(t, js, ev, ev.ID)
	}
	second := start(t, js, v, nil)
	second.waitSeq(t, last)
	second.stop(t)
	st := second.svc.Stats()
	if st.Restored != mid || st.Handled != uint64(len(g.events)-half) {
		t.Errorf("second run: restored %d, handled %d; want restored %d, handled %d", st.Restored, st.Handled, mid, len(g.events)-half)
	}
	sameProfiles(t, second.engine, reference(t, v, g.events))

	// The saved state is the same too.
	loaded := aggregator.New(aggregator.DefaultConfig())
	h, found, err := service.LoadSnapshot(ctx, js, "", loaded)
	if err != nil || !found {
		t.Fatalf("LoadSnapshot: found %v, %v", found, err)
	}
	if h.Seq != last {
		t.Errorf("final snapshot covers %d, want %d", h.Seq, last)
	}
	sameProfiles(t, loaded, second.engine)
}

// TestTruthIsFollowed checks that truth published before and during the run
// reaches the Engine.
func TestTruthIsFollowed(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	if _, err := natsbus.EnsureTruthStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	g := generate(t, 3, 1)
	publishTruth := func(tr sim.Truth) {
		data, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := natsbus.PublishTruth(ctx, js, tr.Person, data); err != nil {
			t.Fatal(err)
		}
	}
	publishTruth(g.truth[0])
	r := start(t, js, newValidator(t), nil)
	waitFor(t, 10*time.Second, "the service ready", func() bool { return r.svc.Ready() == nil })
	waitFor(t, 10*time.Second, "the first person's truth", func() bool { return r.engine.Accuracy().Persons == 1 })
	for _, tr := range g.truth[1:] {
		publishTruth(tr)
	}
	waitFor(t, 10*time.Second, "everyone's truth", func() bool { return r.engine.Accuracy().Persons == len(g.truth) })
	r.stop(t)
	if err := r.svc.Ready(); err == nil {
		t.Error("Ready() = nil after the service stopped")
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	v := newValidator(t)
	e := aggregator.New(aggregator.DefaultConfig())
	tests := []struct {
		name string
		cfg  service.Config
	}{
		{"no JetStream", service.Config{Engine: e, Validator: v}},
		{"no engine", service.Config{JS: js, Validator: v}},
		{"no validator", service.Config{JS: js, Engine: e}},
		{"bad consumer name", service.Config{JS: js, Engine: e, Validator: v, Consumer: "a.b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := service.New(tc.cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
	svc, err := service.New(service.Config{JS: js, Engine: e, Validator: v})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Ready(); err == nil {
		t.Error("Ready() = nil before Run")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := svc.Run(ctx); err != nil {
		t.Errorf("Run with an ended context = %v, want nil (a clean stop)", err)
	}
	if err := svc.Run(t.Context()); err == nil {
		t.Error("second Run accepted")
	}
}

// tickingClock is a clock for Config.Now that advances by a millisecond
// at every reading.
func tickingClock() func() time.Time {
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Millisecond)
		return clock
	}
}

// TestSnapshotsAreSpacedByTheirCost: with a snapshot due after every
// message, a snapshot that took d still holds the next one back for
// service.DefaultSnapshotSpacing×d. The clock is the test's: every reading
// advances it by a millisecond, so a snapshot (at least two readings) takes
// at least 2 ms and the next waits at least 200 readings, several messages.
func TestSnapshotsAreSpacedByTheirCost(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 30*time.Second)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	g := generate(t, 4, 1)
	const n = 200
	if len(g.events) < n {
		t.Fatalf("only %d events generated, want %d", len(g.events), n)
	}
	var last uint64
	for _, ev := range g.events[:n] {
		last = publishEvent(t, js, ev, ev.ID)
	}
	r := start(t, js, newValidator(t), func(c *service.Config) {
		c.SnapshotEvery, c.SnapshotInterval, c.Now = 1, -1, tickingClock()
	})
	r.waitSeq(t, last)
	// Snapshots are stored in the background: wait for the first.
	for r.svc.Stats().Snapshots == 0 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	st := r.svc.Stats()
	if st.Snapshots == 0 || st.Snapshots > n/2 {
		t.Errorf("%d snapshots for %d messages, want some but fewer than one every two messages", st.Snapshots, n)
	}
	r.stop(t)
	if st := r.svc.Stats(); st.SnapshotSeq != last {
		t.Errorf("final snapshot covers %d, want %d: spacing must not hold back the one taken on stop", st.SnapshotSeq, last)
	}
}

// TestSnapshotByInterval: with no snapshot by count, a few events still
// get a snapshot once SnapshotInterval has passed, while the run goes on
// (the demo's trickle of events at classroom speed), and its outcome is
// reported to the Observer.
func TestSnapshotByInterval(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 30*time.Second)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	g := generate(t, 2, 1)
	var last uint64
	for _, ev := range g.events[:5] {
		last = publishEvent(t, js, ev, ev.ID)
	}
	r := start(t, js, newValidator(t), func(c *service.Config) {
		c.SnapshotEvery, c.SnapshotInterval = -1, 50*time.Millisecond
	})
	r.waitSeq(t, last)
	waitFor(t, 20*time.Second, "a snapshot by interval", func() bool { return r.svc.Stats().SnapshotSeq == last })
	r.obs.mu.Lock()
	stored := r.obs.snapshots
	r.obs.mu.Unlock()
	if stored == 0 {
		t.Errorf("Stats says a snapshot covers %d, but the Observer heard of none", last)
	}
}

// TestSnapshotDutyDecidesWhoSaves: a snapshot is due after every message,
// yet an aggregator off snapshot duty (a worker of a group that is not
// its leader) saves none while it runs, only its final one on a clean
// stop; on duty, the same aggregator saves as usual.
func TestSnapshotDutyDecidesWhoSaves(t *testing.T) {
	js := exhaustStream(t)
	g := generate(t, 4, 1)
	const n = 200
	if len(g.events) < 2*n {
		t.Fatalf("only %d events generated, want %d", len(g.events), 2*n)
	}
	now := tickingClock()
	for _, duty := range []bool{false, true} {
		var last uint64
		for _, ev := range g.events[:n] {
			last = publishEvent(t, js, ev, ev.ID)
		}
		g.events = g.events[n:]
		asked := 0
		r := start(t, js, newValidator(t), func(c *service.Config) {
			c.SnapshotEvery, c.SnapshotInterval, c.Now = 1, -1, now
			c.SnapshotDuty = func() bool { asked++; return duty }
		})
		r.waitSeq(t, last)
		r.stop(t) // waits for a snapshot being stored, and saves the final one
		r.obs.mu.Lock()
		stored := r.obs.snapshots
		r.obs.mu.Unlock()
		if st := r.svc.Stats(); st.SnapshotSeq != last {
			t.Errorf("on duty %v: the last snapshot covers %d, want %d (the final one)", duty, st.SnapshotSeq, last)
		}
		switch {
		case asked == 0:
			t.Errorf("on duty %v: the duty was never asked", duty)
		case !duty && stored != 1:
			t.Errorf("off duty: %d snapshots stored, want only the final one", stored)
		case duty && stored < 2:
			t.Errorf("on duty: %d snapshots stored for %d messages with one due after each, want some before the final one", stored, n)
		}
		if !duty && asked > n/10 {
			t.Errorf("off duty: the duty was asked %d times in %d messages, want it asked again only after a while", asked, n)
		}
	}
}

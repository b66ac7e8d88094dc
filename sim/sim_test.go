package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"exhaust/clock"
	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/sim"
	"exhaust/world"
)

// memSink keeps what it is given, in order.
type memSink struct {
	subjects []string
	ids      []string
	payloads [][]byte
	failAt   int // fail the n-th publish (1-based); 0 never
	flushed  bool
	truth    map[string]sim.Truth
}

func (m *memSink) Publish(_ context.Context, subject, id string, payload []byte) error {
	if m.failAt > 0 && len(m.ids)+1 == m.failAt {
		return errors.New("disk full")
	}
	m.subjects, m.ids, m.payloads = append(m.subjects, subject), append(m.ids, id), append(m.payloads, payload)
	return nil
}

func (m *memSink) Flush(context.Context) error { m.flushed = true; return nil }

func (m *memSink) PublishTruth(_ context.Context, person string, payload []byte) error {
	var t sim.Truth
	if err := json.Unmarshal(payload, &t); err != nil {
		return err
	}
	if m.truth == nil {
		m.truth = map[string]sim.Truth{}
	}
	m.truth[person] = t
	return nil
}

func run(t *testing.T, seed int64, days int, names []string, sink *memSink) error {
	t.Helper()
	w, err := world.New(world.Config{Seed: seed, Persons: 6, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := producers.Select(names)
	if err != nil {
		t.Fatal(err)
	}
	clk, err := clock.New(world.DefaultStart(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.New(sim.Config{World: w, Seed: seed, Days: days, Producers: ps, Clock: clk, Sink: sink, Truth: sink})
	if err != nil {
		t.Fatal(err)
	}
	return r.Run(context.Background())
}

func TestRunIsDeterministicAndOrdered(t *testing.T) {
	a, b := &memSink{}, &memSink{}
	if err := run(t, 3, 2, nil, a); err != nil {
		t.Fatal(err)
	}
	if err := run(t, 3, 2, nil, b); err != nil {
		t.Fatal(err)
	}
	if len(a.payloads) == 0 || !a.flushed {
		t.Fatalf("published %d events, flushed %v", len(a.payloads), a.flushed)
	}
	if len(a.payloads) != len(b.payloads) {
		t.Fatalf("runs differ in length: %d vs %d", len(a.payloads), len(b.payloads))
	}
	var last time.Time
	for i := range a.payloads {
		if !bytes.Equal(a.payloads[i], b.payloads[i]) {
			t.Fatalf("event %d differs between identical runs", i)
		}
		var ev event.Event
		if err := json.Unmarshal(a.payloads[i], &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Time.Before(last) {
			t.Fatalf("event %d at %v is before the previous one at %v", i, ev.Time, last)
		}
		last = ev.Time
		if a.ids[i] != ev.ID || a.subjects[i] != ev.Subject() {
			t.Fatalf("event %d: sink got id %s subject %s for event %s on %s", i, a.ids[i], a.subjects[i], ev.ID, ev.Subject())
		}
	}
	other := &memSink{}
	if err := run(t, 4, 2, nil, other); err != nil {
		t.Fatal(err)
	}
	if other.ids[0] == a.ids[0] {
		t.Error("a different seed gave the same first event id")
	}
}

// A subset of producers publishes exactly that subset of a full run.
func TestProducerSubsetIsAFilterOfTheFullRun(t *testing.T) {
	full, part := &memSink{}, &memSink{}
	if err := run(t, 5, 1, nil, full); err != nil {
		t.Fatal(err)
	}
	if err := run(t, 5, 1, []string{"card", "wifi"}, part); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i, s := range full.subjects {
		if bytes.HasPrefix([]byte(s), []byte("exhaust.card.")) || bytes.HasPrefix([]byte(s), []byte("exhaust.wifi.")) {
			want[full.ids[i]] = true
		}
	}
	if len(part.ids) != len(want) || len(want) == 0 {
		t.Fatalf("subset run published %d events, the full run had %d of those producers", len(part.ids), len(want))
	}
	for _, id := range part.ids {
		if !want[id] {
			t.Fatalf("subset run published %s, absent from the full run", id)
		}
	}
}

func TestSinkErrorStopsTheRun(t *testing.T) {
	sink := &memSink{failAt: 10}
	err := run(t, 1, 1, nil, sink)
	if err == nil || len(sink.ids) != 9 {
		t.Fatalf("got err %v after %d events, want an error after 9", err, len(sink.ids))
	}
	if sink.flushed {
		t.Error("flushed after a failed publish")
	}
}

func TestTruthCoversEveryPersonAndAccumulates(t *testing.T) {
	sink := &memSink{}
	if err := run(t, 1, 2, nil, sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.truth) != 6 {
		t.Fatalf("truth for %d persons, want 6", len(sink.truth))
	}
	hero := sink.truth[world.HeroID]
	if hero.Day != 2 || hero.Name == "" || len(hero.IDs) < 8 {
		t.Fatalf("hero's truth after day 2: %+v", hero)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := sim.New(sim.Config{}); err == nil {
		t.Fatal("empty config accepted")
	}
}

// hookSink calls hook once it has published `after` events.
type hookSink struct {
	memSink
	after int
	hook  func()
}

func (h *hookSink) Publish(ctx context.Context, subject, id string, payload []byte) error {
	if err := h.memSink.Publish(ctx, subject, id, payload); err != nil {
		return err
	}
	if len(h.ids) == h.after && h.hook != nil {
		h.hook()
	}
	return nil
}

func TestRestartReplaysTheDay(t *testing.T) {
	w, err := world.New(world.Config{Seed: 2, Persons: 4, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	clk, err := clock.New(world.DefaultStart(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	sink := &hookSink{after: 100}
	var days []int
	r, err := sim.New(sim.Config{World: w, Seed: 2, Days: 1, Producers: producers.All(), Clock: clk, Sink: sink,
		OnDay: func(d *world.Day) { days = append(days, d.Index) }})
	if err != nil {
		t.Fatal(err)
	}
	restarted := false
	sink.hook = func() {
		if !restarted {
			restarted = true
			if err := r.Restart(1); err != nil {
				t.Error(err)
			}
		}
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !restarted || len(days) != 2 {
		t.Fatalf("restarted %v, days played %v; want day 1 twice", restarted, days)
	}
	// After the restart, the whole day is published again from its start,
	// with the same ids.
	firstRun := sink.ids[:100]
	replay := sink.ids[100:]
	if len(replay) < len(firstRun) {
		t.Fatalf("replay published %d events, fewer than the %d before the restart", len(replay), len(firstRun))
	}
	for i := range firstRun {
		if replay[i] != firstRun[i] {
			t.Fatalf("replayed event %d is %s, want %s", i, replay[i], firstRun[i])
		}
	}
	if err := r.Restart(5); err == nil {
		t.Error("restart outside the run accepted")
	}
}

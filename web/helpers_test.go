package web

import (
	"context"
	"sync"
	"testing"

	"exhaust/clock"
	"exhaust/producers"
	_ "exhaust/producers/all" // registers every producer
	"exhaust/sim"
	"exhaust/world"
)

// testPersons is the population of the tests' city: small, so a day plays
// in well under a second, yet with the hero's contacts around her.
const testPersons = 8

// nullSink accepts every event: the page follows the run through Tap, and
// needs no NATS.
type nullSink struct{}

func (nullSink) Publish(context.Context, string, string, []byte) error { return nil }
func (nullSink) Flush(context.Context) error                           { return nil }

// promoSink records what the page publishes through its Promote hook.
type promoSink struct {
	mu       sync.Mutex
	subjects []string
	payloads [][]byte
}

func (p *promoSink) publish(subject string, payload []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.subjects = append(p.subjects, subject)
	p.payloads = append(p.payloads, payload)
}

// run is a simulation wired to a page, as exhaust demo wires them.
type run struct {
	world  *world.World
	clock  *clock.Clock
	runner *sim.Runner
	page   *Server
	promos *promoSink
	// beforeDay, if set, runs as each day starts, before the page hears of
	// it (the previous day still current).
	beforeDay func(*world.Day)
}

// newRun builds a world of testPersons, a clock (fast: as fast as
// possible; else speed simulated seconds per second) and a runner of days
// days wired to a new page.
func newRun(t testing.TB, days int, fast bool, speed float64) *run {
	t.Helper()
	return newRunOf(t, testPersons, days, fast, speed)
}

// newRunOf is newRun with a population of persons.
func newRunOf(t testing.TB, persons, days int, fast bool, speed float64) *run {
	t.Helper()
	return newRunWith(t, persons, days, fast, speed, nil)
}

// newRunWith is newRunOf with the page's Config adjusted by adjust (if not
// nil) before the page is built.
func newRunWith(t testing.TB, persons, days int, fast bool, speed float64, adjust func(*Config)) *run {
	t.Helper()
	w, err := world.New(world.Config{Seed: 1, Persons: persons, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	clk, err := clock.New(world.DefaultStart(), speed, fast)
	if err != nil {
		t.Fatal(err)
	}
	ps := producers.All()
	r := &run{world: w, clock: clk, promos: &promoSink{}}
	cfg := Config{World: w, Clock: clk, Seed: 1, Producers: ps, Promote: r.promos.publish}
	if adjust != nil {
		adjust(&cfg)
	}
	r.page, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.page.Close() })
	r.runner, err = sim.New(sim.Config{World: w, Seed: 1, Days: days, Producers: ps, Clock: clk, Sink: nullSink{},
		OnDay: r.onDay, Tap: r.page.Tap})
	if err != nil {
		t.Fatal(err)
	}
	r.page.SetRunner(r.runner)
	return r
}

func (r *run) onDay(d *world.Day) {
	if r.beforeDay != nil {
		r.beforeDay(d)
	}
	r.page.OnDay(d)
}

// play runs the whole run to its end.
func (r *run) play(t testing.TB) {
	t.Helper()
	if err := r.runner.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Package sim runs the simulation: it asks the world for each day, lets every
// selected producer observe it, and releases the events in time order as the
// clock reaches them, to a Sink. It knows nothing of NATS: the Sink does.
package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"exhaust/clock"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

// Sink receives encoded events in time order. An error means the event could
// not be delivered and the run stops: nothing is dropped silently.
type Sink interface {
	Publish(ctx context.Context, subject, id string, payload []byte) error
	// Flush returns once everything published so far is safely stored.
	Flush(ctx context.Context) error
}

// TruthSink receives the ground truth: who owns which identifiers. It is kept
// apart from the exhaust so that only scoring ever reads it.
type TruthSink interface {
	PublishTruth(ctx context.Context, personID string, payload []byte) error
}

// Truth is the ground-truth record of one person, as published.
type Truth struct {
	Person string     `json:"person"`
	Name   string     `json:"name"`
	Email  string     `json:"email"`
	Day    int        `json:"day"` // the record covers identifiers seen up to this day
	IDs    []event.ID `json:"ids"`
}

// Config sets up a Runner.
type Config struct {
	World     *world.World
	Seed      int64
	FirstDay  int // 1 if zero
	Days      int // how many days to run; 0 runs until the context ends
	Producers []producers.Producer
	Clock     *clock.Clock
	Sink      Sink
	Truth     TruthSink // optional
	Log       *slog.Logger
	// OnDay, if set, is called as each day starts playing (again, after a
	// Restart).
	OnDay func(day *world.Day)
	// Tap, if set, receives every event after the sink accepted it (the
	// classroom page follows the run through it).
	Tap func(subject, id string, payload []byte)
}

// Runner runs the simulation. Its counters may be read while it runs.
type Runner struct {
	cfg       Config
	names     []string
	published []atomic.Uint64 // per producer, index as in cfg.Producers
	day       atomic.Int64
	// owned accumulates each person's identifiers over the days played, so
	// the truth of a multi-day run still covers day 1's single tickets.
	owned world.Owned

	mu        sync.Mutex
	interrupt context.CancelFunc // cancels the days being played
	restartTo int                // day to play from after an interrupt
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	switch {
	case cfg.World == nil:
		return nil, errors.New("sim: no world")
	case cfg.Clock == nil:
		return nil, errors.New("sim: no clock")
	case cfg.Sink == nil:
		return nil, errors.New("sim: no sink")
	case len(cfg.Producers) > producers.MaxMerged:
		return nil, fmt.Errorf("sim: %d producers, at most %d", len(cfg.Producers), producers.MaxMerged)
	case len(cfg.Producers) == 0:
		return nil, errors.New("sim: no producers selected")
	case cfg.Days < 0:
		return nil, fmt.Errorf("days must be 0 (run until stopped) or more, got %d", cfg.Days)
	}
	if cfg.FirstDay == 0 {
		cfg.FirstDay = 1
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, published: make([]atomic.Uint64, len(cfg.Producers)), owned: world.Owned{}}
	for _, p := range cfg.Producers {
		r.names = append(r.names, p.Spec().Name)
	}
	return r, nil
}

// Stats is a snapshot of a run's progress.
type Stats struct {
	Day       int               // day being played (0 before the first)
	Published map[string]uint64 // events handed to the sink, by producer
	Total     uint64
}

// Stats returns the run's progress so far.
func (r *Runner) Stats() Stats {
	s := Stats{Day: int(r.day.Load()), Published: make(map[string]uint64, len(r.names))}
	for i, n := range r.names {
		v := r.published[i].Load()
		s.Published[n] = v
		s.Total += v
	}
	return s
}

// batch is one day's events, or the error that prevented making them.
type batch struct {
	day   int
	world *world.Day
	// events are each producer's encoded events in time order, indexed
	// as Config.Producers. order is the day merged in time order, as the
	// producer index of each event in turn: a byte per event instead of a
	// copy of every event.
	events [][]producers.Encoded
	order  []uint8
	truth  []Truth
	err    error
}

// Run plays the configured days (or until ctx ends) and flushes the sink.
// Days are pure functions of the configuration, so several are generated
// ahead, concurrently, while the current one is published; they are still
// published strictly in order. Restart makes it play again from a day.
func (r *Runner) Run(ctx context.Context) error {
	from := r.cfg.FirstDay
	for {
		again, err := r.play(ctx, from)
		if err != nil {
			return err
		}
		if again == 0 {
			return r.cfg.Sink.Flush(ctx)
		}
		from = again
	}
}

// Restart makes the run play again from the start of day (1-based), with
// the clock set back to that day's midnight. Events already published are
// published again with the same ids: JetStream's duplicate window absorbs
// them, and consumers that count by event id see nothing new.
func (r *Runner) Restart(day int) error {
	if day < r.cfg.FirstDay || (r.cfg.Days > 0 && day >= r.cfg.FirstDay+r.cfg.Days) {
		return fmt.Errorf("day %d is outside the run", day)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.restartTo = day
	r.cfg.Clock.Set(r.cfg.World.Date(day))
	if r.interrupt != nil {
		r.interrupt()
	}
	return nil
}

// play plays days from `from` on. It returns the day to play again from
// when Restart interrupted it, 0 when the configured days are done.
func (r *Runner) play(parent context.Context, from int) (int, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	r.mu.Lock()
	r.interrupt, r.restartTo = cancel, 0
	r.mu.Unlock()
	interrupted := func() (int, bool) {
		if parent.Err() != nil || ctx.Err() == nil {
			return 0, false
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.restartTo, r.restartTo != 0
	}
	ahead := max(2, runtime.GOMAXPROCS(0))
	queue := make(chan chan batch, ahead)
	go func() {
		defer close(queue)
		for d := from; r.cfg.Days == 0 || d < r.cfg.FirstDay+r.cfg.Days; d++ {
			ch := make(chan batch, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return
			}
			go func() { ch <- r.generate(d) }()
		}
	}()
	batches := make(chan batch)
	go func() {
		defer close(batches)
		for ch := range queue {
			var b batch
			select {
			case b = <-ch:
			case <-ctx.Done():
				return
			}
			if b.err == nil {
				// Truth accumulates over days, so it is made in day order.
				b.truth = r.truthOf(b.world)
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	for b := range batches {
		if b.err != nil {
			return 0, b.err
		}
		r.day.Store(int64(b.day))
		r.cfg.Log.Info("day starts", "day", b.day, "events", len(b.order))
		if r.cfg.OnDay != nil {
			r.cfg.OnDay(b.world)
		}
		if err := r.publishTruth(ctx, b.truth); err != nil {
			if d, ok := interrupted(); ok {
				return d, nil
			}
			return 0, err
		}
		next := make([]int, len(b.events))
		for _, pi := range b.order {
			it := &b.events[pi][next[pi]]
			next[pi]++
			if err := r.cfg.Clock.WaitUntil(ctx, it.Time); err != nil {
				if d, ok := interrupted(); ok {
					return d, nil
				}
				return 0, err
			}
			if err := r.cfg.Sink.Publish(ctx, it.Subject, it.ID, it.Payload); err != nil {
				if d, ok := interrupted(); ok {
					return d, nil
				}
				return 0, fmt.Errorf("publish %s %s: %w", it.Subject, it.ID, err)
			}
			r.published[pi].Add(1)
			if r.cfg.Tap != nil {
				r.cfg.Tap(it.Subject, it.ID, it.Payload)
			}
			it.Payload = nil // published: the day's bytes are freed as it plays
		}
	}
	if d, ok := interrupted(); ok {
		return d, nil
	}
	return 0, parent.Err()
}

// generate builds day d: every producer's events, encoded, and their merge
// in time order (producers.CollectDay).
func (r *Runner) generate(d int) batch {
	day := r.cfg.World.Day(d)
	// Encoded as emitted: a day's events and their data are never held,
	// only the bytes to publish.
	perProducer, order, err := producers.CollectDay(r.cfg.Producers, r.cfg.Seed, day)
	if err != nil {
		return batch{day: d, err: err}
	}
	return batch{day: d, world: day, events: perProducer, order: order}
}

// truthOf lists who owns which identifiers up to day, for the people in
// the city that day (a visitor's truth is published from their arrival, and
// kept once they leave). It is called for each day in order, from one
// goroutine.
func (r *Runner) truthOf(day *world.Day) []Truth {
	owned := r.owned.Add(day)
	out := make([]Truth, 0, len(owned))
	for _, o := range owned {
		p := o.Person
		out = append(out, Truth{Person: p.ID, Name: p.Name, Email: p.Email, Day: day.Index, IDs: o.IDs})
	}
	return out
}

func (r *Runner) publishTruth(ctx context.Context, truth []Truth) error {
	if r.cfg.Truth == nil {
		return nil
	}
	for _, t := range truth {
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("encode truth of %s: %w", t.Person, err)
		}
		if err := r.cfg.Truth.PublishTruth(ctx, t.Person, b); err != nil {
			return fmt.Errorf("publish truth of %s: %w", t.Person, err)
		}
	}
	return nil
}

// Names returns the producers' names in run order.
func (r *Runner) Names() []string { return append([]string(nil), r.names...) }

// Clock returns the run's clock.
func (r *Runner) Clock() *clock.Clock { return r.cfg.Clock }

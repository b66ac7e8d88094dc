// Package sim runs the simulation: it asks the world for each day, lets every
// selected producer observe it, and releases the events in time order as the
// clock reaches them, to a Sink. It knows nothing of NATS: the Sink does.
//
// A day is made a part of the city at a time (producers.StreamDay): a small
// city's day stays in memory, a large one's is spilled to temporary files
// and merged back, so memory follows the population, not the events.
package sim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"exhaust/clock"
	"exhaust/event"
	"exhaust/faults"
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

// FaultSink receives the fault reports (faults.Report, JSON), part after
// part: what the run did to each producer's events of a day. They belong
// with the ground truth, where scoring reads them.
type FaultSink interface {
	PublishFaults(ctx context.Context, producer string, day, part int, payload []byte) error
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
	// classroom page follows the run through it), with the message id it
	// was published with; faults included, but for corrupt events.
	Tap func(subject, id string, payload []byte)
	// Faults are the faults done to the events on their way to the sink
	// (package faults); the zero Plan does none. SetFaults changes them
	// while the run plays.
	Faults faults.Plan
	// FaultLog, if set, receives the report of each day's faults once its
	// events are published.
	FaultLog FaultSink
	// Memory bounds the encoded events a day holds in memory while it is
	// made, in bytes; a larger day is spilled to temporary files under
	// os.TempDir (producers.StreamDay). 0 means producers.DefaultMemory.
	Memory int
}

// Runner runs the simulation. Its counters may be read while it runs.
type Runner struct {
	cfg       Config
	names     []string
	published []atomic.Uint64             // per producer, index as in cfg.Producers
	index     map[string]int              // producer name → index
	faulted   [][]atomic.Uint64           // per producer, per faults.Kind
	plan      atomic.Pointer[faults.Plan] // in force: Config.Faults, then SetFaults
	day       atomic.Int64
	// tickets accumulates each person's single tickets over the days
	// played, so the truth of a multi-day run still covers day 1's. The
	// rest of a person's identifiers are the same every day
	// (Person.Identifiers): they are made again for each record rather
	// than held, which at 100,000 people was some 150 MB.
	tickets map[*world.Person][]event.ID

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
	r := &Runner{cfg: cfg, published: make([]atomic.Uint64, len(cfg.Producers)), tickets: map[*world.Person][]event.ID{}, index: map[string]int{}}
	for i, p := range cfg.Producers {
		r.names = append(r.names, p.Spec().Name)
		r.index[p.Spec().Name] = i
		r.faulted = append(r.faulted, make([]atomic.Uint64, len(faults.Kinds)))
	}
	r.SetFaults(cfg.Faults)
	return r, nil
}

// SetFaults changes the faults done to the events, from the next event the
// runner reads on, in the middle of a day if need be (a teacher turning a
// knob during a demo). It may be called while the run plays. Events the
// previous plan held back (delayed, duplicates) are still delivered as it
// decided, and a day played again after a Restart has the plan in force
// then. Each event's faults are drawn from the seed, its producer, its day
// and its id (package faults), so a run is the same given the same plans
// in force at the same events. A day with several plans reports, per
// producer, what all of them did, their settings joined by " then ".
func (r *Runner) SetFaults(p faults.Plan) { r.plan.Store(&p) }

// Faults returns the faults in force: Config.Faults, or the last SetFaults.
func (r *Runner) Faults() faults.Plan { return *r.plan.Load() }

// Stats is a snapshot of a run's progress.
type Stats struct {
	Day       int               // day being played (0 before the first)
	Published map[string]uint64 // events handed to the sink, by producer
	Total     uint64
	// Faults counts the faults done, by producer (Config.Faults); a day
	// played again after a Restart counts again.
	Faults map[string]faults.Counts
	// FaultTotal is Faults summed over the producers.
	FaultTotal faults.Counts
}

// Stats returns the run's progress so far.
func (r *Runner) Stats() Stats {
	s := Stats{Day: int(r.day.Load()), Published: make(map[string]uint64, len(r.names))}
	for i, n := range r.names {
		v := r.published[i].Load()
		s.Published[n] = v
		s.Total += v
		var c faults.Counts
		for _, k := range faults.Kinds {
			c = c.With(k, r.faulted[i][k].Load())
		}
		if c != (faults.Counts{}) {
			if s.Faults == nil {
				s.Faults = map[string]faults.Counts{}
			}
			s.Faults[n] = c
			s.FaultTotal = s.FaultTotal.Plus(c)
		}
	}
	return s
}

// batch is one day's events, or the error that prevented making them.
type batch struct {
	day int
	// world is the whole day, for OnDay; nil without OnDay, as a large
	// city's day does not fit in memory whole.
	world *world.Day
	// events is the day merged in time order, in memory or spilled to
	// temporary files: it must be closed.
	events *producers.Merged
	// owns is each present person's single tickets of the day, in
	// population order, until the truth (which accumulates over days) is
	// made of them in day order.
	owns  []owns
	truth []owns
	err   error
}

// owns is a person's single tickets: those bought on one day, or in the
// truth, all those bought up to its day.
type owns struct {
	person  *world.Person
	tickets []event.ID
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
	// A day small enough to be made in one part is made in memory, and
	// several are made ahead, concurrently. A larger day is made in parts,
	// each already spread over the cores, and spilled to disk: one is made
	// while the previous plays, so memory does not grow with the days
	// ahead.
	ahead := max(2, runtime.GOMAXPROCS(0))
	if len(r.cfg.World.People) > partPersons {
		ahead = 1
	}
	// Every day made is closed once play returns, whether it was played,
	// interrupted or never reached: its temporary files go with it.
	var (
		makers sync.WaitGroup
		madeMu sync.Mutex
		made   []*producers.Merged
	)
	defer func() {
		cancel()
		makers.Wait()
		for _, m := range made {
			m.Close()
		}
	}()
	queue := make(chan chan batch, ahead)
	makers.Go(func() {
		defer close(queue)
		for d := from; r.cfg.Days == 0 || d < r.cfg.FirstDay+r.cfg.Days; d++ {
			ch := make(chan batch, 1)
			select {
			case queue <- ch:
			case <-ctx.Done():
				return
			}
			makers.Go(func() {
				b := r.generate(ctx, d)
				if b.events != nil {
					madeMu.Lock()
					made = append(made, b.events)
					madeMu.Unlock()
				}
				ch <- b
			})
		}
	})
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
				b.truth = r.truthOf(b.owns)
				b.owns = nil
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
		r.cfg.Log.Info("day starts", "day", b.day, "events", b.events.Len(), "runs", b.events.Runs())
		if r.cfg.OnDay != nil {
			r.cfg.OnDay(b.world)
		}
		if err := r.publishTruth(ctx, b.day, b.truth); err != nil {
			if d, ok := interrupted(); ok {
				return d, nil
			}
			return 0, err
		}
		if err := r.publish(ctx, b.day, b.events); err != nil {
			if d, ok := interrupted(); ok {
				return d, nil
			}
			return 0, err
		}
		// Played: its temporary files go now, not at the end of the run.
		b.events.Close()
	}
	if d, ok := interrupted(); ok {
		return d, nil
	}
	return 0, parent.Err()
}

// publish hands a day's events to the sink in time order, as the clock
// reaches them, with the faults in force done on the way; then it reports
// the day's faults. The day is played in stretches, one per plan in force
// (SetFaults): what a stretch's plan held back is delivered in time order
// among the next stretches' events.
func (r *Runner) publish(ctx context.Context, day int, events *producers.Merged) error {
	var (
		later   []faults.Delivery // held back by an earlier stretch, in At order
		reports []faults.Report
	)
	// catchUp delivers what earlier stretches held back, up to at.
	catchUp := func(at time.Time) error {
		for len(later) > 0 && !later[0].At.After(at) {
			d := later[0]
			later = later[1:]
			if err := r.deliverFault(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}
	for more := true; more; {
		plan := r.plan.Load()
		more = false
		// The events read while plan is in force.
		stretch := func(yield func(int, producers.Encoded) bool) {
			for {
				if r.plan.Load() != plan {
					more = true
					return
				}
				if !events.Next() {
					return
				}
				if !yield(events.Event()) {
					return
				}
			}
		}
		if plan.IsZero() {
			for pi, it := range stretch {
				if err := catchUp(it.Time); err != nil {
					return err
				}
				if err := r.deliver(ctx, pi, it.Time, it.Subject, it.ID, it.Payload, true); err != nil {
					return err
				}
			}
			continue
		}
		fd := plan.Day(r.cfg.Seed, day)
		fd.Count = func(producer string, k faults.Kind) { r.faulted[r.index[producer]][k].Add(1) }
		in := func(yield func(faults.Event) bool) {
			for pi, it := range stretch {
				if !yield(faults.Event{Producer: r.names[pi], Time: it.Time, Subject: it.Subject, ID: it.ID, Payload: it.Payload}) {
					return
				}
			}
		}
		var held []faults.Delivery
		for d := range fd.Apply(in) {
			if more {
				// The plan changed: what it still holds waits for its time
				// among the next stretch's events.
				held = append(held, d)
				continue
			}
			if err := catchUp(d.At); err != nil {
				return err
			}
			if err := r.deliverFault(ctx, d); err != nil {
				return err
			}
		}
		later = mergeByAt(later, held)
		reports = mergeReports(reports, fd.Reports())
	}
	if err := events.Err(); err != nil {
		return err
	}
	for _, d := range later {
		if err := r.deliverFault(ctx, d); err != nil {
			return err
		}
	}
	return r.reportFaults(ctx, reports)
}

// deliverFault delivers what a plan decided. A duplicate goes with its own
// message id (d.MsgID, see faults.DuplicateSuffix): with the event's,
// JetStream's duplicate window would swallow it and no consumer would ever
// see it. The tap is spared corrupt events: the page would only log that it
// cannot read them, as the aggregator dead-letters them.
func (r *Runner) deliverFault(ctx context.Context, d faults.Delivery) error {
	return r.deliver(ctx, r.index[d.Producer], d.At, d.Subject, d.MsgID, d.Payload, d.Fault != faults.Corrupt)
}

// mergeByAt merges two lists of deliveries in At order into one, a's first
// on equal times.
func mergeByAt(a, b []faults.Delivery) []faults.Delivery {
	if len(b) == 0 {
		return a
	}
	out := make([]faults.Delivery, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].At.Before(a[0].At) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

// then joins the settings of a day whose plan changed (mergeReports).
const then = " then "

// mergeReports adds one stretch's reports to the day's, producer by
// producer: counts summed, lists joined (a device listed once), settings
// joined by " then " when they changed.
func mergeReports(day, stretch []faults.Report) []faults.Report {
	for _, s := range stretch {
		i := slices.IndexFunc(day, func(r faults.Report) bool { return r.Producer == s.Producer })
		if i < 0 {
			day = append(day, s)
			continue
		}
		r := &day[i]
		last := r.Faults
		if i := strings.LastIndex(last, then); i >= 0 {
			last = last[i+len(then):]
		}
		if last != s.Faults {
			r.Faults += then + s.Faults
		}
		r.Events += s.Events
		r.Counts = r.Counts.Plus(s.Counts)
		r.Dropped = append(r.Dropped, s.Dropped...)
		r.Corrupted = append(r.Corrupted, s.Corrupted...)
		for _, d := range s.Skewed {
			if !slices.ContainsFunc(r.Skewed, func(o faults.Device) bool { return o.ID == d.ID }) {
				r.Skewed = append(r.Skewed, d)
			}
		}
	}
	slices.SortFunc(day, func(a, b faults.Report) int { return strings.Compare(a.Producer, b.Producer) })
	return day
}

// deliver hands one message to the sink once the clock reaches at, and to
// the tap if tap is set.
func (r *Runner) deliver(ctx context.Context, pi int, at time.Time, subject, msgID string, payload []byte, tap bool) error {
	if err := r.cfg.Clock.WaitUntil(ctx, at); err != nil {
		return err
	}
	if err := r.cfg.Sink.Publish(ctx, subject, msgID, payload); err != nil {
		return fmt.Errorf("publish %s %s: %w", subject, msgID, err)
	}
	r.published[pi].Add(1)
	if tap && r.cfg.Tap != nil {
		r.cfg.Tap(subject, msgID, payload)
	}
	return nil
}

// reportPart is the most ids a part of a fault report lists: some 200
// bytes each at most, so a part stays well under NATS's default 1 MB
// message limit.
const reportPart = 2000

// reportFaults hands the day's fault reports to the fault log.
func (r *Runner) reportFaults(ctx context.Context, reports []faults.Report) error {
	if r.cfg.FaultLog == nil {
		return nil
	}
	for _, rep := range reports {
		for _, part := range rep.Split(reportPart) {
			b, err := json.Marshal(part)
			if err != nil {
				return fmt.Errorf("encode faults of %s, day %d: %w", part.Producer, part.Day, err)
			}
			if err := r.cfg.FaultLog.PublishFaults(ctx, part.Producer, part.Day, part.Part, b); err != nil {
				return fmt.Errorf("publish faults of %s, day %d: %w", part.Producer, part.Day, err)
			}
		}
	}
	return nil
}

// partPersons is how many people's plans make a part of a day: a day's
// plans take about 10 KB a person, so a part of a large city holds some
// 5 MB of them while its events are made (two parts at a time: one
// observed, the next being drawn), and a part still has enough people for
// the producers' work per part to be negligible.
var partPersons = 512

// generate makes day d (producers.StreamDay), a part of its people at a
// time, and notes who owns which identifiers that day as the parts go by.
func (r *Runner) generate(ctx context.Context, d int) batch {
	w := r.cfg.World
	b := batch{day: d}
	var plans []*world.Plan // the whole day, for OnDay
	var moments []world.Moment
	parts := func(yield func(*world.Day) bool) {
		for from := 0; from < len(w.People); from += partPersons {
			part := w.Part(d, from, min(from+partPersons, len(w.People)))
			for _, pl := range part.Present() {
				var tickets []event.ID
				for _, t := range pl.TicketIDs() {
					tickets = append(tickets, event.ID{Kind: event.Ticket, Value: t})
				}
				b.owns = append(b.owns, owns{person: pl.Person, tickets: tickets})
			}
			if r.cfg.OnDay != nil {
				if from == 0 && len(part.Plans) == len(w.People) {
					b.world = part // the whole day in one part
				}
				plans = append(plans, part.Plans...)
				moments = append(moments, part.Moments...)
			}
			if !yield(part) {
				return
			}
		}
	}
	b.events, b.err = producers.StreamDay(ctx, r.cfg.Producers, r.cfg.Seed, parts, producers.StreamOptions{Memory: r.cfg.Memory})
	if b.err == nil && r.cfg.OnDay != nil && b.world == nil {
		b.world = &world.Day{Index: d, Date: w.Date(d), City: w.City, Plans: plans, Moments: moments}
	}
	return b
}

// truthOf adds the single tickets of day to those of the days before, for
// the people in the city that day (a visitor's truth is published from
// their arrival, and kept once they leave), and returns each one's tickets
// so far. It is called for each day in order, from one goroutine. A
// person's list is replaced, never appended to in place, so the lists
// returned stay as they are while the next days are added.
func (r *Runner) truthOf(present []owns) []owns {
	out := make([]owns, 0, len(present))
	for _, o := range present {
		all := r.tickets[o.person]
		if len(o.tickets) > 0 {
			all = sortIDs(append(slices.Clip(all), o.tickets...))
			r.tickets[o.person] = all
		}
		out = append(out, owns{person: o.person, tickets: all})
	}
	return out
}

// publishTruth publishes the truth of day: for each person, every
// identifier they emitted up to that day, by kind then value, as
// world.Owned accumulates them.
func (r *Runner) publishTruth(ctx context.Context, day int, truth []owns) error {
	if r.cfg.Truth == nil {
		return nil
	}
	for _, o := range truth {
		p := o.person
		t := Truth{Person: p.ID, Name: p.Name, Email: p.Email, Day: day,
			IDs: sortIDs(append(p.Identifiers(r.cfg.World.City), o.tickets...))}
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

// sortIDs sorts identifiers by kind, then value, and drops duplicates.
func sortIDs(ids []event.ID) []event.ID {
	slices.SortFunc(ids, func(a, b event.ID) int {
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	return slices.Compact(ids)
}

// Names returns the producers' names in run order.
func (r *Runner) Names() []string { return append([]string(nil), r.names...) }

// Clock returns the run's clock.
func (r *Runner) Clock() *clock.Clock { return r.cfg.Clock }

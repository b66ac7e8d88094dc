package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/graph"
	"exhaust/aggregator/score"
	"exhaust/event"
	"exhaust/faults"
	"exhaust/producers"
	_ "exhaust/producers/all" // the sweep measures every sensor
	"exhaust/world"
)

// Config is one configuration of the sweep.
type Config struct {
	Persons int   // people in the city, the hero included; at least 1
	Days    int   // days played, from day 1; at least 1
	Seed    int64 // seed of the city and of its events
	// Start is the first day's date (world.DefaultStart when zero).
	Start time.Time
	// Producers observe the days (producers.All() when nil).
	Producers []producers.Producer
	// Engine configures the aggregator (aggregator.DefaultConfig when nil):
	// the sweep measures the linker's default thresholds unless told
	// otherwise.
	Engine *aggregator.Config
	// Now is the clock that times the Engine's Apply calls (time.Now when
	// nil); only EventsPerS depends on it.
	Now func() time.Time
	// Faults are done to each day's events on their way to the Engine, as
	// the runner does them on the way to NATS (package faults, seeded by
	// Seed); the zero Plan does none.
	Faults faults.Plan
	// FaultLog, if set, receives each day's fault reports (one per producer
	// that suffers faults, whole) once the day is applied.
	FaultLog func(faults.Report)

	// skip, if set, names events left out before any fault, as if never
	// emitted (tests compare a faulty run with a clean one without some
	// events).
	skip func(id string) bool
}

// Errors of a Config that Run refuses.
var (
	ErrNoPersons   = errors.New("eval: at least one person is needed")
	ErrNoDays      = errors.New("eval: at least one day is needed")
	ErrNoProducers = errors.New("eval: no producer is registered")
)

// Result is one configuration's measures. Shares and scores are in [0, 1].
type Result struct {
	Persons int   `json:"persons"`
	Days    int   `json:"days"`
	Seed    int64 `json:"seed"`
	// Pairwise and BCubed score the Engine's clusters of identifiers
	// against the truth (score.Pairwise, score.BCubed).
	Pairwise score.PRF `json:"pairwise"`
	BCubed   score.PRF `json:"bcubed"`
	// ByEvidence scores, pairwise, the clusters that the links of one
	// evidence kind alone would make (same_event, joined_records,
	// cooccurrence).
	ByEvidence map[string]score.PRF `json:"by_evidence"`
	// SameEvent is the recall of the pairs that same-event evidence could
	// join.
	SameEvent SameEvent `json:"same_event"`
	// Home and Work are the errors of the home and work facts, in metres.
	Home Distances `json:"home_error_m"`
	Work Distances `json:"work_error_m"`
	// Sleep is the error of the sleep fact's bed and wake times, in minutes.
	Sleep SleepError `json:"sleep_error_min"`
	// Unicity is ε2 and ε4 of the Engine's traces (Engine.Accuracy).
	Unicity Unicity `json:"unicity"`
	// Profiles is the number of clusters, singletons included.
	Profiles int `json:"profiles"`
	// Events is the number of events applied; EventsPerS divides it by the
	// wall time spent inside Engine.Apply alone (not generating,
	// validating nor decoding).
	Events     uint64  `json:"events"`
	EventsPerS float64 `json:"events_per_s"`
	// Faults is what Config.Faults did and what the Engine made of it:
	// the faults done, the duplicates and late events the Engine counted,
	// the messages rejected by reason.
	Faults Faults `json:"faults"`
}

// Unicity is the share of traces that p random points of their own single
// out, for p = 2 and 4.
type Unicity struct {
	P2 float64 `json:"2"`
	P4 float64 `json:"4"`
}

// SameEvent measures the recall of the pairs of one person's identifiers
// that appear together in events, directly or through a chain of events.
type SameEvent struct {
	// Recall is the share of those pairs that the final clustering keeps
	// in one profile.
	Recall float64 `json:"recall"`
	// Bound is the pairwise recall that same-event evidence alone could
	// reach: those pairs over all of the persons' pairs.
	Bound float64 `json:"bound"`
	// ByEvidence is Engine.Accuracy's pairwise recall of the same_event
	// links alone.
	ByEvidence float64 `json:"by_evidence"`
	// Pairs counts the true pairs (one person's identifiers, both in the
	// Engine), Joinable those same-event evidence connects, Kept those of
	// Joinable in one profile.
	Pairs    int64 `json:"pairs"`
	Joinable int64 `json:"joinable"`
	Kept     int64 `json:"kept"`
}

// Distances are the errors of an area fact, in metres, over the people
// counted (see docs/accuracy.md for who counts).
type Distances struct {
	// P50 and P90 are the nearest-rank median and 90th percentile over
	// the people whose profile has the fact; nil when nobody's has.
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
	// Found is the share of the people counted whose profile has the fact.
	Found float64 `json:"found"`
	// People is the number of people counted.
	People int `json:"people"`
}

// SleepError is the error of the sleep fact's last night against the
// night the person slept, over the nights counted (see docs/accuracy.md).
type SleepError struct {
	Bed  Quantiles `json:"bed"`  // |fact's last bed − truth's bed|
	Wake Quantiles `json:"wake"` // |fact's last wake − truth's wake|
	// Found is the share of the nights counted that the profile's fact
	// reported by the end of their day.
	Found float64 `json:"found"`
	// Nights is the number of nights counted (person-days).
	Nights int `json:"nights"`
}

// Quantiles are a nearest-rank median and 90th percentile; nil when there
// is nothing to rank.
type Quantiles struct {
	P50 *float64 `json:"p50"`
	P90 *float64 `json:"p90"`
}

// Grid is the sweep: every combination of its people, days, seeds and
// fault plans.
type Grid struct {
	Persons []int
	Days    []int
	Seeds   []int64
	// Faults are the fault plans; none is one clean run per combination.
	Faults []faults.Plan
}

// Configs lists the grid's combinations, people outermost, then days, then
// seeds, then fault plans, each in the order given.
func (g Grid) Configs() []Config {
	plans := g.Faults
	if len(plans) == 0 {
		plans = []faults.Plan{{}}
	}
	var out []Config
	for _, p := range g.Persons {
		for _, d := range g.Days {
			for _, s := range g.Seeds {
				for _, f := range plans {
					out = append(out, Config{Persons: p, Days: d, Seed: s, Faults: f})
				}
			}
		}
	}
	return out
}

// Run plays cfg's city and scores the Engine that consumed it. It stops
// with ctx's error when ctx ends (checked between days and every ctxEvery
// events).
func Run(ctx context.Context, cfg Config) (Result, error) {
	switch {
	case cfg.Persons < 1:
		return Result{}, fmt.Errorf("%w (got %d)", ErrNoPersons, cfg.Persons)
	case cfg.Days < 1:
		return Result{}, fmt.Errorf("%w (got %d)", ErrNoDays, cfg.Days)
	}
	if cfg.Start.IsZero() {
		cfg.Start = world.DefaultStart()
	}
	if cfg.Producers == nil {
		cfg.Producers = producers.All()
	}
	if len(cfg.Producers) == 0 {
		return Result{}, ErrNoProducers
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ecfg := aggregator.DefaultConfig()
	if cfg.Engine != nil {
		ecfg = *cfg.Engine
	}
	w, err := world.New(world.Config{Seed: cfg.Seed, Persons: cfg.Persons, Start: cfg.Start})
	if err != nil {
		return Result{}, err
	}
	v, err := producers.NewValidator(cfg.Producers...)
	if err != nil {
		return Result{}, err
	}
	r := &run{
		cfg:    cfg,
		engine: aggregator.New(ecfg),
		valid:  v,
		owned:  world.Owned{},
		joins:  newUnionFind(),
		faults: Faults{Rejected: map[string]uint64{}},
	}
	for _, p := range cfg.Producers {
		r.names = append(r.names, p.Spec().Name)
	}
	for d := 1; d <= cfg.Days; d++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		day := w.Day(d)
		if err := r.play(ctx, day); err != nil {
			return Result{}, err
		}
		r.setTruth(day)
		r.sleep.observe(day, r.engine)
	}
	return r.result(w), nil
}

// run is one configuration being played.
type run struct {
	cfg    Config
	engine *aggregator.Engine
	valid  *event.Validator
	names  []string // the producers', as cfg lists them
	seq    uint64
	events uint64
	apply  time.Duration // wall time inside Engine.Apply
	// owned accumulates each person's identifiers over the days played,
	// from the first day they are in the city.
	owned world.Owned
	// joins connects the identifiers that share an event.
	joins  *unionFind
	sleep  sleepTally
	faults Faults // the faults done and the rejected (see faultResult)
}

// ctxEvery is how many events are applied between two looks at the
// context: often enough to stop within a fraction of a second.
const ctxEvery = 1 << 14

// generate has every producer observe day on its own goroutine, each
// encoding its events as emitted, and returns them with the order that
// merges them by time (ties to the producer listed first): the stream the
// runner (package sim) publishes.
func generate(cfg Config, day *world.Day) ([][]producers.Encoded, []uint8, error) {
	perProducer, order, err := producers.CollectDay(cfg.Producers, cfg.Seed, day)
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	return perProducer, order, nil
}

// setTruth gives the Engine the truth of the people in the city on day,
// accumulated over the days played: what the runner publishes.
func (r *run) setTruth(day *world.Day) {
	for _, o := range r.owned.Add(day) {
		r.engine.SetTruth(aggregator.Truth{Person: o.Person.ID, Name: o.Person.Name, IDs: o.IDs})
	}
}

// result scores the Engine at the end of the run.
func (r *run) result(w *world.World) Result {
	acc := r.engine.Accuracy()
	profiles := r.engine.TopProfiles(math.MaxInt)
	out := Result{
		Persons:    r.cfg.Persons,
		Days:       r.cfg.Days,
		Seed:       r.cfg.Seed,
		Pairwise:   acc.Pairwise,
		BCubed:     acc.BCubed,
		ByEvidence: acc.ByEvidence,
		Unicity:    Unicity{P2: acc.Unicity["2"], P4: acc.Unicity["4"]},
		Profiles:   len(profiles),
		Events:     r.events,
		Faults:     r.faultResult(),
	}
	if s := r.apply.Seconds(); s > 0 {
		out.EventsPerS = float64(r.events) / s
	}
	out.SameEvent = sameEvent(r.joins, profiles, owners(w, r.owned))
	out.SameEvent.ByEvidence = acc.ByEvidence[string(graph.SameEvent)].Recall
	out.Home, out.Work = areaErrors(w, profiles)
	out.Sleep = r.sleep.result()
	return out
}

// owners turns the accumulated truth into identifier → person. Should two
// people claim one identifier, the first in population order keeps it.
func owners(w *world.World, owned map[string]map[event.ID]bool) map[event.ID]string {
	out := map[event.ID]string{}
	for _, p := range w.People {
		for id := range owned[p.ID] {
			if _, taken := out[id]; !taken {
				out[id] = p.ID
			}
		}
	}
	return out
}

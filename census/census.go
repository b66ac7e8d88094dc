package census

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"time"

	"exhaust/aggregator/score"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

// MaxP is the longest curve reported: ε1 to ε6, as in the papers' figures.
const MaxP = 6

// DefaultSamples is how many draws a curve is measured from, spread over
// its traces (each trace at least once): 100,000 draws put the draws' own
// error on a share near 0.5 at about ±0.002 (one standard error), below the
// second decimal the report is read at, for well under a second at 1,000
// people (a 100,000-person city draws each trace once).
const DefaultSamples = 100000

// Config says which city to report on and how.
type Config struct {
	World     world.Config
	Days      int                  // days to simulate, from day 1; at least 1
	Producers []producers.Producer // those that observe the days (producers.All())
	// Lenses make the unicity curves (default AntennaHour, ShopDay).
	Lenses []Lens
	// Samples is the number of draws per curve, spread over its traces
	// (DefaultSamples when 0).
	Samples int
	// DrawSeed seeds the draws; the events depend on World.Seed alone.
	DrawSeed uint64
	// Workers is how many producers observe a day at once (GOMAXPROCS
	// when 0).
	Workers int
	// Now is the clock the report's timings read (time.Now when nil).
	Now func() time.Time
}

// ErrNoDays is returned by Run when there is no day to simulate.
var ErrNoDays = errors.New("census: at least one day is needed")

// Report is what the city is and what its exhaust gives away.
type Report struct {
	Persons int    `json:"persons"`
	Days    int    `json:"days"`
	Seed    int64  `json:"seed"`
	Start   string `json:"start"` // first day, YYYY-MM-DD (Europe/Paris)
	// PersonDays counts the people in the city each day (visitors only
	// during their stay), summed over the days: the denominator of the
	// per-person-day rates.
	PersonDays  int            `json:"person_days"`
	Occupations map[string]int `json:"occupations"` // people by occupation; "unset" when blank
	Towers      int            `json:"towers"`
	Places      map[string]int `json:"places"` // places by kind, homes included
	Events      int64          `json:"events"`
	// EventsByProducer counts events by producer; they sum to Events.
	EventsByProducer map[string]int64 `json:"events_by_producer"`
	// PerPersonDay is EventsByProducer over PersonDays, with "all" for
	// Events over PersonDays.
	PerPersonDay map[string]float64 `json:"events_per_person_day"`
	// Unicity is ε1…ε6 at antenna × hour, UnicityShop at shop × day.
	Unicity     Curve `json:"unicity"`
	UnicityShop Curve `json:"unicity_shop"`
	// Curves holds every lens's curve with its traces, in Config.Lenses
	// order; Unicity and UnicityShop are two of them.
	Curves []Measured `json:"curves"`
	// Papers are the published figures the curves are read against.
	Papers []Paper `json:"papers"`
	// Timings, in seconds, and the simulation's throughput.
	SimulateSeconds float64 `json:"simulate_seconds"`
	UnicitySeconds  float64 `json:"unicity_seconds"`
	EventsPerSecond float64 `json:"events_per_second"` // Events over SimulateSeconds
}

// Measured is one lens's curve and the traces it was measured on.
type Measured struct {
	Lens   string  `json:"lens"`   // "antenna × hour"
	Type   string  `json:"type"`   // event type read, "phone.cell"
	Key    string  `json:"key"`    // identifier kind keying the traces
	Traces int     `json:"traces"` // traces (SIMs, cards)
	Points int     `json:"points"` // distinct points, all traces together
	Draws  int     `json:"draws"`  // draws of each trace
	Curve  Curve   `json:"curve"`
	Mean   float64 `json:"mean_points"` // points per trace
}

// Curve is ε1, ε2, …: Curve[p-1] is the share of traces that p random
// points of their own single out. In JSON it is an object keyed "1", "2", ….
type Curve []float64

// MarshalJSON writes the curve as {"1": ε1, "2": ε2, …}, rounded to four
// decimals (the draws' noise is larger).
func (c Curve) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, v := range c {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, strconv.Itoa(i+1))
		b = append(b, ':')
		b = strconv.AppendFloat(b, math.Round(v*1e4)/1e4, 'f', -1, 64)
	}
	return append(b, '}'), nil
}

// Run simulates the city and measures it. It stops between days when ctx is
// done.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Days < 1 {
		return nil, fmt.Errorf("%w (got %d)", ErrNoDays, cfg.Days)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	lenses := cfg.Lenses
	if lenses == nil {
		lenses = []Lens{AntennaHour, ShopDay}
	}
	workers := cfg.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	began := now()
	w, err := world.New(cfg.World)
	if err != nil {
		return nil, err
	}
	r := describe(w, cfg.Days)
	r.Papers = Papers
	traces := make([]*score.Traces, len(lenses))
	for i := range traces {
		traces[i] = score.NewTraces()
	}
	counts := make([]int64, len(cfg.Producers))
	for d := 1; d <= cfg.Days; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		day := w.Day(d)
		r.PersonDays += len(day.Present())
		if err := observe(day, cfg.World.Seed, cfg.Producers, lenses, traces, counts, workers); err != nil {
			return nil, err
		}
	}
	for i, p := range cfg.Producers {
		r.EventsByProducer[p.Spec().Name] += counts[i]
		r.Events += counts[i]
	}
	for name, n := range r.EventsByProducer {
		r.PerPersonDay[name] = perDay(n, r.PersonDays)
	}
	r.PerPersonDay["all"] = perDay(r.Events, r.PersonDays)
	simulated := now()
	r.SimulateSeconds = simulated.Sub(began).Seconds()
	if r.SimulateSeconds > 0 {
		r.EventsPerSecond = float64(r.Events) / r.SimulateSeconds
	}

	samples := cfg.Samples
	if samples < 1 {
		samples = DefaultSamples
	}
	for i, l := range lenses {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := measure(l, traces[i], samples, cfg.DrawSeed)
		traces[i] = nil // the curve is all that is left to report
		r.Curves = append(r.Curves, m)
		switch l.Type {
		case AntennaHour.Type:
			r.Unicity = m.Curve
		case ShopDay.Type:
			r.UnicityShop = m.Curve
		}
	}
	r.UnicitySeconds = now().Sub(simulated).Seconds()
	return r, nil
}

// describe counts what the city is made of.
func describe(w *world.World, days int) *Report {
	cfg := w.Config()
	r := &Report{
		Persons: len(w.People), Days: days, Seed: cfg.Seed,
		Start:       w.Date(1).Format(time.DateOnly),
		Occupations: map[string]int{}, Towers: len(w.City.Towers), Places: map[string]int{},
		EventsByProducer: map[string]int64{}, PerPersonDay: map[string]float64{},
	}
	for _, p := range w.People {
		r.Occupations[OccupationName(p.Occupation)]++
	}
	for _, pl := range w.City.Places {
		r.Places[string(pl.Kind)]++
	}
	return r
}

// OccupationName is how reports name an occupation: its own name, or
// "unset" for a person without one.
func OccupationName(o world.Occupation) string {
	if o == "" {
		return "unset"
	}
	return string(o)
}

func perDay(n int64, personDays int) float64 {
	if personDays == 0 {
		return 0
	}
	return float64(n) / float64(personDays)
}

// observe has every producer observe day, workers at a time, counting
// their events into counts and adding the points lenses read to traces.
// Each lens reads one event type, so one producer's goroutine feeds it, in
// emission order: the traces, and so the curves, replay exactly.
func observe(day *world.Day, seed int64, ps []producers.Producer, lenses []Lens, traces []*score.Traces, counts []int64, workers int) error {
	errs := make([]error, len(ps))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			name := p.Spec().Name
			t := &tally{producer: name}
			for j := range lenses {
				t.lenses = append(t.lenses, boundLens{&lenses[j], traces[j]})
			}
			// The generator Collect and the runner give the producer:
			// the events are those exhaust produce publishes.
			rng := rand.New(producers.Seeded(seed, name, day.Index))
			if err := p.Observe(day, rng, t); err != nil {
				errs[i] = fmt.Errorf("producer %s, day %d: %w", name, day.Index, err)
			}
			counts[i] += t.events
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// boundLens is a lens with the traces it fills.
type boundLens struct {
	lens   *Lens
	traces *score.Traces
}

// tally is the Emitter of one producer over one day: it counts events and
// hands those a lens reads to its traces, keeping nothing else.
type tally struct {
	producer string
	events   int64
	lenses   []boundLens
}

var _ producers.Emitter = (*tally)(nil)

// Emit counts the event and adds its point to the traces of every lens
// that reads its type.
func (t *tally) Emit(kind string, at time.Time, data any) {
	t.events++
	typ := event.Type(t.producer, kind)
	for _, b := range t.lenses {
		if b.lens.Type != typ {
			continue
		}
		if key, place, bin, ok := b.lens.point(at, data); ok {
			b.traces.Add(key, place, bin)
		}
	}
}

// measure computes a lens's curve: each trace is drawn so that the curve
// rests on about samples draws in all, and at least once.
func measure(l Lens, t *score.Traces, samples int, seed uint64) Measured {
	m := Measured{Lens: l.Name, Type: l.Type, Key: string(l.Key), Traces: t.Len(), Points: t.TotalPoints()}
	if m.Traces > 0 {
		m.Draws = max(1, (samples+m.Traces/2)/m.Traces) // rounded
		m.Mean = float64(m.Points) / float64(m.Traces)
	}
	// One stream per lens, so adding a lens leaves the others' figures.
	rng := rand.New(rand.NewPCG(seed, uint64(hashString(l.Type))))
	m.Curve = t.UnicityCurve(MaxP, m.Draws, rng)
	return m
}

// hashString is FNV-1a, to key a lens's draws by its event type.
func hashString(s string) uint32 {
	h := uint32(2166136261)
	for i := range len(s) {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

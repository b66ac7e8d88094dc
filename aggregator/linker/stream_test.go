package linker_test

import (
	"errors"
	"runtime"
	"sort"
	"sync"
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/producers/producertest"
	"exhaust/world"
)

// streamDays is how many days the shared test stream covers: the week the
// accuracy target is stated for.
const streamDays = 7

// stream is a generated run of the default world: every producer's events
// of days 1..streamDays in time order, validated and decoded as the
// aggregator receives them, with the ground truth of each day.
type stream struct {
	world   *world.World
	records []*obs.Record
	truth   []map[string][]event.ID // by day, from 1; truth[0] unused
}

var defaultStream = sync.OnceValues(func() (*stream, error) {
	return generate(world.DefaultConfig(), streamDays)
})

// shared returns the default world's stream, generated once per test
// binary: generating and validating a week of events is most of the
// package's test time.
func shared(tb testing.TB) *stream {
	tb.Helper()
	s, err := defaultStream()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func generate(cfg world.Config, days int) (*stream, error) {
	w, err := world.New(cfg)
	if err != nil {
		return nil, err
	}
	ps, err := producers.Select(nil)
	if err != nil {
		return nil, err
	}
	v, err := event.NewValidator(producertest.Schemas(ps...))
	if err != nil {
		return nil, err
	}
	s := &stream{world: w, truth: make([]map[string][]event.ID, days+1)}
	var evs []event.Event
	for d := 1; d <= days; d++ {
		day := w.Day(d)
		for _, p := range ps {
			e, err := producers.Collect(p, cfg.Seed, day)
			if err != nil {
				return nil, err
			}
			evs = append(evs, e...)
		}
		s.truth[d] = day.Truth()
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	// Validate and decode as the aggregator does, on every core: it is
	// most of the cost of a stream.
	s.records = make([]*obs.Record, len(evs))
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(evs); i += workers {
				raw, err := evs[i].Encode()
				if err != nil {
					errs[w] = err
					return
				}
				ev, err := v.Validate(raw)
				if err != nil {
					errs[w] = err
					return
				}
				if s.records[i], err = obs.Decode(ev); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return s, nil
}

// upTo returns the records of days 1..days and their truth (identifier →
// person).
func (s *stream) upTo(days int) ([]*obs.Record, map[event.ID]string) {
	end := s.world.Date(days + 1)
	n := sort.Search(len(s.records), func(i int) bool { return !s.records[i].Time.Before(end) })
	truth := map[event.ID]string{}
	for d := 1; d <= days; d++ {
		for person, ids := range s.truth[d] {
			for _, id := range ids {
				truth[id] = person
			}
		}
	}
	return s.records[:n], truth
}

// apply feeds records to g and l the way the aggregator's engine does:
// every identifier touched, then the linker.
func apply(g *graph.Graph, l *linker.Linker, records []*obs.Record) {
	for _, r := range records {
		for _, id := range r.IDs {
			g.Touch(id, r.Time)
		}
		l.Observe(r)
	}
}

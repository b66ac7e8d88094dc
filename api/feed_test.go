package api_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/producers/producertest"
	"exhaust/world"
)

// stream is a generated, validated event stream and its ground truth.
type stream struct {
	events []*event.Event     // in publication order, as event.Validator returns them
	truth  []aggregator.Truth // every person's identifiers over the stream's days
	types  []string           // event types present, sorted
}

const (
	testPersons = 8
	testDays    = 2
	testSeed    = 1
)

// generated returns the stream of testDays days of testPersons persons with
// every producer on: built once, shared read-only by the tests.
var generated = sync.OnceValues(func() (*stream, error) {
	w, err := world.New(world.Config{Seed: testSeed, Persons: testPersons})
	if err != nil {
		return nil, err
	}
	ps := producers.All()
	v, err := event.NewValidator(producertest.Schemas(ps...))
	if err != nil {
		return nil, err
	}
	s := &stream{}
	owned := map[string]map[event.ID]bool{}
	types := map[string]bool{}
	for d := 1; d <= testDays; d++ {
		day := w.Day(d)
		var evs []event.Event
		for _, p := range ps {
			got, err := producers.Collect(p, testSeed, day)
			if err != nil {
				return nil, err
			}
			evs = append(evs, got...)
		}
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		for i := range evs {
			b, err := evs[i].Encode()
			if err != nil {
				return nil, err
			}
			ev, err := v.Validate(b)
			if err != nil {
				return nil, err
			}
			s.events = append(s.events, ev)
			types[ev.Type] = true
		}
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
		t := aggregator.Truth{Person: p.ID, Name: p.Name}
		for id := range owned[p.ID] {
			t.IDs = append(t.IDs, id)
		}
		sort.Slice(t.IDs, func(i, j int) bool {
			if t.IDs[i].Kind != t.IDs[j].Kind {
				return t.IDs[i].Kind < t.IDs[j].Kind
			}
			return t.IDs[i].Value < t.IDs[j].Value
		})
		s.truth = append(s.truth, t)
	}
	for typ := range types {
		s.types = append(s.types, typ)
	}
	sort.Strings(s.types)
	return s, nil
})

// fed returns an Engine with the whole generated stream applied and the
// truth set. It is shared: tests must only read it.
func fed(t testing.TB) (*aggregator.Engine, *stream) {
	t.Helper()
	e, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := generated()
	return e, s
}

var shared = sync.OnceValues(func() (*aggregator.Engine, error) {
	s, err := generated()
	if err != nil {
		return nil, fmt.Errorf("generate stream: %w", err)
	}
	e, err := apply(s.events)
	if err != nil {
		return nil, err
	}
	for _, tr := range s.truth {
		e.SetTruth(tr)
	}
	return e, nil
})

// fresh returns a new Engine, not shared, with the whole stream applied but
// no truth.
func fresh(t testing.TB) (*aggregator.Engine, *stream) {
	t.Helper()
	s, err := generated()
	if err != nil {
		t.Fatalf("generate stream: %v", err)
	}
	e, err := apply(s.events)
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

// apply applies events, in order, to a new Engine.
func apply(events []*event.Event) (*aggregator.Engine, error) {
	e := aggregator.New(aggregator.DefaultConfig())
	for i, ev := range events {
		if _, err := e.Apply(uint64(i+1), ev); err != nil {
			return nil, fmt.Errorf("apply event %d (%s): %w", i+1, ev.Type, err)
		}
	}
	return e, nil
}

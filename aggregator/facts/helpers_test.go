package facts_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/producers/producertest"
	"exhaust/world"
)

// run is a generated stream: the world, every event of some days decoded
// the way the aggregator's consumer decodes them, and who owns which
// identifiers.
type run struct {
	world   *world.World
	days    []*world.Day
	records []*obs.Record
	truth   map[string][]event.ID // person → identifiers, over all the days
}

var (
	validatorOnce sync.Once
	validator     *event.Validator
	validatorErr  error
	runsMu        sync.Mutex
	runs          = map[string]*run{}
)

// generate builds a world and the decoded events of days 1..days: encoded,
// then validated and decoded as the consumer does (event.Validator, then
// obs.Decode). Schema validation is slow under the race detector, and the
// producers' contract suite already checks every event against its schema:
// with validate false, events are decoded the way the validator returns
// them, without the schema checks. Runs are cached by key, so tests that
// share one do not generate it twice.
func generate(tb testing.TB, key string, cfg world.Config, days int, validate bool) *run {
	tb.Helper()
	runsMu.Lock()
	defer runsMu.Unlock()
	if r, ok := runs[key]; ok {
		return r
	}
	validatorOnce.Do(func() {
		validator, validatorErr = event.NewValidator(producertest.Schemas(producers.All()...))
	})
	if validatorErr != nil {
		tb.Fatal(validatorErr)
	}
	w, err := world.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	r := &run{world: w, truth: map[string][]event.ID{}}
	for d := 1; d <= days; d++ {
		day := w.Day(d)
		r.days = append(r.days, day)
		var evs []event.Event
		for _, p := range producers.All() {
			got, err := producers.Collect(p, cfg.Seed, day)
			if err != nil {
				tb.Fatal(err)
			}
			evs = append(evs, got...)
		}
		// The simulator's merge: time order, ties to the producer first in
		// the registry.
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		for i := range evs {
			raw, err := evs[i].Encode()
			if err != nil {
				tb.Fatal(err)
			}
			ev, err := decodeEnvelope(raw, validate)
			if err != nil {
				tb.Fatalf("day %d: %v", d, err)
			}
			rec, err := obs.Decode(ev)
			if err != nil {
				tb.Fatal(err)
			}
			r.records = append(r.records, rec)
		}
		for p, ids := range day.Truth() {
			r.truth[p] = append(r.truth[p], ids...)
		}
	}
	for p, ids := range r.truth {
		slices.SortFunc(ids, func(a, b event.ID) int {
			if a.Kind != b.Kind {
				return compareStrings(string(a.Kind), string(b.Kind))
			}
			return compareStrings(a.Value, b.Value)
		})
		r.truth[p] = slices.Compact(ids)
	}
	runs[key] = r
	return r
}

// decodeEnvelope decodes a raw event with its data left raw, through the
// validator or, without validation, as the validator does.
func decodeEnvelope(raw []byte, validate bool) (*event.Event, error) {
	if validate {
		return validator.Validate(raw)
	}
	var w struct {
		event.Event
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	ev := w.Event
	ev.Data = w.Data
	return &ev, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// store returns a Store that observed the run's records.
func (r *run) store() *facts.Store {
	s := facts.New()
	for _, rec := range r.records {
		s.Observe(rec)
	}
	return s
}

// defaultRun is the default world (30 people) on its first day, the
// hero's Sunday, with optional adjustments of the people. The plain run
// (no adjustment) goes through schema validation.
func defaultRun(tb testing.TB, name string, adjust func(*world.Person)) *run {
	tb.Helper()
	cfg := world.DefaultConfig()
	cfg.Adjust = adjust
	return generate(tb, "default/"+name, cfg, 1, adjust == nil)
}

// factsOf returns the facts of person's true identifiers, by name.
func factsOf(s *facts.Store, r *run, person string) map[string]facts.Fact {
	out := map[string]facts.Fact{}
	for _, f := range s.Derive(r.truth[person]) {
		out[f.Name] = f
	}
	return out
}

// checkEvidence fails unless f carries evidence.
func checkEvidence(t *testing.T, f facts.Fact) {
	t.Helper()
	e := f.Evidence
	if e.Why == "" || e.Count <= 0 || len(e.EventIDs) == 0 || len(e.EventIDs) > facts.MaxEventIDs || len(e.Sources) == 0 {
		t.Errorf("%s: evidence incomplete: %+v", f.Name, e)
	}
	if !slices.IsSorted(e.Sources) {
		t.Errorf("%s: sources not sorted: %v", f.Name, e.Sources)
	}
	if f.Display == "" || f.Confidence <= 0 || f.Confidence > 1 {
		t.Errorf("%s: display %q, confidence %v", f.Name, f.Display, f.Confidence)
	}
	if f.FirstSeen.IsZero() || f.LastSeen.Before(f.FirstSeen) {
		t.Errorf("%s: seen %v .. %v", f.Name, f.FirstSeen, f.LastSeen)
	}
}

// describe prints facts for a failure message.
func describe(fs map[string]facts.Fact) string {
	var s string
	for _, n := range facts.FactNames {
		if f, ok := fs[n]; ok {
			s += fmt.Sprintf("\n  %s\n    because %s", f.Display, f.Evidence.Why)
		}
	}
	return s
}

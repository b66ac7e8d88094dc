package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"exhaust/eval"
	"exhaust/world"
)

// small is the city the tests measure: small enough for -race, large
// enough that every figure has something to count.
var small = eval.Config{Persons: 30, Days: 1, Seed: 1}

var (
	smallOnce   sync.Once
	smallResult eval.Result
	smallErr    error
)

// smallRun runs small once per test binary; callers must only read it.
func smallRun(t *testing.T) eval.Result {
	t.Helper()
	smallOnce.Do(func() { smallResult, smallErr = eval.Run(context.Background(), small) })
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallResult
}

func TestRunConsistent(t *testing.T) {
	r := smallRun(t)
	if r.Persons != small.Persons || r.Days != small.Days || r.Seed != small.Seed {
		t.Errorf("result is for %d people, %d days, seed %d; want %+v", r.Persons, r.Days, r.Seed, small)
	}
	if r.Events == 0 || r.Profiles == 0 {
		t.Fatalf("%d events, %d profiles: nothing was measured", r.Events, r.Profiles)
	}
	in01 := func(name string, v float64) {
		t.Helper()
		if math.IsNaN(v) || v < 0 || v > 1 {
			t.Errorf("%s = %v, want within [0, 1]", name, v)
		}
	}
	scores := map[string][3]float64{
		"pairwise": {r.Pairwise.Precision, r.Pairwise.Recall, r.Pairwise.F1},
		"bcubed":   {r.BCubed.Precision, r.BCubed.Recall, r.BCubed.F1},
	}
	for _, k := range []string{"same_event", "joined_records", "cooccurrence"} {
		s, ok := r.ByEvidence[k]
		if !ok {
			t.Errorf("by_evidence has no %q: %v", k, r.ByEvidence)
		}
		scores[k] = [3]float64{s.Precision, s.Recall, s.F1}
	}
	for name, s := range scores {
		in01(name+" precision", s[0])
		in01(name+" recall", s[1])
		in01(name+" F1", s[2])
		if s[0]+s[1] > 0 && math.Abs(s[2]-2*s[0]*s[1]/(s[0]+s[1])) > 1e-12 {
			t.Errorf("%s F1 %v is not the harmonic mean of %v and %v", name, s[2], s[0], s[1])
		}
	}
	// Not degenerate: the aggregator links something, and mostly right.
	if r.Pairwise.Recall == 0 || r.Pairwise.Precision < 0.5 {
		t.Errorf("pairwise %+v: degenerate", r.Pairwise)
	}

	se := r.SameEvent
	in01("same_event recall", se.Recall)
	in01("same_event bound", se.Bound)
	if !(0 <= se.Kept && se.Kept <= se.Joinable && se.Joinable <= se.Pairs && se.Pairs > 0) {
		t.Errorf("same_event pairs: kept %d, joinable %d, all %d: want 0 <= kept <= joinable <= all, all > 0", se.Kept, se.Joinable, se.Pairs)
	}
	if se.ByEvidence != r.ByEvidence["same_event"].Recall {
		t.Errorf("same_event.by_evidence %v, by_evidence.same_event.recall %v", se.ByEvidence, r.ByEvidence["same_event"].Recall)
	}
	// Same-event links join identifiers that shared an event, so their
	// recall cannot pass what shared events allow.
	if se.ByEvidence > se.Bound+1e-12 {
		t.Errorf("same-event links reach recall %v, above the bound %v", se.ByEvidence, se.Bound)
	}

	for name, d := range map[string]eval.Distances{"home": r.Home, "work": r.Work} {
		in01(name+" found", d.Found)
		if d.People == 0 {
			t.Errorf("%s: nobody counted", name)
		}
		if (d.P50 == nil) != (d.Found == 0) || (d.P50 == nil) != (d.P90 == nil) {
			t.Errorf("%s: p50 %v, p90 %v with found %v", name, d.P50, d.P90, d.Found)
		} else if d.P50 != nil && !(0 <= *d.P50 && *d.P50 <= *d.P90) {
			t.Errorf("%s: p50 %v, p90 %v: want 0 <= p50 <= p90", name, *d.P50, *d.P90)
		}
	}
	if r.Home.Found == 0 {
		t.Error("no home found: the home fact is missing from every profile")
	}
	if r.Home.P50 != nil && *r.Home.P50 > 2000 {
		t.Errorf("home p50 %.0f m: not a home", *r.Home.P50)
	}

	in01("sleep found", r.Sleep.Found)
	if r.Sleep.Nights == 0 || r.Sleep.Found == 0 {
		t.Errorf("sleep: %d nights, found %v: nothing compared", r.Sleep.Nights, r.Sleep.Found)
	}
	for name, q := range map[string]eval.Quantiles{"bed": r.Sleep.Bed, "wake": r.Sleep.Wake} {
		if q.P50 == nil || q.P90 == nil || *q.P50 < 0 || *q.P50 > *q.P90 {
			t.Errorf("sleep %s: p50 %v, p90 %v", name, q.P50, q.P90)
		}
	}
	in01("unicity 2", r.Unicity.P2)
	in01("unicity 4", r.Unicity.P4)
}

func TestResultJSONKeys(t *testing.T) {
	b, err := json.Marshal(smallRun(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"persons", "days", "seed", "by_evidence", "work_error_m", "sleep_error_min", "events", "events_per_s", "same_event", "faults"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no key %q in %s", k, b)
		}
	}
	nested := map[string][]string{
		"pairwise":     {"precision", "recall", "f1"},
		"bcubed":       {"precision", "recall", "f1"},
		"home_error_m": {"p50", "p90", "found"},
		"work_error_m": {"p50", "p90", "found"},
		"unicity":      {"2", "4"},
		"same_event":   {"recall", "bound", "by_evidence"},
	}
	for k, subs := range nested {
		obj, ok := m[k].(map[string]any)
		if !ok {
			t.Errorf("%q is %T, want an object, in %s", k, m[k], b)
			continue
		}
		for _, s := range subs {
			v, ok := obj[s]
			if !ok {
				t.Errorf("no key %s.%s in %s", k, s, b)
				continue
			}
			// Day 1 is a Sunday: nobody's workplace is known yet, and a
			// percentile of nothing is null.
			if _, num := v.(float64); !num && (k != "work_error_m" || v != nil) {
				t.Errorf("%s.%s is %v, want a number, in %s", k, s, v, b)
			}
		}
	}
}

func TestRunDeterministic(t *testing.T) {
	a := smallRun(t)
	b, err := eval.Run(context.Background(), small)
	if err != nil {
		t.Fatal(err)
	}
	a.EventsPerS, b.EventsPerS = 0, 0 // the only figure that reads the clock
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		t.Errorf("two runs of one seed differ:\n%s\n%s", ja, jb)
	}
}

func TestEventsPerSecondReadsTheClock(t *testing.T) {
	// A clock that moves 1 ms per reading: each Apply takes 1 ms.
	var now time.Time
	cfg := eval.Config{Persons: 8, Days: 1, Seed: 2, Now: func() time.Time {
		now = now.Add(time.Millisecond)
		return now
	}}
	r, err := eval.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Events == 0 || math.Abs(r.EventsPerS-1000) > 1e-6 {
		t.Errorf("%d events at %v events/s, want 1000/s with each Apply taking 1 ms", r.Events, r.EventsPerS)
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  eval.Config
		want error
	}{
		{"no people", eval.Config{Persons: 0, Days: 1}, eval.ErrNoPersons},
		{"no days", eval.Config{Persons: 5, Days: 0}, eval.ErrNoDays},
		{"too many people", eval.Config{Persons: world.MaxPersons + 1, Days: 1}, world.ErrTooManyPersons},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := eval.Run(context.Background(), tc.cfg); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := eval.Run(ctx, eval.Config{Persons: 8, Days: 3, Seed: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

func ExampleGrid_Configs() {
	g := eval.Grid{Persons: []int{30, 300}, Days: []int{1, 7}, Seeds: []int64{5}}
	for _, c := range g.Configs() {
		fmt.Println(c.Persons, c.Days, c.Seed)
	}
	// Output:
	// 30 1 5
	// 30 7 5
	// 300 1 5
	// 300 7 5
}

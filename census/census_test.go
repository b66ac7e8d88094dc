package census_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"exhaust/census"
	"exhaust/producers"
	_ "exhaust/producers/all" // registers every producer
	"exhaust/world"
)

// run reports on a small city.
func run(t *testing.T, persons, days int, drawSeed uint64) *census.Report {
	t.Helper()
	cfg := world.DefaultConfig()
	cfg.Persons = persons
	r, err := census.Run(context.Background(), census.Config{World: cfg, Days: days, Producers: producers.All(), DrawSeed: drawSeed})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportAddsUp(t *testing.T) {
	r := run(t, 60, 2, 1)
	if r.Persons != 60 || r.Days != 2 || r.Start != "2026-11-29" {
		t.Errorf("persons %d, days %d, start %s; want 60, 2, 2026-11-29", r.Persons, r.Days, r.Start)
	}
	people := 0
	for _, n := range r.Occupations {
		people += n
	}
	if people != r.Persons {
		t.Errorf("occupations count %d people, want %d", people, r.Persons)
	}
	if r.PersonDays < 1 || r.PersonDays > r.Persons*r.Days {
		t.Errorf("person-days %d, want 1..%d", r.PersonDays, r.Persons*r.Days)
	}
	var sum int64
	for _, p := range producers.All() {
		n, ok := r.EventsByProducer[p.Spec().Name]
		if !ok {
			t.Errorf("no count for producer %s", p.Spec().Name)
		}
		sum += n
	}
	if sum != r.Events || r.Events == 0 {
		t.Errorf("producers sum to %d events, report says %d", sum, r.Events)
	}
	if want := float64(r.Events) / float64(r.PersonDays); r.PerPersonDay["all"] != want {
		t.Errorf("all per person-day %v, want %v", r.PerPersonDay["all"], want)
	}
	if r.Towers == 0 || r.Places["station"] == 0 {
		t.Errorf("towers %d, stations %d: the city is missing", r.Towers, r.Places["station"])
	}
	for _, m := range r.Curves {
		if m.Traces == 0 || len(m.Curve) != census.MaxP {
			t.Errorf("%s: %d traces, curve %v", m.Lens, m.Traces, m.Curve)
		}
		// Nested draws: ε_p never falls while every trace is long enough
		// to be drawn; SIMs' traces are.
		if m.Lens == census.AntennaHour.Name && !slices.IsSorted(m.Curve) {
			t.Errorf("%s: curve goes down: %v", m.Lens, m.Curve)
		}
	}
	if !slices.Equal(r.Unicity, r.Curves[0].Curve) || !slices.Equal(r.UnicityShop, r.Curves[1].Curve) {
		t.Error("Unicity and UnicityShop are not the lenses' curves")
	}
}

func TestReportReplays(t *testing.T) {
	a, b := run(t, 40, 1, 7), run(t, 40, 1, 7)
	if a.Events != b.Events || !slices.Equal(a.Unicity, b.Unicity) || !slices.Equal(a.UnicityShop, b.UnicityShop) {
		t.Errorf("two runs differ: %d events %v %v, then %d %v %v", a.Events, a.Unicity, a.UnicityShop, b.Events, b.Unicity, b.UnicityShop)
	}
}

func TestRunNeedsADay(t *testing.T) {
	_, err := census.Run(context.Background(), census.Config{World: world.DefaultConfig(), Days: 0})
	if !errors.Is(err, census.ErrNoDays) {
		t.Errorf("err = %v, want ErrNoDays", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := census.Run(ctx, census.Config{World: world.DefaultConfig(), Days: 3, Producers: producers.All()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestLocalDay(t *testing.T) {
	// 23:30 UTC on 28 November is 00:30 on the 29th in Paris.
	late := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)
	if got, want := census.LocalDay(late), census.LocalDay(world.DefaultStart()); got != want {
		t.Errorf("LocalDay(%v) = %d, want %d (the Paris date)", late, got, want)
	}
}

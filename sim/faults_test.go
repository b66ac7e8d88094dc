package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"exhaust/clock"
	"exhaust/faults"
	"exhaust/producers"
	"exhaust/sim"
	"exhaust/world"
)

// faultLog keeps the fault reports it is given.
type faultLog struct{ reports []faults.Report }

func (f *faultLog) PublishFaults(_ context.Context, producer string, day, part int, payload []byte) error {
	var r faults.Report
	if err := json.Unmarshal(payload, &r); err != nil {
		return err
	}
	if r.Producer != producer || r.Day != day || r.Part != part {
		return errBadReport
	}
	f.reports = append(f.reports, r)
	return nil
}

var errBadReport = errors.New("report published under another producer, day or part")

// The runner publishes what the plan delivers (duplicates with their own
// message id, dropped events never), counts each fault in its stats and
// reports each day's faults, the same at every run.
func TestRunWithFaults(t *testing.T) {
	plan, err := faults.Parse("all:duplicate=5%,delay=10%/2m;wifi:drop=10%")
	if err != nil {
		t.Fatal(err)
	}
	runOnce := func() (*memSink, *faultLog, sim.Stats) {
		w, err := world.New(world.Config{Seed: 9, Persons: 6, Start: world.DefaultStart()})
		if err != nil {
			t.Fatal(err)
		}
		clk, err := clock.New(world.DefaultStart(), 1, true)
		if err != nil {
			t.Fatal(err)
		}
		sink, log := &memSink{}, &faultLog{}
		r, err := sim.New(sim.Config{World: w, Seed: 9, Days: 2, Producers: producers.All(), Clock: clk, Sink: sink, Truth: sink,
			Faults: plan, FaultLog: log})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return sink, log, r.Stats()
	}
	sink, log, st := runOnce()
	again, _, _ := runOnce()
	if strings.Join(sink.ids, ",") != strings.Join(again.ids, ",") {
		t.Error("two runs with the same seed and faults published different messages")
	}
	var reported faults.Counts
	days := map[int]int{}
	for _, r := range log.reports {
		reported = reported.Plus(r.Counts)
		days[r.Day]++
	}
	if len(days) != 2 || days[1] != len(producers.Names()) {
		t.Errorf("reports by day %v, want one per producer on each of 2 days", days)
	}
	if reported != st.FaultTotal || reported.Duplicate == 0 || reported.Delay == 0 || reported.Drop == 0 {
		t.Errorf("reports count %+v, stats %+v; want the same, with duplicates, delays and drops", reported, st.FaultTotal)
	}
	if st.Faults["wifi"].Drop != reported.Drop || st.Faults["phone"].Drop != 0 {
		t.Errorf("drops by producer %+v, want wifi's only", st.Faults)
	}
	dups := 0
	for _, id := range sink.ids {
		if strings.HasSuffix(id, faults.DuplicateSuffix) {
			dups++
		}
	}
	if uint64(dups) != reported.Duplicate || uint64(len(sink.ids)) != st.Total {
		t.Errorf("sink got %d duplicates of %d messages; stats say %d of %d", dups, len(sink.ids), reported.Duplicate, st.Total)
	}
}

// switchSink calls switchTo once it has been given at events, as a teacher
// would turn a knob in the middle of a day.
type switchSink struct {
	memSink
	at       int
	switchTo func()
}

func (s *switchSink) Publish(ctx context.Context, subject, id string, payload []byte) error {
	if err := s.memSink.Publish(ctx, subject, id, payload); err != nil {
		return err
	}
	if len(s.ids) == s.at {
		s.switchTo()
	}
	return nil
}

// SetFaults changes what the runner delivers from the next event on, in
// the middle of a day: after a switch to dropping everything nothing more
// is delivered; after a switch from delaying everything to no fault, the
// events held back are still delivered, so nothing is lost; and the same
// switches at the same events give the same messages.
func TestSetFaultsMidDay(t *testing.T) {
	mustParse := func(s string) faults.Plan {
		t.Helper()
		p, err := faults.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const at = 200
	runDay := func(initial, then faults.Plan) (*switchSink, *faultLog, *sim.Runner) {
		w, err := world.New(world.Config{Seed: 9, Persons: 6, Start: world.DefaultStart()})
		if err != nil {
			t.Fatal(err)
		}
		clk, err := clock.New(world.DefaultStart(), 1, true)
		if err != nil {
			t.Fatal(err)
		}
		sink, log := &switchSink{at: at}, &faultLog{}
		r, err := sim.New(sim.Config{World: w, Seed: 9, Days: 1, Producers: producers.All(), Clock: clk, Sink: sink,
			Faults: initial, FaultLog: log})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Faults().String(); got != initial.String() {
			t.Fatalf("a new runner does %q, want its Config.Faults %q", got, initial)
		}
		sink.switchTo = func() { r.SetFaults(then) }
		if err := r.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return sink, log, r
	}
	clean, _, _ := runDay(faults.Plan{}, faults.Plan{})
	if len(clean.ids) <= 2*at {
		t.Fatalf("a clean day has %d events, too few for the test", len(clean.ids))
	}

	t.Run("to dropping everything", func(t *testing.T) {
		sink, log, r := runDay(faults.Plan{}, mustParse("all:drop=100%"))
		if len(sink.ids) != at {
			t.Errorf("%d events delivered, want the %d before the switch", len(sink.ids), at)
		}
		st := r.Stats()
		if st.FaultTotal.Drop != uint64(len(clean.ids)-at) {
			t.Errorf("%d drops counted, want the %d events after the switch", st.FaultTotal.Drop, len(clean.ids)-at)
		}
		if got := r.Faults().String(); got != "all:drop=100%" {
			t.Errorf("Faults() = %q after the switch", got)
		}
		var reported uint64
		for _, rep := range log.reports {
			reported += rep.Counts.Drop
			if rep.Faults != "drop=100%" {
				t.Errorf("%s's report says %q, want drop=100%%", rep.Producer, rep.Faults)
			}
		}
		if reported != st.FaultTotal.Drop {
			t.Errorf("reports count %d drops, stats %d", reported, st.FaultTotal.Drop)
		}
	})

	t.Run("from delaying everything to clean", func(t *testing.T) {
		delay := mustParse("all:delay=100%/2m")
		sink, log, r := runDay(delay, faults.Plan{})
		again, _, _ := runDay(delay, faults.Plan{})
		if strings.Join(sink.ids, ",") != strings.Join(again.ids, ",") {
			t.Error("the same switch at the same event gave different messages")
		}
		want := slices.Sorted(slices.Values(clean.ids))
		if got := slices.Sorted(slices.Values(sink.ids)); !slices.Equal(got, want) {
			t.Errorf("%d messages delivered, want the clean day's %d, each once", len(got), len(want))
		}
		if strings.Join(sink.ids, ",") == strings.Join(clean.ids, ",") {
			t.Error("delivered in the clean day's order: nothing was delayed")
		}
		delayed := r.Stats().FaultTotal.Delay
		if delayed < at || delayed >= uint64(len(clean.ids)) {
			t.Errorf("%d events delayed, want those read before the switch only", delayed)
		}
		for _, rep := range log.reports {
			if rep.Faults != "delay=100%/2m" || rep.Counts.Delay == 0 {
				t.Errorf("%s's report: %q, %+v", rep.Producer, rep.Faults, rep.Counts)
			}
		}
	})
}

package sim_test

import (
	"context"
	"encoding/json"
	"errors"
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

package faults_test

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/faults"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/world"
)

// testSeed is the run seed of the tests' city and faults: with a fixed
// seed, every count below is the same at every run.
const testSeed = 5

var (
	dayOnce sync.Once
	dayEvs  []faults.Event
	dayErr  error
)

// day returns day 1 of a 40-person city as the runner emits it: every
// producer's events merged in time order.
func day(t *testing.T) []faults.Event {
	t.Helper()
	dayOnce.Do(func() {
		w, err := world.New(world.Config{Seed: testSeed, Persons: 40, Start: world.DefaultStart()})
		if err != nil {
			dayErr = err
			return
		}
		ps := producers.All()
		per, order, err := producers.CollectDay(ps, testSeed, w.Day(1))
		if err != nil {
			dayErr = err
			return
		}
		next := make([]int, len(per))
		for _, pi := range order {
			e := per[pi][next[pi]]
			next[pi]++
			dayEvs = append(dayEvs, faults.Event{Producer: ps[pi].Spec().Name, Time: e.Time, Subject: e.Subject, ID: e.ID, Payload: e.Payload})
		}
	})
	if dayErr != nil {
		t.Fatal(dayErr)
	}
	return dayEvs
}

// apply runs plan over events as day 1 of a run with seed.
func apply(t *testing.T, plan string, seed int64, events []faults.Event) ([]faults.Delivery, []faults.Report) {
	t.Helper()
	p, err := faults.Parse(plan)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Day(seed, 1)
	var out []faults.Delivery
	for dl := range d.Apply(slices.Values(events)) {
		out = append(out, dl)
	}
	return out, d.Reports()
}

func total(reports []faults.Report) (c faults.Counts, events uint64) {
	for _, r := range reports {
		c = c.Plus(r.Counts)
		events += r.Events
	}
	return c, events
}

// within fails unless got is within five standard deviations of a
// binomial(n, p) draw's mean: with a fixed seed the test cannot flake, and
// a wrong rate (or a rate applied to the wrong events) shows.
func within(t *testing.T, what string, got, n uint64, p float64) {
	t.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(mean * (1 - p))
	if math.Abs(float64(got)-mean) > 5*sd+1 {
		t.Errorf("%s: %d of %d, want about %.0f (rate %g, sd %.1f)", what, got, n, mean, p, sd)
	}
}

func TestSameSeedSameFaults(t *testing.T) {
	evs := day(t)
	const plan = "all:delay=10%/5m,duplicate=5%,drop=2%,corrupt=2%,skew=10%/90s"
	a, ra := apply(t, plan, testSeed, evs)
	b, rb := apply(t, plan, testSeed, evs)
	if !equalDeliveries(a, b) {
		t.Error("the same seed and settings gave different deliveries")
	}
	if ja, jb := mustJSON(t, ra), mustJSON(t, rb); !bytes.Equal(ja, jb) {
		t.Error("the same seed and settings gave different reports")
	}
	c, _ := apply(t, plan, testSeed+1, evs)
	if equalDeliveries(a, c) {
		t.Error("another seed gave the same deliveries")
	}
	// Whatever else is in the stream: the phone's faults are the same when
	// it runs alone.
	var phone []faults.Event
	for _, e := range evs {
		if e.Producer == "phone" {
			phone = append(phone, e)
		}
	}
	alone, _ := apply(t, plan, testSeed, phone)
	var mixed []faults.Delivery
	for _, d := range a {
		if d.Producer == "phone" {
			mixed = append(mixed, d)
		}
	}
	if !equalDeliveries(alone, mixed) {
		t.Error("the phone's faults depend on the other producers' events")
	}
}

func equalDeliveries(a, b []faults.Delivery) bool {
	return slices.EqualFunc(a, b, func(x, y faults.Delivery) bool {
		return x.MsgID == y.MsgID && x.At.Equal(y.At) && x.Fault == y.Fault && bytes.Equal(x.Payload, y.Payload)
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNoFaultsChangesNothing(t *testing.T) {
	evs := day(t)
	out, reports := apply(t, "wifi:drop=0%", testSeed, evs)
	if len(out) != len(evs) || len(reports) != 0 {
		t.Fatalf("%d deliveries and %d reports from %d events, want them all as they were", len(out), len(reports), len(evs))
	}
	for i, d := range out {
		if e := evs[i]; d.MsgID != e.ID || !d.At.Equal(e.Time) || d.Fault != faults.NoFault || !bytes.Equal(d.Payload, e.Payload) {
			t.Fatalf("delivery %d changed: %+v", i, d)
		}
	}
}

func TestRates(t *testing.T) {
	evs := day(t)
	if len(evs) < 5000 {
		t.Fatalf("only %d events in the day", len(evs))
	}
	out, reports := apply(t, "all:delay=10%/5m,duplicate=5%,drop=3%,corrupt=2%", testSeed, evs)
	c, n := total(reports)
	for _, r := range reports {
		if r.Part != 0 || r.Parts != 1 {
			t.Errorf("%s report is part %d of %d, want the whole", r.Producer, r.Part, r.Parts)
		}
	}
	if n != uint64(len(evs)) || len(reports) != len(producers.Names()) {
		t.Fatalf("reports cover %d events of %d producers, want %d of %d", n, len(reports), len(evs), len(producers.Names()))
	}
	within(t, "dropped", c.Drop, n, 0.03)
	within(t, "corrupted", c.Corrupt, n-c.Drop, 0.02)
	within(t, "delayed", c.Delay, n-c.Drop-c.Corrupt, 0.10)
	within(t, "duplicated", c.Duplicate, n-c.Drop-c.Corrupt, 0.05)
	if got, want := uint64(len(out)), n-c.Drop+c.Duplicate; got != want {
		t.Errorf("%d deliveries, want %d events - %d dropped + %d duplicates", got, n, c.Drop, c.Duplicate)
	}
	// The counts match the deliveries and the lists.
	var seen faults.Counts
	for _, d := range out {
		switch d.Fault {
		case faults.Delay:
			seen.Delay++
		case faults.Duplicate:
			seen.Duplicate++
		case faults.Corrupt:
			seen.Corrupt++
		}
	}
	seen.Drop = c.Drop
	if seen != c {
		t.Errorf("deliveries show %+v, reports say %+v", seen, c)
	}
	var dropped, corrupted int
	for _, r := range reports {
		dropped += len(r.Dropped)
		corrupted += len(r.Corrupted)
	}
	if uint64(dropped) != c.Drop || uint64(corrupted) != c.Corrupt {
		t.Errorf("reports list %d dropped and %d corrupted, count %d and %d", dropped, corrupted, c.Drop, c.Corrupt)
	}
	// Dropped events are gone, and nothing else is.
	gone := map[string]bool{}
	for _, r := range reports {
		for _, id := range r.Dropped {
			gone[id] = true
		}
	}
	delivered := map[string]bool{}
	for _, d := range out {
		delivered[d.ID] = true
	}
	for _, e := range evs {
		if delivered[e.ID] == gone[e.ID] {
			t.Fatalf("event %s: delivered %v, dropped %v", e.ID, delivered[e.ID], gone[e.ID])
		}
	}
}

func TestDelayReordersWithinTheLateness(t *testing.T) {
	evs := day(t)
	original := map[string]faults.Event{}
	for _, e := range evs {
		original[e.ID] = e
	}
	const lateness = 2 * time.Minute
	out, reports := apply(t, "all:delay=20%/2m", testSeed, evs)
	c, _ := total(reports)
	if c.Delay == 0 {
		t.Fatal("nothing delayed")
	}
	var delayed, overtaken int
	var latest time.Time // latest event time delivered so far
	for i, d := range out {
		if i > 0 && d.At.Before(out[i-1].At) {
			t.Fatalf("delivery %d at %s, before the previous one at %s", i, d.At, out[i-1].At)
		}
		e := original[d.ID]
		if !bytes.Equal(d.Payload, e.Payload) || !d.Time.Equal(e.Time) {
			t.Fatalf("%s: a delayed event must keep its bytes and time", d.ID)
		}
		late := d.At.Sub(e.Time)
		if d.Fault == faults.Delay {
			delayed++
			if late <= 0 || late > lateness {
				t.Errorf("%s delivered %v late, want within (0, %v]", d.ID, late, lateness)
			}
		} else if late != 0 {
			t.Errorf("%s not delayed but delivered %v late", d.ID, late)
		}
		if e.Time.Before(latest) {
			overtaken++ // delivered behind an event that happened after it
		}
		if e.Time.After(latest) {
			latest = e.Time
		}
	}
	if uint64(delayed) != c.Delay {
		t.Errorf("%d delayed deliveries, reports count %d", delayed, c.Delay)
	}
	if overtaken < delayed/2 {
		t.Errorf("only %d of %d delayed events arrived behind later events: delivery order barely changed", overtaken, delayed)
	}
}

func TestDuplicatesKeepIDAndBytes(t *testing.T) {
	evs := day(t)
	out, reports := apply(t, "all:duplicate=10%;phone:skew=50%/1m", testSeed, evs)
	first := map[string]faults.Delivery{}
	dups := 0
	for _, d := range out {
		if d.Fault != faults.Duplicate {
			first[d.ID] = d
			if d.MsgID != d.ID {
				t.Fatalf("first copy of %s has message id %s", d.ID, d.MsgID)
			}
			continue
		}
		dups++
		o, ok := first[d.ID]
		if !ok {
			t.Fatalf("duplicate of %s delivered before the event", d.ID)
		}
		if d.MsgID != d.ID+faults.DuplicateSuffix {
			t.Errorf("duplicate of %s has message id %s", d.ID, d.MsgID)
		}
		if !bytes.Equal(d.Payload, o.Payload) || d.Subject != o.Subject {
			t.Errorf("duplicate of %s differs from the event", d.ID)
		}
		var ev event.Event
		if err := json.Unmarshal(d.Payload, &ev); err != nil || ev.ID != d.ID {
			t.Errorf("duplicate of %s carries id %q (%v)", d.ID, ev.ID, err)
		}
		if lag := d.At.Sub(o.At); lag < 0 || lag > faults.DuplicateLag {
			t.Errorf("duplicate of %s %v after it, want within [0, %v]", d.ID, lag, faults.DuplicateLag)
		}
	}
	if c, _ := total(reports); dups == 0 || uint64(dups) != c.Duplicate {
		t.Errorf("%d duplicates delivered, reports count %d", dups, c.Duplicate)
	}
}

func TestCorruptEventsAreRejected(t *testing.T) {
	evs := day(t)
	v, err := producers.NewValidator(producers.All()...)
	if err != nil {
		t.Fatal(err)
	}
	out, reports := apply(t, "all:corrupt=5%", testSeed, evs)
	how := map[string]faults.Corrupted{}
	for _, r := range reports {
		for _, c := range r.Corrupted {
			how[c.MsgID] = c
		}
	}
	seen := map[string]int{}
	for _, d := range out {
		if d.Fault != faults.Corrupt {
			if _, err := v.Validate(d.Payload); err != nil {
				t.Fatalf("clean event %s rejected: %v", d.ID, err)
			}
			continue
		}
		c, ok := how[d.MsgID]
		if !ok || d.MsgID != d.ID+faults.CorruptSuffix || c.ID != d.ID {
			t.Fatalf("corrupt delivery %s (event %s) is not in the reports as such: %+v", d.MsgID, d.ID, c)
		}
		seen[c.As]++
		_, err := v.Validate(d.Payload)
		if err == nil {
			t.Fatalf("%s corruption of %s passed the validator: %s", c.As, d.Subject, d.Payload)
		}
		if got := event.ReasonOf(err); got != c.Reason {
			t.Errorf("%s corruption of %s rejected as %s (%v), the report says %s", c.As, d.Subject, got, err, c.Reason)
		}
		if want := faults.Corruptions()[c.As]; c.Reason != want {
			t.Errorf("%s reported with reason %s, want %s", c.As, c.Reason, want)
		}
	}
	for name := range faults.Corruptions() {
		if seen[name] == 0 {
			t.Errorf("no %s corruption among %d corrupt events", name, len(how))
		}
	}
	if slices.Contains(event.Kinds(), faults.UnknownKind) {
		t.Errorf("%q is a declared identifier kind; unknown_id_kind would not be rejected", faults.UnknownKind)
	}
}

func TestSkewShiftsADevicesEvents(t *testing.T) {
	evs := day(t)
	const offset = 90 * time.Second
	out, reports := apply(t, "all:skew=20%/90s", testSeed, evs)
	type key struct {
		producer string
		id       event.ID
	}
	clocks := map[key]time.Duration{}
	devices := 0
	for _, r := range reports {
		for _, d := range r.Skewed {
			devices++
			off := time.Duration(d.OffsetMS) * time.Millisecond
			if off == 0 || off < -offset || off > offset {
				t.Errorf("%s device %v off by %v, want within ±%v", r.Producer, d.ID, off, offset)
			}
			clocks[key{r.Producer, d.ID}] = off
		}
	}
	all := map[key]bool{}
	var skewed uint64
	for i, d := range out {
		e := evs[i] // nothing is dropped, delayed or repeated: same order
		var ev struct {
			Time time.Time
			Data struct{ IDs []event.ID }
		}
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		k := key{d.Producer, ev.Data.IDs[0]}
		all[k] = true
		off, isSkewed := clocks[k]
		if got := ev.Time.Sub(e.Time); got != off || d.Skewed != isSkewed || !d.At.Equal(e.Time) {
			t.Fatalf("%s event of %v shifted by %v (skewed %v), its device's clock is off by %v; delivered at %s for %s",
				d.Producer, k.id, got, d.Skewed, off, d.At, e.Time)
		}
		if d.Skewed {
			skewed++
			if !d.Time.Equal(ev.Time) {
				t.Errorf("delivery time %s is not the payload's %s", d.Time, ev.Time)
			}
		}
	}
	within(t, "devices with a skewed clock", uint64(devices), uint64(len(all)), 0.20)
	if c, _ := total(reports); c.Skew != skewed {
		t.Errorf("%d skewed events, reports count %d", skewed, c.Skew)
	}
}

func TestReportSplit(t *testing.T) {
	r := faults.Report{Producer: "phone", Day: 2, Counts: faults.Counts{Drop: 5, Corrupt: 2}, Dropped: []string{"a", "b", "c", "d", "e"},
		Corrupted: []faults.Corrupted{{ID: "f"}, {ID: "g"}}}
	parts := r.Split(3)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	var dropped, corrupted int
	for i, p := range parts {
		if p.Part != i || p.Parts != 3 || p.Counts != r.Counts || len(p.Dropped)+len(p.Corrupted)+len(p.Skewed) > 3 {
			t.Errorf("part %d: %+v", i, p)
		}
		dropped += len(p.Dropped)
		corrupted += len(p.Corrupted)
	}
	if dropped != 5 || corrupted != 2 {
		t.Errorf("parts list %d dropped and %d corrupted, want 5 and 2", dropped, corrupted)
	}
	if one := (faults.Report{Producer: "wifi"}).Split(3); len(one) != 1 || one[0].Parts != 1 {
		t.Errorf("an empty report splits into %+v", one)
	}
}

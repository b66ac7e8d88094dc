package promexport_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/aggregator/graph"
	"exhaust/event"
	"exhaust/promexport"
	"exhaust/shard"
)

// families is one parsed scrape.
type families map[string]*dto.MetricFamily

// scrape serves g through promhttp on a real HTTP server, GETs it and parses
// the text exposition.
func scrape(t *testing.T, g prometheus.Gatherer) families {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s: %s", resp.Status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q, want the text exposition format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// labelsOf returns m's labels as a map.
func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// find returns the sample of family name whose labels are exactly labels
// (name, value pairs).
func (f families) find(name string, labels ...string) (*dto.Metric, bool) {
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	mf, ok := f[name]
	if !ok {
		return nil, false
	}
	for _, m := range mf.GetMetric() {
		got := labelsOf(m)
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m, true
		}
	}
	return nil, false
}

// value returns the value of a gauge, counter or untyped sample.
func (f families) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	m, ok := f.find(name, labels...)
	if !ok {
		t.Fatalf("no sample %s%v in the scrape", name, labels)
	}
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s%v is not a gauge, counter or untyped sample", name, labels)
	return 0
}

// persons returns the person label values of every exhaust_profile_* family,
// sorted and deduplicated.
func (f families) persons() []string {
	var out []string
	for name, mf := range f {
		if !strings.HasPrefix(name, "exhaust_profile_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			if p, ok := labelsOf(m)["person"]; ok {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// check is one expected sample of a scrape.
type check struct {
	name, metric string
	labels       []string
	want         float64
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// newExporter registers an Exporter of e on a fresh pedantic registry (which
// also checks that what is collected matches what is described).
func newExporter(t *testing.T, e *aggregator.Engine, opts promexport.Options) (*prometheus.Registry, *promexport.Exporter) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	x, err := promexport.New(reg, e, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return reg, x
}

func TestScrapeMatchesEngine(t *testing.T) {
	e, s := fed(t)
	reg, x := newExporter(t, e, promexport.Options{EventTypes: append(s.Types, "demo.never")})
	byType := map[string]int{}
	for _, ev := range s.Events {
		x.Consumed(ev.Type)
		x.Processed(20 * time.Microsecond)
		x.Lag(40 * time.Millisecond)
		byType[ev.Type]++
	}
	x.Rejected(event.ReasonMalformedJSON)
	x.Rejected(event.ReasonMalformedJSON)
	x.Rejected(promexport.ReasonAbsurdTime)
	x.Pending(7)

	f := scrape(t, reg)
	st := e.Stats()
	acc := e.Accuracy()
	summaries := e.Profiles()
	if st.Profiles < 4 || len(summaries) != st.Profiles || acc.Persons != testPersons {
		t.Fatalf("fixture too thin to test anything: %d profiles (%d listed), %d persons in the truth", st.Profiles, len(summaries), acc.Persons)
	}

	checks := []check{
		{"events applied", "exhaust_events_applied_total", nil, float64(len(s.Events))},
		{"sequence", "exhaust_applied_stream_sequence", nil, float64(len(s.Events))},
		{"profiles", "exhaust_profiles", nil, float64(st.Profiles)},
		{"truth persons", "exhaust_truth_persons", nil, testPersons},
		{"pairwise precision", "exhaust_linkage_precision", []string{"method", "pairwise"}, acc.Pairwise.Precision},
		{"pairwise recall", "exhaust_linkage_recall", []string{"method", "pairwise"}, acc.Pairwise.Recall},
		{"pairwise f1", "exhaust_linkage_f1", []string{"method", "pairwise"}, acc.Pairwise.F1},
		{"bcubed precision", "exhaust_linkage_precision", []string{"method", "bcubed"}, acc.BCubed.Precision},
		{"bcubed recall", "exhaust_linkage_recall", []string{"method", "bcubed"}, acc.BCubed.Recall},
		{"bcubed f1", "exhaust_linkage_f1", []string{"method", "bcubed"}, acc.BCubed.F1},
		{"malformed rejects", "exhaust_events_rejected_total", []string{"reason", event.ReasonMalformedJSON}, 2},
		{"absurd time rejects", "exhaust_events_rejected_total", []string{"reason", promexport.ReasonAbsurdTime}, 1},
		{"pending", "exhaust_consumer_pending_messages", nil, 7},
		{"pre-initialised type", "exhaust_events_consumed_total", []string{"producer", "demo", "type", "demo.never"}, 0},
		{"series cap", "exhaust_profile_series_cap", nil, promexport.DefaultPersonCap},
		{"over cap", "exhaust_profiles_over_cap", nil, 0},
		{"links undone", "exhaust_links_undone_total", nil, float64(st.LinksUndone)},
	}
	for _, k := range event.Kinds() {
		checks = append(checks, check{"identifiers " + string(k), "exhaust_identifiers", []string{"kind", string(k)}, float64(st.IdentifiersByKind[k])})
	}
	for _, k := range graph.EvidenceKinds {
		ev := string(k)
		checks = append(checks,
			check{"links " + ev, "exhaust_links", []string{"evidence", ev}, float64(st.LinksByKind[k])},
			check{"precision " + ev, "exhaust_linkage_by_evidence_precision", []string{"evidence", ev}, acc.ByEvidence[ev].Precision},
			check{"recall " + ev, "exhaust_linkage_by_evidence_recall", []string{"evidence", ev}, acc.ByEvidence[ev].Recall},
			check{"f1 " + ev, "exhaust_linkage_by_evidence_f1", []string{"evidence", ev}, acc.ByEvidence[ev].F1},
		)
	}
	for p := 1; p <= 6; p++ {
		n := strconv.Itoa(p)
		checks = append(checks, check{"unicity " + n, "exhaust_unicity", []string{"points", n}, acc.Unicity[n]})
	}
	for _, r := range event.Reasons {
		if r == event.ReasonMalformedJSON {
			continue
		}
		checks = append(checks, check{"zero rejects " + r, "exhaust_events_rejected_total", []string{"reason", r}, 0})
	}
	for typ, n := range byType {
		producer, _, _ := strings.Cut(typ, ".")
		checks = append(checks, check{"consumed " + typ, "exhaust_events_consumed_total", []string{"producer", producer, "type", typ}, float64(n)})
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if got := f.value(t, c.metric, c.labels...); !near(got, c.want) {
				t.Errorf("%s%v = %v, want %v", c.metric, c.labels, got, c.want)
			}
		})
	}

	t.Run("histograms", func(t *testing.T) {
		for _, name := range []string{"exhaust_event_lag_seconds", "exhaust_event_processing_seconds"} {
			m, ok := f.find(name)
			if !ok || m.Histogram == nil {
				t.Fatalf("no histogram %s", name)
			}
			if got := m.Histogram.GetSampleCount(); got != uint64(len(s.Events)) {
				t.Errorf("%s count = %d, want %d", name, got, len(s.Events))
			}
		}
	})

	t.Run("runtime collectors", func(t *testing.T) {
		for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_start_time_seconds"} {
			if _, ok := f[name]; !ok {
				t.Errorf("no %s: Go runtime and process collectors missing", name)
			}
		}
	})

	t.Run("per person", func(t *testing.T) {
		var want []string
		for _, sm := range summaries {
			want = append(want, sm.ID)
		}
		slices.Sort(want)
		if got := f.persons(); !slices.Equal(got, want) {
			t.Fatalf("person labels %v, want every profile %v", got, want)
		}
		for _, sm := range summaries {
			p, ok := e.Profile(sm.ID)
			if !ok {
				t.Fatalf("profile %s listed but not found", sm.ID)
			}
			if got := f.value(t, "exhaust_profile_info", "person", sm.ID, "name", sm.Name, "truth", sm.Truth); got != 1 {
				t.Errorf("%s info = %v, want 1", sm.ID, got)
			}
			if got := f.value(t, "exhaust_profile_facts", "person", sm.ID); got != float64(sm.Facts) {
				t.Errorf("%s facts = %v, want %d", sm.ID, got, sm.Facts)
			}
			if got := f.value(t, "exhaust_profile_last_seen_timestamp_seconds", "person", sm.ID); !near(got, float64(sm.LastSeen.UnixMilli())/1e3) {
				t.Errorf("%s last seen = %v, want %v", sm.ID, got, sm.LastSeen)
			}
			byKind := map[string]float64{}
			for _, id := range p.Identifiers {
				byKind[string(id.Kind)]++
			}
			var total float64
			for kind, n := range byKind {
				got := f.value(t, "exhaust_profile_identifiers", "person", sm.ID, "kind", kind)
				if got != n {
					t.Errorf("%s identifiers{kind=%s} = %v, want %v", sm.ID, kind, got, n)
				}
				total += got
			}
			if total != float64(sm.Identifiers) {
				t.Errorf("%s identifiers sum to %v, want %d", sm.ID, total, sm.Identifiers)
			}
			byEvidence := map[string]float64{}
			for _, l := range p.Links {
				byEvidence[string(l.Kind)]++
			}
			for k, n := range byEvidence {
				if got := f.value(t, "exhaust_profile_links", "person", sm.ID, "evidence", k); got != n {
					t.Errorf("%s links{evidence=%s} = %v, want %v", sm.ID, k, got, n)
				}
			}
			for _, fact := range p.Facts {
				if got := f.value(t, "exhaust_profile_fact_confidence", "person", sm.ID, "fact", fact.Name); got < fact.Confidence-1e-9 {
					t.Errorf("%s fact %s confidence = %v, want at least %v", sm.ID, fact.Name, got, fact.Confidence)
				}
			}
		}
	})
}

// TestFactSeries checks the per-person series read from fact values against
// the facts themselves.
func TestFactSeries(t *testing.T) {
	e, _ := fed(t)
	reg, _ := newExporter(t, e, promexport.Options{})
	f := scrape(t, reg)
	seen := map[string]int{}
	for _, sm := range e.Profiles() {
		p, ok := e.Profile(sm.ID)
		if !ok {
			t.Fatalf("profile %s listed but not found", sm.ID)
		}
		expect := func(metric string, want float64, labels ...string) {
			t.Helper()
			if got := f.value(t, metric, append([]string{"person", sm.ID}, labels...)...); !near(got, want) {
				t.Errorf("%s %s%v = %v, want %v", sm.ID, metric, labels, got, want)
			}
		}
		hasSleep := false
		for _, fact := range p.Facts {
			seen[fact.Name]++
			switch v := fact.Value.(type) {
			case facts.AreaValue:
				expect("exhaust_profile_area_latitude_degrees", v.Lat, "area", fact.Name)
				expect("exhaust_profile_area_longitude_degrees", v.Lon, "area", fact.Name)
				expect("exhaust_profile_area_radius_meters", float64(v.RadiusM), "area", fact.Name)
			case facts.SleepValue:
				hasSleep = true
				expect("exhaust_profile_sleep_seconds", float64(v.LastDurationS))
				expect("exhaust_profile_sleep_average_seconds", float64(v.AvgDurationS))
				for phase, s := range v.LastPhasesS {
					expect("exhaust_profile_sleep_phase_seconds", float64(s), "phase", phase)
				}
			case facts.ActivityValue:
				expect("exhaust_profile_daily_steps", float64(v.StepsPerDay))
				expect("exhaust_profile_last_day_steps", float64(v.LastDaySteps))
			case facts.SpendingValue:
				byCategory := map[string]float64{}
				var total float64
				for _, c := range v.ByCategory {
					byCategory[c.Category] += float64(c.Cents) / 100
					total += float64(c.Cents) / 100
				}
				for c, euros := range byCategory {
					expect("exhaust_profile_spending_euros", euros, "category", c)
				}
				if !near(total, float64(v.TotalCents)/100) {
					t.Errorf("%s: categories sum to %v €, the fact says %v €", sm.ID, total, float64(v.TotalCents)/100)
				}
			case facts.TripsValue:
				expect("exhaust_profile_trips", float64(v.Trips))
				for _, c := range v.Stations {
					expect("exhaust_profile_station_taps", float64(c.Count), "station", c.Name)
				}
			case facts.DevicesValue:
				expect("exhaust_profile_devices", float64(v.Phones), "device", "phone")
				expect("exhaust_profile_devices", float64(v.Tablets), "device", "tablet")
				expect("exhaust_profile_devices", float64(v.Wristbands), "device", "wristband")
				expect("exhaust_profile_devices", float64(v.WiFi), "device", "wifi")
			case facts.ContactsValue:
				expect("exhaust_profile_contacts", float64(len(v.Contacts)))
			case facts.PlacesValue:
				expect("exhaust_profile_places", float64(len(v.Places)))
			}
		}
		if _, ok := f.find("exhaust_profile_sleep_seconds", "person", sm.ID); ok != hasSleep {
			t.Errorf("%s: sleep series present %v, sleep fact present %v: an unknown fact must have no series", sm.ID, ok, hasSleep)
		}
	}
	for _, name := range []string{facts.FactHome, facts.FactSleep, facts.FactActivity, facts.FactSpending, facts.FactTrips, facts.FactDevices} {
		if seen[name] == 0 {
			t.Errorf("no profile has a %s fact: the fixture cannot test its series", name)
		}
	}
}

func TestLint(t *testing.T) {
	e, s := fed(t)
	reg, x := newExporter(t, e, promexport.Options{EventTypes: s.Types})
	// Observe something, so that every family has samples to lint.
	for _, ev := range s.Events[:10] {
		x.Consumed(ev.Type)
		x.Processed(time.Millisecond)
		x.Lag(time.Second)
	}
	x.Rejected(event.ReasonInvalidData)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatalf("GatherAndLint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// The lint must have seen our families, or it proves nothing.
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours int
	for _, mf := range fams {
		if strings.HasPrefix(mf.GetName(), "exhaust_") {
			ours++
		}
	}
	if ours < 20 {
		t.Errorf("only %d exhaust_ families gathered", ours)
	}
}

func TestPersonCap(t *testing.T) {
	e, _ := fed(t)
	summaries := e.Profiles()
	n := len(summaries)
	if n <= 3 {
		t.Fatalf("only %d profiles: the cap cannot be tested", n)
	}
	cases := []struct {
		name string
		cap  int
		want int // persons exported
	}{
		{"cap of three", 3, 3},
		{"cap of one", 1, 1},
		{"default cap covers a classroom", 0, min(n, promexport.DefaultPersonCap)},
		{"cap above the population", n + 10, n},
		{"negative cap exports nobody", -1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg, _ := newExporter(t, e, promexport.Options{PersonCap: c.cap})
			f := scrape(t, reg)
			got := f.persons()
			var want []string
			for _, s := range summaries[:c.want] {
				want = append(want, s.ID) // the most identifiers first
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("persons %v, want the %d largest profiles %v", got, c.want, want)
			}
			if got := f.value(t, "exhaust_profiles_over_cap"); got != float64(n-c.want) {
				t.Errorf("over cap = %v, want %d", got, n-c.want)
			}
			if got := f.value(t, "exhaust_profiles"); got != float64(n) {
				t.Errorf("profiles = %v, want %d whatever the cap", got, n)
			}
		})
	}
}

func TestObserver(t *testing.T) {
	e := aggregator.New(aggregator.DefaultConfig())
	cases := []struct {
		name    string
		observe func(*promexport.Exporter)
		metric  string
		labels  []string
		count   uint64  // histogram sample count; 0: not a histogram
		want    float64 // counter/gauge value, or histogram sum
	}{
		{"consumed splits producer from type", func(x *promexport.Exporter) { x.Consumed("phone.cell"); x.Consumed("phone.cell") },
			"exhaust_events_consumed_total", []string{"producer", "phone", "type", "phone.cell"}, 0, 2},
		{"rejected by reason", func(x *promexport.Exporter) { x.Rejected(event.ReasonOversized) },
			"exhaust_events_rejected_total", []string{"reason", event.ReasonOversized}, 0, 1},
		{"pending is a gauge", func(x *promexport.Exporter) { x.Pending(12); x.Pending(5) },
			"exhaust_consumer_pending_messages", nil, 0, 5},
		{"negative lag counts as zero", func(x *promexport.Exporter) { x.Lag(-3 * time.Second); x.Lag(2 * time.Second) },
			"exhaust_event_lag_seconds", nil, 2, 2},
		{"processing in seconds", func(x *promexport.Exporter) { x.Processed(250 * time.Millisecond) },
			"exhaust_event_processing_seconds", nil, 1, 0.25},
		{"applier queue by message", func(x *promexport.Exporter) { x.Queues(40, 3, 32); x.Queues(1, 0, 1) },
			"exhaust_queue_depth", []string{"queue", promexport.QueueApplier}, 33, 32*40 + 1},
		{"side queue by message", func(x *promexport.Exporter) { x.Queues(40, 3, 32); x.Queues(1, 0, 1) },
			"exhaust_queue_depth", []string{"queue", promexport.QueueSide}, 33, 32 * 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg, x := newExporter(t, e, promexport.Options{})
			c.observe(x)
			f := scrape(t, reg)
			if c.count == 0 {
				if got := f.value(t, c.metric, c.labels...); got != c.want {
					t.Errorf("%s%v = %v, want %v", c.metric, c.labels, got, c.want)
				}
				return
			}
			m, ok := f.find(c.metric, c.labels...)
			if !ok || m.Histogram == nil {
				t.Fatalf("no histogram %s", c.metric)
			}
			if got := m.Histogram.GetSampleCount(); got != c.count {
				t.Errorf("%s count = %d, want %d", c.metric, got, c.count)
			}
			if got := m.Histogram.GetSampleSum(); !near(got, c.want) {
				t.Errorf("%s sum = %v, want %v", c.metric, got, c.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	e := aggregator.New(aggregator.DefaultConfig())
	withGo := prometheus.NewRegistry()
	withGo.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	twice := prometheus.NewRegistry()
	if _, err := promexport.New(twice, e, promexport.Options{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		reg     prometheus.Registerer
		engine  *aggregator.Engine
		wantErr bool
	}{
		{"fresh registry", prometheus.NewRegistry(), e, false},
		{"runtime collectors already there", withGo, e, false},
		{"exporter already registered", twice, e, true},
		{"no registerer", nil, e, true},
		{"no engine", prometheus.NewRegistry(), nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, err := promexport.New(c.reg, c.engine, promexport.Options{})
			if (err != nil) != c.wantErr {
				t.Fatalf("New: err = %v, want error: %v", err, c.wantErr)
			}
			if err == nil && x == nil {
				t.Fatal("New returned neither an exporter nor an error")
			}
		})
	}
}

// failingRegisterer fails the registration number failAt (from 1) and
// delegates everything else to a real registry.
type failingRegisterer struct {
	*prometheus.Registry
	failAt, calls int
}

func (f *failingRegisterer) Register(c prometheus.Collector) error {
	f.calls++
	if f.calls == f.failAt {
		return errors.New("injected failure")
	}
	return f.Registry.Register(c)
}

func TestNewRollsBack(t *testing.T) {
	e := aggregator.New(aggregator.DefaultConfig())
	for _, failAt := range []int{2, 4, 6} {
		t.Run(fmt.Sprintf("registration %d fails", failAt), func(t *testing.T) {
			reg := &failingRegisterer{Registry: prometheus.NewRegistry(), failAt: failAt}
			if _, err := promexport.New(reg, e, promexport.Options{}); err == nil {
				t.Fatal("New succeeded despite a failed registration")
			}
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range fams {
				t.Errorf("%s still registered after New failed", mf.GetName())
			}
		})
	}
}

func TestEmptyEngineScrapes(t *testing.T) {
	reg, _ := newExporter(t, aggregator.New(aggregator.DefaultConfig()), promexport.Options{})
	f := scrape(t, reg)
	if got := f.value(t, "exhaust_profiles"); got != 0 {
		t.Errorf("profiles = %v on an empty engine", got)
	}
	if got := f.persons(); len(got) != 0 {
		t.Errorf("person series %v on an empty engine", got)
	}
	if got := f.value(t, "exhaust_identifiers", "kind", string(event.IMSI)); got != 0 {
		t.Errorf("imsi identifiers = %v on an empty engine", got)
	}
}

// fixedShard is a worker slot among fixed live ones.
type fixedShard struct {
	slot int
	live []int
}

func (s fixedShard) Slot() int   { return s.slot }
func (s fixedShard) Live() []int { return s.live }

// TestShardsExportEachPersonOnce: three workers over the same state, each
// exporting the people it owns, export every person once between them,
// and their owned gauges add up to the profiles.
func TestShardsExportEachPersonOnce(t *testing.T) {
	e, _ := fed(t)
	n := len(e.Profiles())
	live := []int{0, 1, 2}
	seen := map[string]int{}
	var owned float64
	scorers := 0
	for _, slot := range live {
		reg, _ := newExporter(t, e, promexport.Options{PersonCap: n, Shard: fixedShard{slot, live}})
		f := scrape(t, reg)
		persons := f.persons()
		if len(persons) == n {
			t.Errorf("slot %d exports all %d persons", slot, n)
		}
		for _, p := range persons {
			seen[p]++
			if got := shard.Owner(p, live); got != slot {
				t.Errorf("slot %d exports %s, which slot %d owns", slot, p, got)
			}
		}
		got := f.value(t, "exhaust_profiles_owned")
		if int(got) != len(persons) {
			t.Errorf("slot %d: exhaust_profiles_owned %v, but %d persons exported under a cap of all", slot, got, len(persons))
		}
		owned += got
		if got := f.value(t, "exhaust_workers"); got != 3 {
			t.Errorf("slot %d: exhaust_workers %v, want 3", slot, got)
		}
		if got := f.value(t, "exhaust_worker_slot"); got != float64(slot) {
			t.Errorf("exhaust_worker_slot %v, want %d", got, slot)
		}
		if got := f.value(t, "exhaust_profiles"); got != float64(n) {
			t.Errorf("slot %d: exhaust_profiles %v, want the whole city's %d", slot, got, n)
		}
		if _, ok := f.find("exhaust_linkage_precision", "method", "pairwise"); ok {
			scorers++
			if got, want := f.value(t, "exhaust_linkage_precision", "method", "pairwise"), e.Accuracy().Pairwise.Precision; !near(got, want) {
				t.Errorf("slot %d: pairwise precision %v, the Engine's %v", slot, got, want)
			}
		}
	}
	// The city is scored once between them, not by every worker.
	if scorers != 1 {
		t.Errorf("%d workers export the city's accuracy, want 1", scorers)
	}
	if len(seen) != n || owned != float64(n) {
		t.Errorf("%d of %d persons exported, owned gauges sum to %v", len(seen), n, owned)
	}
	for p, times := range seen {
		if times != 1 {
			t.Errorf("%s exported by %d workers", p, times)
		}
	}
}

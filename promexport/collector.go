package promexport

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"exhaust/aggregator"
	"exhaust/aggregator/graph"
	"exhaust/event"
)

// stateCollector reads the Engine's state at scrape time. Reading at scrape
// time (rather than updating gauges as events arrive) keeps the Engine free
// of Prometheus and makes a scrape show exactly the state the API serves.
type stateCollector struct {
	cap    int // per-person series for at most cap profiles; < 0: none
	views  *refresher
	person *personDescs

	applied, sequence, profiles, identifiers, links *prometheus.Desc
	undone, duplicates, late                        *prometheus.Desc
	persons, precision, recall, f1                  *prometheus.Desc
	evidencePrecision, evidenceRecall, evidenceF1   *prometheus.Desc
	unicity, seriesCap, overCap                     *prometheus.Desc
	owned, workers, slot                            *prometheus.Desc
}

func newStateCollector(e *aggregator.Engine, cap int, sh Shard) *stateCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &stateCollector{
		cap:    cap,
		views:  newRefresher(e, cap, sh),
		person: newPersonDescs(),

		applied:     d("exhaust_events_applied_total", "Events applied to the aggregator's state (duplicates and redeliveries excluded), including those restored from a snapshot."),
		sequence:    d("exhaust_applied_stream_sequence", "Stream sequence of the last event applied: what a snapshot taken now would cover."),
		profiles:    d("exhaust_profiles", "Profiles: clusters of identifiers the aggregator believes belong to one person."),
		identifiers: d("exhaust_identifiers", "Distinct identifiers seen, by identifier kind.", "kind"),
		links:       d("exhaust_links", "Links in the identity graph, by the kind of evidence behind them.", "evidence"),
		undone:      d("exhaust_links_undone_total", "Links a contradiction undid: two identifiers of one profile seen farther apart than a person travels (docs/linkage.md)."),
		duplicates:  d("exhaust_events_duplicates_total", "Events whose id the aggregator had already applied (a sensor repeating itself, a re-publication): counted, never applied twice."),
		late:        d("exhaust_events_late_total", "Events applied with a time before the newest applied: within the co-occurrence lag (applied as if on time) or beyond it (co-occurrence lost).", "horizon"),

		persons:   d("exhaust_truth_persons", "Persons in the ground truth the accuracy gauges are scored against (0: no truth yet, accuracy reads 0)."),
		precision: d("exhaust_linkage_precision", "Share of identifier pairs put in one profile that truly belong to one person.", "method"),
		recall:    d("exhaust_linkage_recall", "Share of identifier pairs of one person that the aggregator put in one profile.", "method"),
		f1:        d("exhaust_linkage_f1", "Harmonic mean of exhaust_linkage_precision and exhaust_linkage_recall.", "method"),

		evidencePrecision: d("exhaust_linkage_by_evidence_precision", "Pairwise precision of the clustering that uses only links of one evidence kind.", "evidence"),
		evidenceRecall:    d("exhaust_linkage_by_evidence_recall", "Pairwise recall of the clustering that uses only links of one evidence kind.", "evidence"),
		evidenceF1:        d("exhaust_linkage_by_evidence_f1", "Pairwise F1 of the clustering that uses only links of one evidence kind.", "evidence"),

		unicity:   d("exhaust_unicity", "Share of phone traces made unique by this many random (tower, hour) points (de Montjoye et al., 2013).", "points"),
		seriesCap: d("exhaust_profile_series_cap", "Most profiles exported with a person label (the rest are in the JSON API only)."),
		overCap:   d("exhaust_profiles_over_cap", "Profiles this worker owns left out of the per-person series because of the cap."),
		owned:     d("exhaust_profiles_owned", "Profiles this worker owns and exports per-person series for (up to the cap); with several aggregator workers, their sum is exhaust_profiles."),
		workers:   d("exhaust_workers", "Aggregator workers this one sees alive, itself included (slots in the EXHAUST_WORKERS bucket; 1 when it runs alone)."),
		slot:      d("exhaust_worker_slot", "This aggregator worker's slot: its durable consumer and snapshot are named after it (0 when it runs alone)."),
	}
}

// Describe sends every descriptor the collector may use.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.applied, c.sequence, c.profiles, c.identifiers, c.links, c.undone, c.duplicates, c.late,
		c.persons, c.precision, c.recall, c.f1,
		c.evidencePrecision, c.evidenceRecall, c.evidenceF1,
		c.unicity, c.seriesCap, c.overCap, c.owned, c.workers, c.slot,
	} {
		ch <- d
	}
	c.person.describe(ch)
}

// Collect reads the Engine (see refresh.go for what is read when) and
// sends one scrape's worth of metrics.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}

	v := c.views.view()
	st := v.stats
	ch <- prometheus.MustNewConstMetric(c.applied, prometheus.CounterValue, float64(st.Events))
	ch <- prometheus.MustNewConstMetric(c.undone, prometheus.CounterValue, float64(st.LinksUndone))
	ch <- prometheus.MustNewConstMetric(c.duplicates, prometheus.CounterValue, float64(st.Duplicates))
	ch <- prometheus.MustNewConstMetric(c.late, prometheus.CounterValue, float64(st.LateWithin), "within")
	ch <- prometheus.MustNewConstMetric(c.late, prometheus.CounterValue, float64(st.LateBeyond), "beyond")
	gauge(c.sequence, float64(v.seq))
	gauge(c.profiles, float64(st.Profiles))
	// Every kind of the vocabulary is exported, seen or not, so a dashboard
	// shows a kind the aggregator never saw as 0 rather than as a gap.
	for _, k := range union(event.Kinds(), st.IdentifiersByKind) {
		gauge(c.identifiers, float64(st.IdentifiersByKind[k]), string(k))
	}
	for _, k := range union(graph.EvidenceKinds, st.LinksByKind) {
		gauge(c.links, float64(st.LinksByKind[k]), string(k))
	}

	if v.city {
		c.collectAccuracy(gauge, v.acc)
	}
	c.collectPersons(ch, gauge, v)
}

// collectAccuracy sends the city's accuracy and unicity gauges: one
// worker's (see shard.CityScoreKey) when several share the city.
func (c *stateCollector) collectAccuracy(gauge func(*prometheus.Desc, float64, ...string), acc aggregator.Accuracy) {
	gauge(c.persons, float64(acc.Persons))
	for _, m := range []struct {
		method  string
		p, r, f float64
	}{
		{"pairwise", acc.Pairwise.Precision, acc.Pairwise.Recall, acc.Pairwise.F1},
		{"bcubed", acc.BCubed.Precision, acc.BCubed.Recall, acc.BCubed.F1},
	} {
		gauge(c.precision, m.p, m.method)
		gauge(c.recall, m.r, m.method)
		gauge(c.f1, m.f, m.method)
	}
	kinds := make([]string, 0, len(graph.EvidenceKinds))
	for _, k := range graph.EvidenceKinds {
		kinds = append(kinds, string(k))
	}
	for _, k := range union(kinds, acc.ByEvidence) {
		s := acc.ByEvidence[k]
		gauge(c.evidencePrecision, s.Precision, k)
		gauge(c.evidenceRecall, s.Recall, k)
		gauge(c.evidenceF1, s.F1, k)
	}
	points := slices.SortedFunc(maps.Keys(acc.Unicity), func(a, b string) int {
		// "10" after "9": numeric order when both are numbers.
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if errA == nil && errB == nil {
			return cmp.Compare(x, y)
		}
		return cmp.Compare(a, b)
	})
	for _, p := range points {
		gauge(c.unicity, acc.Unicity[p], p)
	}
}

// collectPersons sends the per-person series of the first cap profiles this
// worker owns in the Engine's order (most identifiers first), and the cap
// and ownership gauges.
func (c *stateCollector) collectPersons(ch chan<- prometheus.Metric, gauge func(*prometheus.Desc, float64, ...string), v view) {
	limit := max(c.cap, 0)
	gauge(c.seriesCap, float64(limit))
	gauge(c.overCap, float64(max(v.owned-limit, 0)))
	gauge(c.owned, float64(v.owned))
	gauge(c.workers, float64(len(v.live)))
	gauge(c.slot, float64(v.slot))
	for _, p := range v.top {
		c.person.collect(ch, p)
	}
}

// union returns the keys of known, in order, followed by the keys of m that
// known lacks, sorted.
func union[K cmp.Ordered, V any](known []K, m map[K]V) []K {
	out := slices.Clone(known)
	var extra []K
	for k := range m {
		if !slices.Contains(known, k) {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

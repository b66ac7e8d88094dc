package promexport

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"exhaust/aggregator"
	"exhaust/aggregator/graph"
	"exhaust/event"
)

// personDescs are the per-person series: one profile, labelled by its
// pseudonymous id (person), as a Grafana "Person" dashboard shows it.
type personDescs struct {
	info, identifiers, links, facts, lastSeen, confidence *prometheus.Desc
	values                                                []factMetric
}

func newPersonDescs() *personDescs {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"person"}, labels...), nil)
	}
	return &personDescs{
		info:        d("exhaust_profile_info", "Always 1: a profile's display name (the name fact if known, else a pseudonym) and the persona it mostly matches in the truth (empty if unknown).", "name", "truth"),
		identifiers: d("exhaust_profile_identifiers", "Identifiers linked into a profile, by kind.", "kind"),
		links:       d("exhaust_profile_links", "Links inside a profile, by the kind of evidence behind them.", "evidence"),
		facts:       d("exhaust_profile_facts", "Facts derived about a profile."),
		lastSeen:    d("exhaust_profile_last_seen_timestamp_seconds", "Simulated time a profile's identifiers were last seen, as a Unix time."),
		confidence:  d("exhaust_profile_fact_confidence", "Confidence (0..1) of each fact derived about a profile.", "fact"),
		values:      factMetrics(d),
	}
}

func (p *personDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.info, p.identifiers, p.links, p.facts, p.lastSeen, p.confidence} {
		ch <- d
	}
	for _, m := range p.values {
		ch <- m.desc
	}
}

// collect sends the series of one profile.
func (p *personDescs) collect(ch chan<- prometheus.Metric, pr *aggregator.Profile) {
	id := pr.ID
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{id}, labels...)...)
	}
	gauge(p.info, 1, pr.Name, pr.Truth)
	gauge(p.facts, float64(len(pr.Facts)))
	if !pr.LastSeen.IsZero() {
		gauge(p.lastSeen, float64(pr.LastSeen.UnixMilli())/1e3)
	}

	byKind := map[event.IDKind]int{}
	for _, i := range pr.Identifiers {
		byKind[i.Kind]++
	}
	// Only the kinds present: a person has a handful of the vocabulary, and
	// eleven zero series per person would triple the cardinality for nothing.
	for _, k := range union(event.Kinds(), byKind) {
		if n := byKind[k]; n > 0 {
			gauge(p.identifiers, float64(n), string(k))
		}
	}
	byEvidence := map[graph.EvidenceKind]int{}
	for _, l := range pr.Links {
		byEvidence[l.Kind]++
	}
	for _, k := range union(graph.EvidenceKinds, byEvidence) {
		if n := byEvidence[k]; n > 0 {
			gauge(p.links, float64(n), string(k))
		}
	}

	// Two facts of one name would make two identical series, which a scrape
	// must not contain: the most confident one is kept.
	conf := map[string]float64{}
	for _, f := range pr.Facts {
		if c, ok := conf[f.Name]; !ok || f.Confidence > c {
			conf[f.Name] = f.Confidence
		}
	}
	names := make([]string, 0, len(conf))
	for n := range conf {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		gauge(p.confidence, conf[n], n)
	}

	for _, m := range p.values {
		for _, s := range m.read(pr) {
			gauge(m.desc, s.value, s.labels...)
		}
	}
}

//lint:file-ignore SA1019 The SDK deprecates the classic dashboard model for schema v2, which Grafana 12 serves only behind feature toggles; file provisioning and the sidecar's ConfigMaps load the classic JSON this package writes.

package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/barchart"
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// overview is the population's dashboard: the exhaust the sensors emit,
// the profiles the aggregator builds from it, how right it is, and how few
// points of a trace single someone out.
//
// State gauges are reduced with max, and rates are one aggregator's
// (cityRate): several aggregators replaying the same stream hold the same
// state, and adding them up would count it once per aggregator.
func overview() *dashboard.DashboardBuilder {
	d := newBoard(OverviewUID, "exhaust · Overview",
		"The whole city: the exhaust each sensor emits, the profiles an aggregator that knows no names builds from it, how right it is, and how few points single a person out.")

	d.row("The exhaust: what the sensors emit")
	graph(d, panel{
		title: "Events per second, by producer",
		shows: "valid events the aggregator takes from the stream each second, stacked by the sensor that emitted them (phone network, wristband, transit gates, bank, loyalty schemes, Wi-Fi).",
		lesson: "nobody uses these services in order to be observed, yet every one of them reports: a phone in a pocket keeps talking to the towers all night with location services off, a wristband records the night's sleep, a gate records the station. " +
			"Exhaust is a by-product, and it flows whether or not anyone looks at a screen.",
		unit: units.OpsPerSecond, w: 16, h: 9,
		queries: []query{{expr: cityRate("exhaust_events_consumed_total", "producer"), legend: "{{producer}}"}},
	}, stacked)
	single(d, panel{
		title:  "The city so far",
		shows:  "events applied to the aggregator's state, people living in the simulated city (from the ground truth) and profiles the aggregator holds.",
		lesson: "a few dozen people leave thousands of events a day. The aggregator sees only the events; the number of people is the simulator's secret, used for scoring alone.",
		unit:   units.Short, w: 8, h: 9,
		queries: []query{
			{expr: `max(exhaust_events_applied_total)`, legend: "events applied"},
			{expr: `max(exhaust_truth_persons)`, legend: "people (ground truth)"},
			{expr: `max(exhaust_profiles)`, legend: "profiles"},
		},
	})

	d.row("What the aggregator builds from it")
	graph(d, panel{
		title:  "Profiles and people",
		shows:  "profiles (clusters of identifiers the aggregator believes are one person) against the number of people in the city.",
		lesson: "every identifier starts as a profile of its own; each link merges two. As evidence accumulates the profile line falls towards the people line: anonymous fragments becoming persons, without a single name being read.",
		unit:   units.Short, w: 8, h: 9,
		queries: []query{
			{expr: `max(exhaust_profiles)`, legend: "profiles"},
			{expr: `max(exhaust_truth_persons)`, legend: "people (ground truth)"},
		},
	})
	graph(d, panel{
		title:  "Identifiers seen, by kind",
		shows:  "distinct identifiers the sensors reported, stacked by kind: SIM card (imsi), handset (imei), phone number (msisdn), advertising id, Wi-Fi MAC addresses, wristband, bank card, transit pass and ticket, loyalty card, e-mail.",
		lesson: "one person carries a dozen identifiers, and each sensor sees only its own, pseudonymous ones. Each company can honestly say it holds no names; the identifiers are what the aggregator links.",
		unit:   units.Short, w: 8, h: 9,
		queries: []query{{expr: `max by (kind) (exhaust_identifiers)`, legend: "{{kind}}"}},
	}, stacked)
	graph(d, panel{
		title:  "Links, by evidence",
		shows:  "links in the identity graph by the evidence behind them: same_event (one event carried both identifiers), joined_records (a card payment and a loyalty basket of the same shop, amount and minute), cooccurrence (the same places at the same times, rare ones weighing more).",
		lesson: "three kinds of evidence are enough to join the slivers: an event that carries two identifiers, two records of one act, and a shared trajectory through the city.",
		unit:   units.Short, w: 8, h: 9,
		queries: []query{{expr: `max by (evidence) (exhaust_links)`, legend: "{{evidence}}"}},
	}, stacked)
	labelsTable(d, panel{
		title:  "Profiles the aggregator has named",
		shows:  "profiles that carry a name, with the person of the ground truth they mostly match. Click a row to open the person's dashboard.",
		lesson: "the aggregator never reads a name from a sensor. One loyalty registration (name and e-mail) joined to one card payment puts a name on every identifier linked to that card: the phone, its nights, its itinerary.",
		unit:   units.Short, w: 24, h: 8,
		queries: []query{{expr: `max by (person, name, truth) (exhaust_profile_info{name!~"Profile P-.*"})`, table: true}},
	}, map[string]string{"name": "Name", "person": "Profile", "truth": "Matches (ground truth)"}, func(b *table.PanelBuilder) {
		b.SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("Name")}).
			DataLinks([]cog.Builder[dashboard.DashboardLink]{built[dashboard.DashboardLink]{dashboard.DashboardLink{
				Title: "Open ${__data.fields.Name}",
				Type:  dashboard.DashboardLinkTypeLink,
				Tags:  []string{},
				Url:   ptr("/d/" + PersonUID + "?var-person=${__data.fields.Profile}&${__url_time_range}"),
			}}})
	})

	d.row("How right it is, scored against the ground truth")
	graph(d, panel{
		title:  "Linkage precision, recall and F1",
		shows:  "the aggregator's clustering scored against the simulator's ground truth: precision (of the identifiers put together, the share that truly belong together), recall (of those that belong together, the share put together) and F1, pairwise (over pairs of identifiers) and B-cubed (per identifier, so a few big profiles weigh less). All read 0 until the truth arrives.",
		lesson: "precision stays near 100 %: the aggregator would rather miss a link than tell a wrong story about someone. Recall is what a day, then a week, of exhaust buys: it climbs as evidence accumulates.",
		unit:   units.PercentUnit, w: 12, h: 9,
		queries: []query{
			{expr: `max by (method) (exhaust_linkage_precision)`, legend: "precision ({{method}})"},
			{expr: `max by (method) (exhaust_linkage_recall)`, legend: "recall ({{method}})"},
			{expr: `max by (method) (exhaust_linkage_f1)`, legend: "F1 ({{method}})"},
		},
	}, ratio)
	bars(d, panel{
		title:  "What each kind of evidence links on its own",
		shows:  "pairwise recall and precision of the clustering built from one kind of evidence alone.",
		lesson: "no single source links much by itself; together they link far more than the sum of their parts. Forbidding one join does not protect anyone if the others remain.",
		unit:   units.PercentUnit, w: 12, h: 9,
		queries: []query{
			{expr: `max by (evidence) (exhaust_linkage_by_evidence_recall)`, legend: "recall · {{evidence}}", instant: true},
			{expr: `max by (evidence) (exhaust_linkage_by_evidence_precision)`, legend: "precision · {{evidence}}", instant: true},
		},
	}, func(b *bargauge.PanelBuilder) { b.Max(1) })

	d.row("Unicity: how few points single someone out")
	b := barchart.NewPanelBuilder().
		XField("points").
		Orientation(common.VizOrientationVertical).
		ShowValue(common.VisibilityModeAlways).
		Legend(common.NewVizLegendOptionsBuilder().ShowLegend(false).DisplayMode(common.LegendDisplayModeHidden).Placement(common.LegendPlacementBottom).Calcs([]string{})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)).
		Min(0).Max(1).
		ColorScheme(palette()).
		Thresholds(baseThreshold()).
		WithTransformation(dashboard.DataTransformerConfig{Id: "sortBy", Options: map[string]any{
			"fields": map[string]any{},
			"sort":   []map[string]any{{"field": "points", "desc": false}},
		}}).
		WithTransformation(organize([]string{"Time"}, map[string]string{"Value": "share singled out", "Value #A": "share singled out"}))
	add(d, b, panel{
		title: "Unicity curve: share singled out by p points",
		shows: "ε_p, the share of phone traces that p random (tower, hour) points of the trace single out, for p = 1 to 6 (de Montjoye et al., Unique in the Crowd, 2013).",
		lesson: "unicity: share of people singled out by p random (tower, hour) points — four points single out almost everyone (95 % of 1.5 million people in the paper; a small city needs even fewer). " +
			"Removing names does not anonymise a trace: the trace itself is the fingerprint.",
		unit: units.PercentUnit, w: 16, h: 9,
		queries: []query{{expr: `max by (points) (exhaust_unicity)`, table: true}},
	})
	single(d, panel{
		title:  "Singled out by four points",
		shows:  "ε_4: the share of phone traces that four random (tower, hour) points single out, and ε_2 for comparison.",
		lesson: "four moments of a day (where the phone was, to the hour) are a fingerprint: anyone who knows them about you can find your whole trace in an 'anonymous' data set.",
		unit:   units.PercentUnit, w: 8, h: 9,
		queries: []query{
			{expr: `max(exhaust_unicity{points="4"})`, legend: "ε₄"},
			{expr: `max(exhaust_unicity{points="2"})`, legend: "ε₂"},
		},
	})
	return d.b
}

//lint:file-ignore SA1019 The SDK deprecates the classic dashboard model for schema v2, which Grafana 12 serves only behind feature toggles; file provisioning and the sidecar's ConfigMaps load the classic JSON this package writes.

package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/geomap"
	"github.com/grafana/grafana-foundation-sdk/go/piechart"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// PersonVariableQuery is the query of the person variable. Its options are
// the values of the person label of exhaust_profile_info, as
// label_values(exhaust_profile_info, person) would list them, but read
// with the name label too so that the dropdown can show the name.
const PersonVariableQuery = `query_result(max by (name, person) (exhaust_profile_info))`

// PersonVariableRegex turns each line of PersonVariableQuery's result
// (`{name="Claire Dubois",person="P-0a1b2c3d"} 1 1764370800000`) into an
// option: the name is shown, the profile id is the value the queries use.
const PersonVariableRegex = `/name="(?<text>[^"]*)".*person="(?<value>[^"]*)"/`

// person is one profile's dashboard: everything the aggregator derived
// about one person from anonymous exhaust, chosen with the person
// variable.
func person() *dashboard.DashboardBuilder {
	d := newBoard(PersonUID, "exhaust · Person",
		"One profile, as the aggregator sees it: everything it derived about one person from anonymous exhaust. Choose the person at the top; only the first profiles (the person cap, see the last row) have per-person series.")
	d.b.WithVariable(dashboard.NewQueryVariableBuilder("person").
		Label("Person").
		Description("Profiles with per-person series, shown by name (the name fact once a loyalty registration links in, else a pseudonym).").
		Datasource(datasource()).
		Query(dashboard.StringOrMap{String: ptr(PersonVariableQuery)}).
		Definition(PersonVariableQuery).
		Regex(PersonVariableRegex).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalCaseInsensitiveAsc).
		Multi(false).
		IncludeAll(false))

	d.row("Who the aggregator thinks this is")
	labelsTable(d, panel{
		title:  "Profile",
		shows:  "the profile's display name, its pseudonymous id, and the person of the ground truth it mostly matches.",
		lesson: "the name comes from one loyalty registration that the evidence linked in; every other identifier was anonymous. The ground-truth column is the simulator's secret, shown only to score the aggregator: it never reads it.",
		unit:   units.Short, w: 12, h: 5,
		queries: []query{{expr: `max by (person, name, truth) (` + onPerson("exhaust_profile_info") + `)`, table: true}},
	}, map[string]string{"name": "Name", "person": "Profile", "truth": "Matches (ground truth)"})
	single(d, panel{
		title:  "Last seen",
		shows:  "the simulated time one of the profile's identifiers was last seen by a sensor.",
		lesson: "the trail is live: every sensor that sees any of the person's identifiers updates the profile within a second.",
		unit:   units.DatetimeISO, w: 6, h: 5,
		queries: []query{{expr: `max(` + onPerson("exhaust_profile_last_seen_timestamp_seconds") + `) * 1000`, legend: "last seen", instant: true}},
	})
	single(d, panel{
		title:  "Correspondents",
		shows:  "distinct correspondents of the profile's calls and text messages, as the operator records them (hashed).",
		lesson: "metadata without content: who talks to whom, when and for how long draws a social graph without reading a single message.",
		unit:   units.Short, w: 6, h: 5,
		queries: []query{{expr: `max(` + onPerson("exhaust_profile_contacts") + `)`, legend: "correspondents"}},
	})

	d.row("What it knows about ${person:text}")
	graph(d, panel{
		title:  "Facts over time",
		shows:  "how many facts the aggregator has derived about the profile (home, sleep, activity, trips, spending, interests, devices, name…).",
		lesson: "every hour of an ordinary day adds facts: nothing dramatic happens, the accumulation is the point.",
		unit:   units.Short, w: 12, h: 8,
		queries: []query{{expr: `max(` + onPerson("exhaust_profile_facts") + `)`, legend: "facts"}},
	})
	bars(d, panel{
		title:  "Confidence of each fact",
		shows:  "the confidence (0 to 100 %) of each fact derived about the profile.",
		lesson: "facts are inferences with a confidence, not records: the aggregator knows how sure it is, and it is often very sure.",
		unit:   units.PercentUnit, w: 12, h: 8,
		queries: []query{{expr: `max by (fact) (` + onPerson("exhaust_profile_fact_confidence") + `)`, legend: "{{fact}}", instant: true}},
	}, func(b *bargauge.PanelBuilder) { b.Max(1) })
	bars(d, panel{
		title:  "Identifiers linked, by kind",
		shows:  "the identifiers linked into the profile, by kind.",
		lesson: "SIM, handset, phone number, advertising id, Wi-Fi MACs, wristband, card, pass, loyalty card, e-mail: a dozen pseudonyms from different companies, now one person.",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `max by (kind) (` + onPerson("exhaust_profile_identifiers") + `)`, legend: "{{kind}}", instant: true}},
	})
	bars(d, panel{
		title:  "Links inside the profile, by evidence",
		shows:  "the links that hold the profile together, by the kind of evidence behind them.",
		lesson: "each link has a reason the aggregator can show: the same event, two records of one purchase, or the same places at the same times.",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `max by (evidence) (` + onPerson("exhaust_profile_links") + `)`, legend: "{{evidence}}", instant: true}},
	})
	bars(d, panel{
		title:  "Devices",
		shows:  "devices linked to the profile: phone, tablet, wristband, and distinct Wi-Fi MAC addresses (several per device when it randomises its MAC per network).",
		lesson: "MAC randomisation hides a device from one network to the next, but the café's Wi-Fi still sees phone and tablet arrive together, day after day.",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `max by (device) (` + onPerson("exhaust_profile_devices") + `)`, legend: "{{device}}", instant: true}},
	})

	d.row("Body: the wristband's view")
	graph(d, panel{
		title:  "Sleep",
		shows:  "last night's sleep and the average night, from the wristband's sleep sessions.",
		lesson: "a fitness gadget reports the length and quality of every night; linked to the phone, the sleep belongs to a named person.",
		unit:   units.Seconds, w: 7, h: 8,
		queries: []query{
			{expr: `max(` + onPerson("exhaust_profile_sleep_seconds") + `)`, legend: "last night"},
			{expr: `max(` + onPerson("exhaust_profile_sleep_average_seconds") + `)`, legend: "average night"},
		},
	})
	pie := piechart.NewPanelBuilder().
		PieType(piechart.PieChartTypeDonut).
		DisplayLabels([]piechart.PieChartLabels{piechart.PieChartLabelsName, piechart.PieChartLabelsPercent}).
		ReduceOptions(lastValue()).
		Legend(piechart.NewPieChartLegendOptionsBuilder().ShowLegend(true).DisplayMode(common.LegendDisplayModeList).Placement(common.LegendPlacementRight).Values([]piechart.PieChartLegendValues{piechart.PieChartLegendValuesValue}).Calcs([]string{})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeSingle).Sort(common.SortOrderNone)).
		ColorScheme(palette()).
		Thresholds(baseThreshold())
	add(d, pie, panel{
		title:  "Last night, by sleep phase",
		shows:  "last night's sleep split into phases: falling asleep, light, deep, REM, awake.",
		lesson: "the phases say more than the hours: restlessness, short deep sleep or a late bedtime are health data, sent to a phone app and onwards.",
		unit:   units.Seconds, w: 7, h: 8,
		queries: []query{{expr: `max by (phase) (` + onPerson("exhaust_profile_sleep_phase_seconds") + `)`, legend: "{{phase}}", instant: true}},
	})
	graph(d, panel{
		title:  "Steps",
		shows:  "steps on the last day observed and the average per day, from the wristband.",
		lesson: "activity is a proxy for health, age and routine; insurers and employers would like to know it.",
		unit:   units.Short, w: 6, h: 8,
		queries: []query{
			{expr: `max(` + onPerson("exhaust_profile_last_day_steps") + `)`, legend: "last day"},
			{expr: `max(` + onPerson("exhaust_profile_daily_steps") + `)`, legend: "daily average"},
		},
	})
	single(d, panel{
		title:  "From waking to the phone",
		shows:  "the delay between waking up (the wristband's sleep end) and the first app session on the phone, last morning.",
		lesson: "two sensors that never talk to each other, joined, measure a habit neither could see alone: reaching for the phone seconds after waking.",
		unit:   units.Seconds, w: 4, h: 8,
		queries: []query{{expr: `max(` + onPerson("exhaust_profile_wake_to_phone_seconds") + `)`, legend: "wake to phone"}},
	})

	d.row("Money and interests: the bank's and the shops' view")
	bars(d, panel{
		title:  "Card spending by category",
		shows:  "card payments by merchant category: what the bank sees.",
		lesson: "a statement is a diary: books, a coffee, metro tickets, each with a place and a minute.",
		unit:   units.Euro, w: 8, h: 8,
		queries: []query{{expr: `max by (category) (` + onPerson("exhaust_profile_spending_euros") + `)`, legend: "{{category}}", instant: true}},
	})
	bars(d, panel{
		title:  "Loyalty baskets by shop chain",
		shows:  "loyalty-card baskets by shop chain: what the shops see.",
		lesson: "the loyalty card sees the basket itself, items and genres, and was registered with a name and an e-mail. Joined to the card payment (same shop, amount and minute), it names the card, and everything linked to it.",
		unit:   units.Euro, w: 8, h: 8,
		queries: []query{{expr: `max by (chain) (` + onPerson("exhaust_profile_loyalty_spending_euros") + `)`, legend: "{{chain}}", instant: true}},
	})
	bars(d, panel{
		title:  "Web searches by topic",
		shows:  "the profile's web searches, counted by topic, as the search engine and the phone see them.",
		lesson: "searches are intentions: what someone wonders about, before anyone else knows.",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `max by (topic) (` + onPerson("exhaust_profile_searches") + `)`, legend: "{{topic}}", instant: true}},
	})
	bars(d, panel{
		title:  "Time in each app",
		shows:  "time spent in each app, all the profile's devices together.",
		lesson: "app sessions tell when someone is awake, bored, travelling or working, and what they care about.",
		unit:   units.Seconds, w: 24, h: 8,
		queries: []query{{expr: `max by (app) (` + onPerson("exhaust_profile_app_seconds") + `)`, legend: "{{app}}", instant: true}},
	})

	d.row("Places: where ${person:text} lives and goes")
	single(d, panel{
		title:  "Trips and places",
		shows:  "metro trips, and distinct places where the profile was seen (Wi-Fi, payments, stations).",
		lesson: "the places someone goes, and how often, reveal work, friends, religion, health: the places are the person.",
		unit:   units.Short, w: 24, h: 4,
		queries: []query{
			{expr: `max(` + onPerson("exhaust_profile_trips") + `)`, legend: "metro trips"},
			{expr: `max(` + onPerson("exhaust_profile_places") + `)`, legend: "places"},
		},
	})
	personMap(d)
	bars(d, panel{
		title:  "Transit gate taps by station",
		shows:  "transit gate taps by station: the itinerary.",
		lesson: "a transit pass needs no GPS: each gate records the station and the minute, and the trips draw the map of a life.",
		unit:   units.Short, w: 10, h: 12,
		queries: []query{{expr: `max by (station) (` + onPerson("exhaust_profile_station_taps") + `)`, legend: "{{station}}", instant: true}},
	})

	d.row("The person cap")
	single(d, panel{
		title:  "Profiles with per-person series",
		shows:  "the cap on profiles exported with a person label (per aggregator worker), and the profiles left out because of it, all workers together (served by the JSON API only, /api/profiles).",
		lesson: "every person label value is a new set of time series that Prometheus keeps in memory: fine for a classroom, ruinous for a country. Per-person metrics are capped, the richest profiles first; population metrics stay bounded whatever the population.",
		unit:   units.Short, w: 24, h: 5,
		queries: []query{
			{expr: `max(exhaust_profile_series_cap)`, legend: "cap"},
			// Each worker caps the profiles it owns, and owns its share.
			{expr: `sum(exhaust_profiles_over_cap)`, legend: "profiles not shown"},
		},
	})
	return d.b
}

// personMap is the Geomap of the profile's home and work areas: the three
// gauges of each area, merged into one row per area with latitude,
// longitude and radius columns, drawn as markers sized by the radius.
func personMap(d *board) {
	layer := common.NewMapLayerOptionsBuilder().
		Type("markers").
		Name("Home and work").
		Location(common.NewFrameGeometrySourceBuilder().
			Mode(common.FrameGeometrySourceModeCoords).
			Latitude("latitude").
			Longitude("longitude")).
		Tooltip(true).
		Config(map[string]any{
			"showLegend": true,
			"style": map[string]any{
				"color":   map[string]any{"fixed": "blue"},
				"opacity": 0.5,
				"size":    map[string]any{"field": "radius", "fixed": 10, "min": 10, "max": 40},
				"symbol":  map[string]any{"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
				"text":    map[string]any{"mode": "field", "field": "area", "fixed": ""},
				"textConfig": map[string]any{
					"fontSize": 14, "offsetX": 0, "offsetY": -20, "textAlign": "center", "textBaseline": "middle",
				},
			},
		})
	b := geomap.NewPanelBuilder().
		View(geomap.NewMapViewConfigBuilder().Id("fit").AllLayers(true).Zoom(13).MaxZoom(16)).
		Controls(geomap.NewControlsOptionsBuilder().ShowZoom(true).MouseWheelZoom(true).ShowAttribution(true)).
		Basemap(common.NewMapLayerOptionsBuilder().Type("default").Name("Basemap")).
		Layers([]cog.Builder[common.MapLayerOptions]{layer}).
		Tooltip(geomap.NewTooltipOptionsBuilder().Mode(geomap.TooltipModeDetails)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "merge", Options: map[string]any{}}).
		WithTransformation(organize([]string{"Time"}, map[string]string{
			"Value #A": "latitude", "Value #B": "longitude", "Value #C": "radius",
		})).
		Thresholds(baseThreshold())
	add(d, b, panel{
		title:  "Home and work areas",
		shows:  "the centres of the profile's home and work areas, located from cell towers, Wi-Fi access points and GPS fixes; the bigger the marker, the wider the uncertainty radius.",
		lesson: "where someone sleeps and where they spend weekdays is found with location services off: the phone network knows which towers the phone hears all night. Home and work together identify most people on their own.",
		unit:   units.Meter, w: 14, h: 12,
		queries: []query{
			{expr: `max by (area) (` + onPerson("exhaust_profile_area_latitude_degrees") + `)`, table: true},
			{expr: `max by (area) (` + onPerson("exhaust_profile_area_longitude_degrees") + `)`, table: true},
			{expr: `max by (area) (` + onPerson("exhaust_profile_area_radius_meters") + `)`, table: true},
		},
	})
}

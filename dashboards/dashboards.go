//lint:file-ignore SA1019 The SDK deprecates the classic dashboard model for schema v2, which Grafana 12 serves only behind feature toggles; file provisioning and the sidecar's ConfigMaps load the classic JSON this package writes.

package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// DatasourceUID is the uid of the Prometheus datasource every panel
// queries. deploy/ provisions a datasource with this uid (compose and the
// Helm chart); another Grafana needs one with the same uid before it
// imports the JSON.
const DatasourceUID = "exhaust-prometheus"

// The dashboards' uids. They never change: provisioning, links between the
// dashboards and bookmarks refer to them.
const (
	OverviewUID = "exhaust-overview"
	PersonUID   = "exhaust-person"
	PipelineUID = "exhaust-pipeline"
)

// Tag is on every exhaust dashboard; each links to the others through it.
const Tag = "exhaust"

// File is one generated dashboard.
type File struct {
	// Name is the file's name in dashboards/, e.g. "overview.json".
	Name string
	// UID is the dashboard's uid.
	UID string
	// JSON is the dashboard model Grafana loads, indented, ending with a
	// newline.
	JSON []byte
}

// Files builds every dashboard, in a fixed order: overview, person,
// pipeline. The output depends on nothing but the code, so generating twice
// gives the same bytes.
func Files() ([]File, error) {
	all := []struct {
		name, uid string
		build     func() *dashboard.DashboardBuilder
	}{
		{"overview.json", OverviewUID, overview},
		{"person.json", PersonUID, person},
		{"pipeline.json", PipelineUID, pipeline},
	}
	out := make([]File, 0, len(all))
	for _, d := range all {
		model, err := d.build().Build()
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.uid, err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(model); err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.uid, err)
		}
		out = append(out, File{Name: d.name, UID: d.uid, JSON: buf.Bytes()})
	}
	return out, nil
}

// Write writes every dashboard into dir, replacing the files there.
func Write(dir string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.JSON, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// datasource is the reference every panel and query carries.
func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: ptr("prometheus"), Uid: ptr(DatasourceUID)}
}

func ptr[T any](v T) *T { return &v }

// newBoard starts a dashboard with the settings all three share: a live
// half hour (a simulated day lasts six minutes at the demo's speed), a
// refresh every 10 s, a shared crosshair and links to the other exhaust
// dashboards.
func newBoard(uid, title, description string) *board {
	b := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{Tag}).
		Time("now-30m", "now").
		Refresh("10s").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		// The link is written out rather than built: the SDK's builder
		// moves links into the controls menu, and they belong above the
		// panels, where a classroom sees them.
		Link(built[dashboard.DashboardLink]{dashboard.DashboardLink{
			Title:    "exhaust dashboards",
			Type:     dashboard.DashboardLinkTypeDashboards,
			Icon:     "external link",
			Tags:     []string{Tag},
			KeepTime: true,
		}})
	return &board{b: b}
}

// built is a value the SDK takes from a builder.
type built[T any] struct{ v T }

// Build implements cog.Builder.
func (b built[T]) Build() (T, error) { return b.v, nil }

// board builds one dashboard and numbers its panels and rows, so that every
// panel has a stable id (?viewPanel= links keep working).
type board struct {
	b    *dashboard.DashboardBuilder
	next uint32
}

// row starts a row; the panels added after it belong to it.
func (d *board) row(title string) {
	d.next++
	d.b.WithRow(dashboard.NewRowBuilder(title).Id(d.next))
}

// panel is what every panel has, whatever its visualisation.
type panel struct {
	title string
	// shows says what the panel shows; lesson what it teaches: the point
	// a classroom should take away from it.
	shows, lesson string
	unit          string
	w, h          uint32
	queries       []query
}

// query is one PromQL target.
type query struct {
	expr   string
	legend string
	// instant asks for the value now rather than a range: panels that
	// show the latest state (bars, tables, maps) need nothing else.
	instant bool
	// table returns the labels as columns (tables, bar charts, maps).
	table bool
}

// description is a panel's tooltip: what it shows, then what it teaches.
func (p panel) description() string {
	return "**Shows:** " + p.shows + "\n\n**Teaches:** " + p.lesson
}

// builder is what every panel builder of the SDK offers; add configures
// the common part through it.
type builder[B any] interface {
	cog.Builder[dashboard.Panel]
	Id(id uint32) B
	Title(title string) B
	Description(description string) B
	Datasource(datasource common.DataSourceRef) B
	Span(w uint32) B
	Height(h uint32) B
	Unit(unit string) B
	WithTarget(target cog.Builder[variants.Dataquery]) B
}

// add sets what p says on b and appends it to the dashboard.
func add[B builder[B]](d *board, b B, p panel) {
	d.next++
	b.Id(d.next)
	b.Title(p.title)
	b.Description(p.description())
	b.Datasource(datasource())
	b.Span(p.w)
	b.Height(p.h)
	b.Unit(p.unit)
	for i, q := range p.queries {
		t := prometheus.NewDataqueryBuilder().
			Datasource(datasource()).
			RefId(string(rune('A' + i))).
			Expr(q.expr).
			EditorMode(prometheus.QueryEditorModeCode)
		if q.legend != "" {
			t.LegendFormat(q.legend)
		}
		if q.instant || q.table {
			t.Instant()
		} else {
			t.Range()
		}
		if q.table {
			t.Format(prometheus.PromQueryFormatTable)
		}
		b.WithTarget(t)
	}
	d.b.WithPanel(b)
}

// palette colours each series on its own and leaves thresholds with a
// single base step, so no value turns red for no reason.
func palette() *dashboard.FieldColorBuilder {
	return dashboard.NewFieldColorBuilder().Mode(dashboard.FieldColorModeIdPaletteClassic)
}

func baseThreshold() *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().
		Mode(dashboard.ThresholdsModeAbsolute).
		Steps([]dashboard.Threshold{{Value: nil, Color: "green"}})
}

// lastValue reduces a series to its latest value.
func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)
}

// graph is a time series panel: lines, the legend below, a tooltip listing
// every series.
func graph(d *board, p panel, configure ...func(*timeseries.PanelBuilder)) {
	b := timeseries.NewPanelBuilder().
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			Calcs([]string{})).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending)).
		LineWidth(2).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		ColorScheme(palette()).
		Thresholds(baseThreshold())
	for _, c := range configure {
		c(b)
	}
	add(d, b, p)
}

// stacked stacks a graph's series, for parts of a whole.
func stacked(b *timeseries.PanelBuilder) {
	b.Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal).Group("A")).FillOpacity(35)
}

// ratio fixes a graph's axis to 0..100 %.
func ratio(b *timeseries.PanelBuilder) { b.Min(0).Max(1) }

// single is a stat panel: the latest value of each query, big, with its
// history as a sparkline.
func single(d *board, p panel) {
	b := stat.NewPanelBuilder().
		ReduceOptions(lastValue()).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeNone).
		TextMode(common.BigValueTextModeValueAndName).
		JustifyMode(common.BigValueJustifyModeAuto).
		Orientation(common.VizOrientationAuto).
		ColorScheme(palette()).
		Thresholds(baseThreshold())
	add(d, b, p)
}

// bars is a bar gauge panel: one horizontal bar per series, for the latest
// values of a labelled family (spending by category, identifiers by kind).
func bars(d *board, p panel, configure ...func(*bargauge.PanelBuilder)) {
	b := bargauge.NewPanelBuilder().
		ReduceOptions(lastValue()).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		ValueMode(common.BarGaugeValueModeText).
		NamePlacement(common.BarGaugeNamePlacementLeft).
		ShowUnfilled(true).
		Sizing(common.BarGaugeSizingAuto).
		Min(0).
		ColorScheme(palette()).
		Thresholds(baseThreshold())
	for _, c := range configure {
		c(b)
	}
	add(d, b, p)
}

// labelsTable is a table of the labels of an instant query: Time and Value
// are hidden, columns renamed as rename says.
func labelsTable(d *board, p panel, rename map[string]string, configure ...func(*table.PanelBuilder)) {
	b := table.NewPanelBuilder().
		ShowHeader(true).
		CellHeight(common.TableCellHeightSm).
		WithTransformation(organize([]string{"Time", "Value", "Value #A"}, rename)).
		Thresholds(baseThreshold())
	for _, c := range configure {
		c(b)
	}
	add(d, b, p)
}

// organize is Grafana's "Organize fields" transformation: hide fields,
// rename others.
func organize(hide []string, rename map[string]string) dashboard.DataTransformerConfig {
	exclude := map[string]bool{}
	for _, h := range hide {
		exclude[h] = true
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": exclude,
		"renameByName":  rename,
		"indexByName":   map[string]int{},
	}}
}

// personSelector is the label matcher of every per-person query.
const personSelector = `person="$person"`

// onPerson selects the chosen person's series of a per-person metric.
func onPerson(metric string) string { return metric + "{" + personSelector + "}" }

package dashboards_test

import (
	"encoding/json"
	"os"
	"testing"

	"exhaust/dashboards"
)

// The parts of Grafana's dashboard model the tests read. They decode the
// JSON files, not the SDK's types, so they check what Grafana loads.
type (
	dashboardJSON struct {
		UID        string      `json:"uid"`
		Title      string      `json:"title"`
		Panels     []panelJSON `json:"panels"`
		Templating struct {
			List []variableJSON `json:"list"`
		} `json:"templating"`
	}
	panelJSON struct {
		ID          int          `json:"id"`
		Type        string       `json:"type"`
		Title       string       `json:"title"`
		Description string       `json:"description"`
		Datasource  *refJSON     `json:"datasource"`
		Targets     []targetJSON `json:"targets"`
		FieldConfig struct {
			Defaults struct {
				Unit string `json:"unit"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
		// Panels are the panels of a collapsed row.
		Panels []panelJSON `json:"panels"`
	}
	targetJSON struct {
		RefID      string   `json:"refId"`
		Expr       string   `json:"expr"`
		Instant    bool     `json:"instant"`
		Range      bool     `json:"range"`
		Format     string   `json:"format"`
		Datasource *refJSON `json:"datasource"`
	}
	variableJSON struct {
		Name       string   `json:"name"`
		Type       string   `json:"type"`
		Query      string   `json:"query"`
		Regex      string   `json:"regex"`
		Datasource *refJSON `json:"datasource"`
	}
	refJSON struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
)

// committed reads the committed dashboards/*.json, in the order
// dashboards.Files lists them.
func committed(t *testing.T) []dashboardJSON {
	t.Helper()
	files, err := dashboards.Files()
	if err != nil {
		t.Fatal(err)
	}
	var out []dashboardJSON
	for _, f := range files {
		data, err := os.ReadFile(f.Name)
		if err != nil {
			t.Fatalf("%v: run go generate ./dashboards/... and commit dashboards/%s", err, f.Name)
		}
		var d dashboardJSON
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("dashboards/%s: %v", f.Name, err)
		}
		out = append(out, d)
	}
	return out
}

// panels returns the dashboard's panels, rows excluded, those inside
// collapsed rows included.
func (d dashboardJSON) panels() []panelJSON {
	var out []panelJSON
	var walk func([]panelJSON)
	walk = func(ps []panelJSON) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

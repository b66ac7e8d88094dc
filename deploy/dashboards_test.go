package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestHelmChartDashboardsAreCurrent checks that the Helm chart ships the
// repository's dashboards unchanged. Helm reads files inside the chart only,
// so the chart keeps a copy: go generate ./deploy refreshes it.
func TestHelmChartDashboardsAreCurrent(t *testing.T) {
	names := func(dir string) []string {
		t.Helper()
		paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	repo, chart := names("../dashboards"), names("helm/exhaust/dashboards")
	if !slices.Equal(repo, chart) {
		t.Fatalf("dashboards/ has %v, the chart %v: run go generate ./deploy", repo, chart)
	}
	for _, name := range repo {
		a, err := os.ReadFile(filepath.Join("../dashboards", name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("helm/exhaust/dashboards", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("the chart's copy of %s is stale: run go generate ./deploy", name)
		}
	}
	t.Logf("%d dashboards", len(repo))
}

// Command syncdashboards copies the repository's Grafana dashboards
// (dashboards/*.json) into the Helm chart, which can read files inside the
// chart only. It removes the chart's dashboards that no longer exist. Run
// it with go generate ./deploy after regenerating the dashboards.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	from := flag.String("from", "../dashboards", "directory of the dashboards")
	to := flag.String("to", "helm/exhaust/dashboards", "the chart's dashboards directory")
	flag.Parse()
	if err := sync(*from, *to); err != nil {
		fmt.Fprintln(os.Stderr, "syncdashboards:", err)
		os.Exit(1)
	}
}

func sync(from, to string) error {
	src, err := filepath.Glob(filepath.Join(from, "*.json"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, path := range src {
		name := filepath.Base(path)
		keep[name] = true
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, name)
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		fmt.Println("updated", dst)
	}
	stale, err := filepath.Glob(filepath.Join(to, "*.json"))
	if err != nil {
		return err
	}
	for _, path := range stale {
		if !keep[filepath.Base(path)] {
			if err := os.Remove(path); err != nil {
				return err
			}
			fmt.Println("removed", path)
		}
	}
	return nil
}

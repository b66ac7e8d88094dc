// Package dashboards builds exhaust's Grafana dashboards as code, with the
// Grafana Foundation SDK, and writes them as JSON into this directory:
// overview.json, person.json and pipeline.json. The JSON is committed, so
// that compose provisioning and the Helm chart load it without a Go
// toolchain; TestCommittedJSONIsFresh fails when it lags behind the code.
//
// To change a dashboard, edit the Go code, then run
//
//	go generate ./dashboards/...
//
// and commit the regenerated JSON (docs/grafana.md).
//
// Every panel queries the Prometheus datasource of uid DatasourceUID and
// only the metrics documented in docs/metrics.md; a test scrapes a live
// aggregator with a real Prometheus and requires every panel to show data.
package dashboards

//go:generate go run ./gen

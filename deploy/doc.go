// Package deploy holds how exhaust is deployed: the compose stack
// (compose.yaml), the NATS server configuration with its users and
// permissions (nats/nats.conf), the Prometheus and Grafana provisioning, and
// the Helm chart (helm/exhaust, tested by the separate module helm/test).
// docs/deploy.md explains them.
//
// The package has no Go API. Its tests check the files against each other
// (service names, ports, scrape targets, provisioning paths, variables, the
// chart's NATS accounts) and the NATS permissions against a real
// nats-server. go generate refreshes the chart's copy of the dashboards,
// since Helm reads files inside the chart only.
//
//go:generate go run ./internal/syncdashboards -from ../dashboards -to helm/exhaust/dashboards
package deploy

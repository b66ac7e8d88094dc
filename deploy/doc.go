// Package deploy holds how exhaust is deployed: the compose stack
// (compose.yaml, one NATS server or, with the profile "cluster", three),
// the NATS server configuration with its users and permissions
// (nats/accounts.conf, included by the single server's nats/nats.conf and
// the cluster's nats/cluster.conf), the Prometheus and Grafana
// provisioning, and the Helm chart (helm/exhaust, tested by the separate
// module helm/test).
// docs/deploy.md explains them.
//
// The package has no Go API. Its tests check the files against each other
// (service names, ports, scrape targets, provisioning paths, variables, the
// chart's NATS accounts) and the NATS permissions against a real
// nats-server.
//
// go generate refreshes the chart's copy of the dashboards, since Helm reads
// files inside the chart only, and rewrites what follows from the producer
// registry (internal/fromregistry): the compose publishers, the producers'
// NATS accounts in nats/accounts.conf and the Helm values, their passwords in
// .env.example, and the lists of producers in docs/deploy.md and
// docs/architecture.md, each between BEGIN and END generated markers. A
// test fails while either is stale.
//
//go:generate go run ./internal/syncdashboards -from ../dashboards -to helm/exhaust/dashboards
//go:generate go run ./internal/gendeploy -root ..
package deploy

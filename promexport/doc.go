// Package promexport exposes the aggregator to Prometheus.
//
// It is the only package of the aggregator that imports the Prometheus
// client. It has two halves:
//
//   - Exporter counts what happens in the pipeline (events consumed and
//     rejected, lag, processing time, consumer backlog). The service that
//     consumes the stream calls it through its Observer interface.
//   - A custom Collector reads the Engine's state at scrape time (profiles,
//     identifiers, links, accuracy against the truth, unicity and a capped set
//     of per-person series), so the domain code knows nothing of Prometheus.
//
// Every metric is documented in docs/metrics.md. Everything is registered on
// the prometheus.Registerer passed to New, never on the global registry.
package promexport

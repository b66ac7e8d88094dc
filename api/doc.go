// Package api serves the aggregator's state as a JSON HTTP API: profile
// listings and details (facts with their evidence, identifiers, links),
// accuracy against the ground truth, Prometheus metrics, and the health and
// readiness probes an orchestrator polls.
//
// The handler reads the Engine at request time and holds no state of its
// own. Every response, errors included, is JSON except /metrics; the
// endpoints, their parameters and status codes are documented in
// docs/api.md.
package api

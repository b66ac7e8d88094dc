// Package aggregator is "the beast": knowing no names, it applies anonymous
// events in stream order to an identity graph (package graph, fed by the
// evidence finders of package linker) and to per-identifier fact
// accumulators (package facts), and scores its clusters against the ground
// truth (package score). It imports neither NATS nor Prometheus: the service
// package feeds it, promexport and api read it.
package aggregator

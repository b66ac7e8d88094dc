// Package natstest starts real, in-process NATS servers for tests: a random
// port, JetStream on a per-test directory, shut down when the test ends.
// StartCluster starts several such servers routed into one JetStream
// cluster, for replication and failover tests. exhaust's tests never mock
// NATS.
package natstest

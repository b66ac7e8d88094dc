package natsbus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// MaxReplicas is the most copies JetStream keeps of a stream.
const MaxReplicas = 5

// EnsureAll creates or updates every stream and bucket exhaust uses, each
// with replicas copies (1 to MaxReplicas): the events (events describes
// them; its Replicas is replaced), the ground truth, the rejects and the
// aggregator's snapshots and worker slots. It returns their names, streams
// then the buckets.
//
// It is what exhaust setup does, as a user allowed to. Everything else
// that ensures a stream or bucket at start (produce, aggregate, demo)
// keeps the replicas it finds, so the replication chosen here stays.
func EnsureAll(ctx context.Context, js jetstream.JetStream, events StreamConfig, replicas int) ([]string, error) {
	if replicas < 1 || replicas > MaxReplicas {
		return nil, fmt.Errorf("replicas must be between 1 and %d (JetStream's limit), got %d", MaxReplicas, replicas)
	}
	events.Replicas = replicas
	if _, err := EnsureStream(ctx, js, events); err != nil {
		return nil, err
	}
	names := []string{events.Name}
	for _, cfg := range []jetstream.StreamConfig{TruthStreamConfig(), DLQStreamConfig()} {
		if _, err := ensure(ctx, js, cfg, replicas); err != nil {
			return nil, err
		}
		names = append(names, cfg.Name)
	}
	if _, err := ensureSnapshotBucket(ctx, js, replicas); err != nil {
		return nil, err
	}
	if _, err := ensureWorkerBucket(ctx, js, replicas, DefaultWorkerTTL); err != nil {
		return nil, err
	}
	return append(names, SnapshotBucket, WorkerBucket), nil
}

package main

import (
	"context"
	"fmt"

	"exhaust/natsbus"
)

// runSetup creates the streams and the bucket that produce --setup=false
// and aggregate expect, as a user allowed to (the deploy stack's admin), so
// that the producers and the aggregator can run with users that may not. It
// alone chooses their replication: the others keep what they find.
func runSetup(ctx context.Context, args []string, env *cliEnv) error {
	fs := newFlagSet("setup", "setup --nats URL [flags]",
		"Creates or updates every stream and bucket exhaust uses on a NATS server or\ncluster, each with --replicas copies, then exits: EXHAUST (events),\nEXHAUST_TRUTH (ground truth), EXHAUST_DLQ (rejected events), the\n"+natsbus.SnapshotBucket+" object store (the aggregator's snapshots) and the\n"+natsbus.WorkerBucket+" key-value bucket (the aggregator workers' slots). The deploy\nstack runs it once, as its NATS admin user, before the producers (produce\n--setup=false) and the aggregator start. Running it again is harmless; the\nproducers and the aggregator never change the replicas it set.",
		env.stdout)
	natsURL := fs.String("nats", "nats://127.0.0.1:4222", natsFlagUsage)
	var auth natsAuth
	auth.register(fs)
	replicas := fs.Int("replicas", 1, "copies of each stream and bucket in a JetStream cluster, at most the cluster's nodes (3 on the Helm chart's three-node cluster)")
	stream := natsbus.DefaultStreamConfig()
	maxBytes := byteSize(stream.MaxBytes)
	fs.DurationVar(&stream.Duplicates, "dedup-window", stream.Duplicates, "JetStream duplicate window of the EXHAUST stream: a re-run within it adds nothing")
	fs.DurationVar(&stream.MaxAge, "stream-max-age", stream.MaxAge, "oldest event the EXHAUST stream keeps (0: no limit)")
	fs.Var(&maxBytes, "stream-max-bytes", "largest size of the EXHAUST stream, e.g. 512MiB (0: no limit)")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if *replicas < 1 || *replicas > natsbus.MaxReplicas {
		return fmt.Errorf("--replicas must be between 1 and %d (JetStream's limit), got %d", natsbus.MaxReplicas, *replicas)
	}
	stream.MaxBytes, stream.Replicas = int64(maxBytes), *replicas
	if err := stream.Validate(); err != nil {
		return err
	}
	nc, js, err := auth.connect(ctx, *natsURL, "exhaust-setup", env.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := natsbus.EnsureAll(ctx, js, stream, *replicas); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "streams %s (%s), %s (%s), %s (%s) and buckets %s, %s ready on %s, %d replica(s) each\n",
		stream.Name, natsbus.StreamSubjects, natsbus.TruthStream, natsbus.TruthSubjects, natsbus.DLQStream, natsbus.DLQSubjects,
		natsbus.SnapshotBucket, natsbus.WorkerBucket, nc.ConnectedUrlRedacted(), *replicas)
	return nil
}

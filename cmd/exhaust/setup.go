package main

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
)

// runSetup creates the streams that produce --setup=false and aggregate
// expect, as a user allowed to (the deploy stack's admin), so that the
// producers and the aggregator can run with users that may not.
func runSetup(ctx context.Context, args []string, env *cliEnv) error {
	fs := newFlagSet("setup", "setup --nats URL [flags]",
		"Creates or updates the EXHAUST stream (events) and the EXHAUST_TRUTH stream\n(ground truth) on a NATS server, then exits. The deploy stack runs it once,\nas its NATS admin user, before the producers (produce --setup=false) and the\naggregator start. Running it again is harmless.",
		env.stdout)
	natsURL := fs.String("nats", "nats://127.0.0.1:4222", "URL of the NATS server (JetStream enabled)")
	var auth natsAuth
	auth.register(fs)
	replicas := fs.Int("replicas", 1, "copies of each stream in a JetStream cluster (3 on the Helm chart's three-node cluster)")
	stream := natsbus.DefaultStreamConfig()
	maxBytes := byteSize(stream.MaxBytes)
	fs.DurationVar(&stream.Duplicates, "dedup-window", stream.Duplicates, "JetStream duplicate window of the EXHAUST stream: a re-run within it adds nothing")
	fs.DurationVar(&stream.MaxAge, "stream-max-age", stream.MaxAge, "oldest event the EXHAUST stream keeps (0: no limit)")
	fs.Var(&maxBytes, "stream-max-bytes", "largest size of the EXHAUST stream, e.g. 512MiB (0: no limit)")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if *replicas < 1 || *replicas > 5 {
		return fmt.Errorf("--replicas must be between 1 and 5 (JetStream's limit), got %d", *replicas)
	}
	stream.MaxBytes, stream.Replicas = int64(maxBytes), *replicas
	if err := stream.Validate(); err != nil {
		return err
	}
	url, err := auth.apply(*natsURL)
	if err != nil {
		return err
	}
	nc, err := natsbus.Connect(ctx, url, "exhaust-setup", env.log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("JetStream on %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	if _, err := natsbus.EnsureStream(ctx, js, stream); err != nil {
		return err
	}
	truth := natsbus.TruthStreamConfig()
	truth.Replicas = *replicas
	if _, err := js.CreateOrUpdateStream(ctx, truth); err != nil {
		return fmt.Errorf("ensure stream %s: %w", truth.Name, err)
	}
	fmt.Fprintf(env.stdout, "streams %s (%s) and %s (%s) ready on %s, %d replica(s)\n",
		stream.Name, natsbus.StreamSubjects, truth.Name, natsbus.TruthSubjects, nc.ConnectedUrlRedacted(), *replicas)
	return nil
}

package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamName is the name of the stream that captures every exhaust event.
const StreamName = "EXHAUST"

// StreamSubjects is the subject filter of the EXHAUST stream. Everything
// that is not exhaust (ground truth, control, rejects) lives outside it.
const StreamSubjects = "exhaust.>"

// StreamConfig is the part of the EXHAUST stream's configuration exhaust
// lets users change.
type StreamConfig struct {
	// Name is the stream name.
	Name string
	// Subjects are the subjects the stream captures.
	Subjects []string
	// Duplicates is the window in which a repeated Nats-Msg-Id is dropped.
	// It must cover the longest time a publisher may retry a message.
	Duplicates time.Duration
	// MaxAge is how long messages are kept; 0 keeps them until MaxBytes.
	MaxAge time.Duration
	// MaxBytes caps the stream's size; the oldest messages go first. 0 or
	// -1 means no cap.
	MaxBytes int64
	// Replicas is the number of copies in a cluster (1 on a single server).
	// 0 leaves an existing stream's replicas as they are and creates a
	// missing one with a single copy: exhaust setup --replicas alone
	// chooses the replication, and a producer or a consumer that ensures
	// the stream at start never lowers it.
	Replicas int
	// Storage is file (the zero value, survives restarts) or memory.
	Storage jetstream.StorageType
}

// DefaultStreamConfig returns the EXHAUST stream's defaults: two hours of
// duplicate detection, a week of history, at most 1 GiB, file storage, and
// the replicas of the stream if it exists (one if it does not).
func DefaultStreamConfig() StreamConfig {
	return StreamConfig{
		Name:       StreamName,
		Subjects:   []string{StreamSubjects},
		Duplicates: 2 * time.Hour,
		MaxAge:     7 * 24 * time.Hour,
		MaxBytes:   1 << 30,
		Storage:    jetstream.FileStorage,
	}
}

// Validate reports a configuration the server would reject (or that would
// silently lose dedup guarantees) as a one-line error naming the flags.
func (c StreamConfig) Validate() error {
	switch {
	case c.Name == "":
		return fmt.Errorf("stream name is empty")
	case len(c.Subjects) == 0:
		return fmt.Errorf("stream %s has no subjects", c.Name)
	case c.Duplicates < 0:
		return fmt.Errorf("dedup window %s is negative (check --dedup-window)", c.Duplicates)
	case c.MaxAge < 0:
		return fmt.Errorf("stream max age %s is negative (check --stream-max-age)", c.MaxAge)
	case c.MaxAge > 0 && c.Duplicates > c.MaxAge:
		return fmt.Errorf("dedup window %s is longer than stream max age %s (set --dedup-window ≤ --stream-max-age)", c.Duplicates, c.MaxAge)
	case c.Replicas < 0:
		return fmt.Errorf("stream replicas %d is negative", c.Replicas)
	}
	return nil
}

// jetstream converts c to the client library's configuration.
func (c StreamConfig) jetstream() jetstream.StreamConfig {
	maxBytes := c.MaxBytes
	if maxBytes == 0 {
		maxBytes = -1
	}
	return jetstream.StreamConfig{
		Name:        c.Name,
		Description: "exhaust events, one per sensor observation",
		Subjects:    c.Subjects,
		Duplicates:  c.Duplicates,
		MaxAge:      c.MaxAge,
		MaxBytes:    maxBytes,
		Replicas:    max(c.Replicas, 1),
		Storage:     c.Storage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
	}
}

// EnsureStream creates the stream described by cfg, or updates it to cfg if
// it exists. It is idempotent: calling it at every start is the intended use.
// With cfg.Replicas 0 an existing stream keeps its replicas.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return ensure(ctx, js, cfg.jetstream(), cfg.Replicas)
}

// ensure creates the stream cfg describes or updates it to cfg, with
// replicas copies; replicas 0 keeps an existing stream's (a missing one
// gets one).
//
// Keeping them takes a look-up first: CreateOrUpdateStream sends the
// configuration's replicas (1 when left 0), and the server scales an
// existing stream to them, so a producer starting with the defaults would
// bring a stream that exhaust setup made R3 down to one copy.
func ensure(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig, replicas int) (jetstream.Stream, error) {
	if replicas > 0 {
		cfg.Replicas = replicas
		s, err := js.CreateOrUpdateStream(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
		return s, nil
	}
	s, err := keepReplicas(ctx, js, cfg.Name,
		func(replicas int) (jetstream.Stream, error) {
			cfg.Replicas = replicas
			return js.CreateStream(ctx, cfg)
		},
		func(replicas int) (jetstream.Stream, error) {
			cfg.Replicas = replicas
			return js.UpdateStream(ctx, cfg)
		})
	if err != nil {
		return nil, fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// keepReplicasAttempts bounds how often keepReplicas looks the stream up
// again after it appeared or vanished between its look-up and its change
// (another process ensuring it at the same time, or deleting it).
const keepReplicasAttempts = 3

// keepReplicas calls create with one replica if the stream named stream
// (a bucket's own stream, for a bucket) does not exist, or update with the
// replicas it has if it does.
func keepReplicas[T any](ctx context.Context, js jetstream.JetStream, stream string, create, update func(replicas int) (T, error)) (T, error) {
	var zero T
	for range keepReplicasAttempts {
		s, err := js.Stream(ctx, stream)
		switch {
		case err == nil:
			v, err := update(s.CachedInfo().Config.Replicas)
			if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrBucketNotFound) {
				continue // deleted meanwhile
			}
			return v, err
		case errors.Is(err, jetstream.ErrStreamNotFound):
			v, err := create(1)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				continue // created meanwhile, perhaps with more replicas
			}
			return v, err
		default:
			return zero, err
		}
	}
	return zero, errors.New("created or deleted by another process meanwhile, again and again")
}

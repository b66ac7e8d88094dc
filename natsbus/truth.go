package natsbus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TruthStream is the name of the ground-truth stream: which identifiers
// belong to which simulated person. The aggregator reads it only to score
// itself, never to link.
const TruthStream = "EXHAUST_TRUTH"

// TruthSubjectPrefix starts every ground-truth subject. It lies outside
// exhaust.> so the EXHAUST stream never captures the truth.
const TruthSubjectPrefix = "truth.exhaust."

// TruthSubjects is the subject filter of the ground-truth stream.
const TruthSubjects = TruthSubjectPrefix + ">"

// truthDuplicates is the truth stream's dedup window: republishing the same
// truth (the same simulation run again) stores nothing new.
const truthDuplicates = 2 * time.Hour

// TruthSubject returns the subject of a person's ground truth,
// "truth.exhaust.person.<personID>".
func TruthSubject(personID string) string {
	return TruthSubjectPrefix + "person." + personID
}

// FaultsSubjectPrefix starts the subject of every fault report: what the
// simulator did to a producer's events (package faults), so that scoring
// knows what was lost, broken, late or repeated.
const FaultsSubjectPrefix = TruthSubjectPrefix + "faults."

// FaultsSubjects is the subject filter of the fault reports.
const FaultsSubjects = FaultsSubjectPrefix + ">"

// PersonSubjects is the subject filter of the persons' truth.
const PersonSubjects = TruthSubjectPrefix + "person.>"

// FaultsSubject returns the subject of part of a producer's fault report
// for a day, "truth.exhaust.faults.<producer>.<day>.<part>": the stream
// keeps the latest of each.
func FaultsSubject(producer string, day, part int) string {
	return fmt.Sprintf("%s%s.%d.%d", FaultsSubjectPrefix, producer, day, part)
}

// TruthStreamConfig returns the ground-truth stream's configuration: one
// message (the latest truth) per person, on file, one replica (EnsureAll
// sets the cluster's).
func TruthStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              TruthStream,
		Description:       "ground truth: each simulated person's identifiers, latest only",
		Subjects:          []string{TruthSubjects},
		MaxMsgsPerSubject: 1,
		Duplicates:        truthDuplicates,
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Discard:           jetstream.DiscardOld,
		Replicas:          1,
	}
}

// EnsureTruthStream creates or updates the ground-truth stream. It is
// idempotent; an existing stream keeps its replicas.
func EnsureTruthStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	return ensure(ctx, js, TruthStreamConfig(), 0)
}

// PublishTruth publishes a person's ground truth to TruthSubject(personID)
// and waits for the ack. The message id is derived from the subject and
// content, so publishing the same truth again stores nothing; the stream
// keeps only the latest truth per person.
func PublishTruth(ctx context.Context, js jetstream.JetStream, personID string, data []byte) error {
	if personID == "" || strings.ContainsAny(personID, ".*> \t\r\n") {
		return fmt.Errorf("publish truth: person id %q is not a valid subject token", personID)
	}
	if err := publishLatest(ctx, js, TruthSubject(personID), data); err != nil {
		return fmt.Errorf("publish truth for %s: %w", personID, err)
	}
	return nil
}

// PublishFaults publishes part of a producer's fault report for a day to
// FaultsSubject(producer, day, part), like PublishTruth: publishing the
// same report again stores nothing, and the stream keeps the latest.
func PublishFaults(ctx context.Context, js jetstream.JetStream, producer string, day, part int, data []byte) error {
	if !validToken(producer) {
		return fmt.Errorf("publish faults: producer %q is not a valid subject token", producer)
	}
	if err := publishLatest(ctx, js, FaultsSubject(producer, day, part), data); err != nil {
		return fmt.Errorf("publish faults of %s, day %d: %w", producer, day, err)
	}
	return nil
}

// publishLatest publishes data to a subject of the truth stream, which
// keeps one message per subject, and waits for the ack, retrying with
// backoff while NATS is unavailable (a server restarting mid-run). Each
// attempt is safe to repeat: the stream keeps the latest message of the
// subject only.
func publishLatest(ctx context.Context, js jetstream.JetStream, subject string, data []byte) error {
	return untilAcked(ctx, js, subject, func(ctx context.Context) error { return publishLatestOnce(ctx, js, subject, data) })
}

// publishLatestOnce is one attempt of publishLatest.
func publishLatestOnce(ctx context.Context, js jetstream.JetStream, subject string, data []byte) error {
	sum := sha256.Sum256(append([]byte(subject+"\n"), data...))
	id := "truth-" + hex.EncodeToString(sum[:16])
	ack, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(id))
	if err != nil {
		return err
	}
	if !ack.Duplicate {
		return nil
	}
	// A duplicate normally means "already stored". But if the subject's
	// message changed and changed back within the dedup window (A, B, A), the
	// stream holds B and the second A was dropped: check, and store it
	// without an id in that case.
	stream, err := js.Stream(ctx, TruthStream)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	last, err := stream.GetLastMsgForSubject(ctx, subject)
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("check: %w", err)
	}
	if last != nil && bytes.Equal(last.Data, data) {
		return nil
	}
	_, err = js.Publish(ctx, subject, data)
	return err
}

// ReadFaults calls h with the subject and payload of every fault report
// the ground-truth stream holds (the latest of each subject), in stream
// order, and returns once it has seen them all.
func ReadFaults(ctx context.Context, js jetstream.JetStream, h func(subject string, data []byte)) error {
	cons, err := js.OrderedConsumer(ctx, TruthStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{FaultsSubjects},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("read faults: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("read faults: %w", err)
	}
	for left := info.NumPending; left > 0; {
		batch, err := cons.Fetch(int(min(left, 256)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("read faults: %w", err)
		}
		for m := range batch.Messages() {
			h(m.Subject(), m.Data())
			left--
		}
		if err := batch.Error(); err != nil {
			return fmt.Errorf("read faults: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read faults: %w", err)
		}
	}
	return nil
}

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

// TruthStreamConfig returns the ground-truth stream's configuration: one
// message (the latest truth) per person, on file.
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
// idempotent.
func EnsureTruthStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	return ensure(ctx, js, TruthStreamConfig())
}

// PublishTruth publishes a person's ground truth to TruthSubject(personID)
// and waits for the ack. The message id is derived from the subject and
// content, so publishing the same truth again stores nothing; the stream
// keeps only the latest truth per person.
func PublishTruth(ctx context.Context, js jetstream.JetStream, personID string, data []byte) error {
	if personID == "" || strings.ContainsAny(personID, ".*> \t\r\n") {
		return fmt.Errorf("publish truth: person id %q is not a valid subject token", personID)
	}
	subject := TruthSubject(personID)
	sum := sha256.Sum256(append([]byte(subject+"\n"), data...))
	id := "truth-" + hex.EncodeToString(sum[:16])
	ack, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(id))
	if err != nil {
		return fmt.Errorf("publish truth for %s: %w", personID, err)
	}
	if !ack.Duplicate {
		return nil
	}
	// A duplicate normally means "already stored". But if the person's
	// truth changed and changed back within the dedup window (A, B, A), the
	// stream holds B and the second A was dropped: check, and store it
	// without an id in that case.
	stream, err := js.Stream(ctx, TruthStream)
	if err != nil {
		return fmt.Errorf("check truth for %s: %w", personID, err)
	}
	last, err := stream.GetLastMsgForSubject(ctx, subject)
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("check truth for %s: %w", personID, err)
	}
	if last != nil && bytes.Equal(last.Data, data) {
		return nil
	}
	if _, err := js.Publish(ctx, subject, data); err != nil {
		return fmt.Errorf("publish truth for %s: %w", personID, err)
	}
	return nil
}

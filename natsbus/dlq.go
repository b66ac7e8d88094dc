package natsbus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DLQStream is the name of the stream that keeps rejected messages.
const DLQStream = "EXHAUST_DLQ"

// DLQSubjects is the subject filter of DLQStream. It lies outside exhaust.>
// so a rejected message is never consumed as an event again.
const DLQSubjects = "dlq.>"

// DLQSubjectPrefix starts the subject of every message the aggregator
// rejects: "dlq.exhaust.<reason>".
const DLQSubjectPrefix = "dlq.exhaust."

// Headers of a rejected message. The payload is the original, unchanged.
const (
	// HeaderRejectReason is why it was rejected: a stable reason token
	// (event.Reasons, or the aggregator's own such as "absurd_time").
	HeaderRejectReason = "Exhaust-Reject-Reason"
	// HeaderRejectDetail is the reason in words, one line.
	HeaderRejectDetail = "Exhaust-Reject-Detail"
	// HeaderOriginalSubject is the subject the message was published to.
	HeaderOriginalSubject = "Exhaust-Original-Subject"
	// HeaderOriginalSeq is its sequence in the stream it was consumed from.
	HeaderOriginalSeq = "Exhaust-Original-Seq"
	// HeaderOriginalMsgID is its Nats-Msg-Id, when it had one.
	HeaderOriginalMsgID = "Exhaust-Original-Msg-Id"
)

const (
	// dlqMaxAge keeps rejects as long as the EXHAUST stream keeps events.
	dlqMaxAge = 7 * 24 * time.Hour
	// dlqMaxBytes bounds the DLQ: a flood of garbage must not fill the disk.
	dlqMaxBytes = 256 << 20
	// dlqDuplicates is the DLQ's dedup window. A message rejected again
	// after a restart (replay from a snapshot) gets the same id, so the
	// DLQ keeps it once.
	dlqDuplicates = 2 * time.Hour
	// maxHeaderDetail bounds the detail header.
	maxHeaderDetail = 400
)

// DLQSubject returns the subject of a message rejected for reason,
// "dlq.exhaust.<reason>". A reason that is not a valid subject token is
// replaced by "invalid_reason".
func DLQSubject(reason string) string {
	if !validToken(reason) {
		reason = "invalid_reason"
	}
	return DLQSubjectPrefix + reason
}

// DLQStreamConfig returns the configuration of the DLQ stream: a week of
// rejects, at most 256 MiB, on file, one replica (EnsureAll sets the
// cluster's).
func DLQStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        DLQStream,
		Description: "exhaust messages the aggregator rejected, with the reason in headers",
		Subjects:    []string{DLQSubjects},
		MaxAge:      dlqMaxAge,
		MaxBytes:    dlqMaxBytes,
		Duplicates:  dlqDuplicates,
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Replicas:    1,
	}
}

// EnsureDLQStream creates or updates the DLQ stream. It is idempotent; an
// existing stream keeps its replicas.
func EnsureDLQStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	return ensure(ctx, js, DLQStreamConfig(), 0)
}

// Reject is a message the aggregator refused, and why.
type Reject struct {
	// Reason is a stable token: event.Reasons or the aggregator's own.
	Reason string
	// Detail says what exactly was wrong, for people.
	Detail string
	// Subject and Seq locate the original message in its stream.
	Subject string
	Seq     uint64
	// MsgID is the original Nats-Msg-Id ("" if none).
	MsgID string
	// Data is the original payload.
	Data []byte
}

// PublishReject publishes r's payload, unchanged, to DLQSubject(r.Reason)
// with the reject headers, and waits for the DLQ stream's ack. Its message
// id is derived from the original's sequence and content, so rejecting the
// same message again (a replay after a restart) stores it once.
func PublishReject(ctx context.Context, js jetstream.JetStream, r Reject) error {
	subject := DLQSubject(r.Reason)
	sum := sha256.New()
	sum.Write([]byte(r.Subject + "\n" + strconv.FormatUint(r.Seq, 10) + "\n"))
	sum.Write(r.Data)
	h := nats.Header{}
	h.Set(jetstream.MsgIDHeader, "dlq-"+strconv.FormatUint(r.Seq, 10)+"-"+hex.EncodeToString(sum.Sum(nil)[:8]))
	h.Set(HeaderRejectReason, r.Reason)
	h.Set(HeaderRejectDetail, headerLine(r.Detail))
	h.Set(HeaderOriginalSubject, r.Subject)
	h.Set(HeaderOriginalSeq, strconv.FormatUint(r.Seq, 10))
	if r.MsgID != "" {
		h.Set(HeaderOriginalMsgID, headerLine(r.MsgID))
	}
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: subject, Header: h, Data: r.Data}); err != nil {
		return fmt.Errorf("publish reject of %s #%d to %s: %w", r.Subject, r.Seq, subject, err)
	}
	return nil
}

// headerLine makes s a valid, bounded, one-line header value.
func headerLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	s = strings.TrimSpace(s)
	if len(s) > maxHeaderDetail {
		cut := maxHeaderDetail
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

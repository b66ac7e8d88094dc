package natsbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// DefaultMaxPending is the default publisher window: how many messages
	// may be published and not yet acknowledged.
	DefaultMaxPending = 4096
	// DefaultAckTimeout is how long a blocked Publisher waits without any
	// ack before it publishes the pending messages again. Acks normally take
	// well under a millisecond; the timeout only catches acks lost without
	// a disconnect (a disconnect fails pending publishes at once).
	DefaultAckTimeout = 10 * time.Second

	// Retries back off exponentially while no ack arrives, so a publisher
	// facing a stopped server does not spin.
	retryBackoffMin = 20 * time.Millisecond
	retryBackoffMax = time.Second
	// lookupTimeout bounds the stream lookup that tells "no stream for this
	// subject" from "JetStream not answering right now".
	lookupTimeout = 2 * time.Second
)

// ErrNoStream is the cause of a PublishError when no JetStream stream
// captures the message's subject, so retrying could never succeed.
var ErrNoStream = errors.New("no JetStream stream captures the subject")

// ErrNoMsgID is returned by Publish for an empty message id: without one,
// a retried message could be stored twice.
var ErrNoMsgID = errors.New("message id is empty")

// PublishError reports a message that failed for good: the server rejected
// it, or no stream captures its subject. The message is not in the stream.
type PublishError struct {
	// Subject is the message's subject.
	Subject string
	// MsgID is the message's Nats-Msg-Id.
	MsgID string
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *PublishError) Error() string {
	return fmt.Sprintf("publish %s (msg id %s): %v", e.Subject, e.MsgID, e.Err)
}

// Unwrap returns the cause.
func (e *PublishError) Unwrap() error { return e.Err }

// PublisherOptions tunes a Publisher. The zero value is the default.
type PublisherOptions struct {
	// MaxPending is the most messages in flight (published, not yet
	// acknowledged or failed); Publish blocks when the window is full.
	// 0 means DefaultMaxPending.
	MaxPending int
	// AckTimeout is how long a blocked Publish or Flush waits without any
	// ack before it publishes every pending message again. 0 means
	// DefaultAckTimeout; negative disables it (an ack lost without a
	// disconnect then stalls Flush until its context ends).
	AckTimeout time.Duration
}

// Stats counts what a Publisher did.
type Stats struct {
	// Published counts messages the stream acknowledged as new.
	Published uint64
	// Duplicates counts acks that said Duplicate: the message id was
	// already stored. A retry whose first attempt was stored after all also
	// counts here.
	Duplicates uint64
	// Retries counts re-publications after a failed or missing ack.
	Retries uint64
	// Failed counts messages that failed for good (see PublishError).
	Failed uint64
	// Pending is the number of messages not yet acknowledged or failed.
	Pending int
}

// Publisher publishes messages to JetStream asynchronously with a bounded
// window and checks every acknowledgement. A message whose ack fails for a
// transient reason (disconnect, no responders while a server restarts, no
// ack within AckTimeout) is published again with the same Nats-Msg-Id, with
// exponential backoff, until it is acknowledged or the caller's context
// ends; the stream's duplicate window makes the repeat safe. Retried
// messages may be stored out of publication order.
//
// Publish, Flush and Close must be called from one goroutine at a time
// (typically one publishing goroutine); Stats may be called from any
// goroutine.
//
// Acknowledgements are handled by callbacks of a JetStream context private
// to the Publisher, so the hot path starts no goroutine, creates no channel
// or timer per message; failures are queued for the publishing goroutine,
// which alone republishes.
type Publisher struct {
	js         jetstream.JetStream // private context with the ack callbacks
	max        int64               // window size
	low        int64               // a blocked Publish resumes at this many pending
	ackTimeout time.Duration

	pending atomic.Int64  // messages published and not yet acked or failed for good
	waiting atomic.Bool   // Publish is blocked on a full window
	space   chan struct{} // signalled when pending falls to low while waiting
	idle    chan struct{} // signalled when pending falls to 0
	wake    chan struct{} // signalled when a failure is queued

	mu        sync.Mutex
	failed    []failure // queued by the callbacks, under mu
	hasFailed atomic.Bool
	progress  atomic.Uint64 // acks and failures received, for the stall watchdog

	// Owned by the publishing goroutine.
	spare        []failure // swapped with failed to avoid reallocating
	retryQ       []failure // waiting for retryAt
	retryBuf     []failure
	retryAt      time.Time
	streak       int    // retry rounds in a row that saw no ack
	ackedAtRetry uint64 // acks counted when the last round started
	err          error  // first unreported permanent failure
	timer        *time.Timer
	watching     bool      // inside a blocking wait
	progressSeen uint64    // progress when last observed in a wait
	progressAt   time.Time // when progress last changed, or the wait began

	published, duplicates, retries, failedN atomic.Uint64
}

// failure is a message whose publication failed, with the reason.
type failure struct {
	msg *nats.Msg
	err error
}

// NewPublisher returns a Publisher that publishes through js's connection
// (and its domain or API prefix). It creates its own JetStream context so
// its ack handling does not interfere with other users of js.
func NewPublisher(js jetstream.JetStream, opts PublisherOptions) (*Publisher, error) {
	if opts.MaxPending < 0 {
		return nil, fmt.Errorf("publisher max pending %d is negative", opts.MaxPending)
	}
	if opts.MaxPending == 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.AckTimeout == 0 {
		opts.AckTimeout = DefaultAckTimeout
	}
	p := &Publisher{
		max: int64(opts.MaxPending),
		// Resuming only once a quarter of the window is free lets a blocked
		// Publish send a burst instead of waking once per ack.
		low:        int64(opts.MaxPending - max(opts.MaxPending/4, 1)),
		ackTimeout: opts.AckTimeout,
		space:      make(chan struct{}, 1),
		idle:       make(chan struct{}, 1),
		wake:       make(chan struct{}, 1),
	}
	// No per-message ack timeout in the library: a timer per message costs
	// about a fifth of the throughput. The stall watchdog in the blocking
	// waits replaces it, see checkStall.
	own, err := sibling(js,
		// Our window is never larger than the library's, so the library
		// never stalls a publish on its own.
		jetstream.WithPublishAsyncMaxPending(opts.MaxPending),
		jetstream.WithPublishAsyncAckHandler(p.onAck),
		jetstream.WithPublishAsyncErrHandler(p.onErr),
	)
	if err != nil {
		return nil, fmt.Errorf("create publisher: %w", err)
	}
	p.js = own
	return p, nil
}

// sibling returns a new JetStream context on js's connection, with js's
// domain or API prefix and default timeout, plus opts.
func sibling(js jetstream.JetStream, opts ...jetstream.JetStreamOpt) (jetstream.JetStream, error) {
	o := js.Options()
	if o.DefaultTimeout > 0 {
		opts = append(opts, jetstream.WithDefaultTimeout(o.DefaultTimeout))
	}
	switch {
	case o.Domain != "":
		return jetstream.NewWithDomain(js.Conn(), o.Domain, opts...)
	case o.APIPrefix != "":
		return jetstream.NewWithAPIPrefix(js.Conn(), o.APIPrefix, opts...)
	default:
		return jetstream.New(js.Conn(), opts...)
	}
}

// Publish hands one message to JetStream with header Nats-Msg-Id = msgID and
// returns without waiting for its ack. It blocks only while the window is
// full. data must not be modified until the message is acknowledged (after
// Flush).
//
// It returns ctx's error if ctx ends before the window has room; the
// message was then not published. A *PublishError reports a message that
// failed for good since the last report — possibly an earlier one, named in
// the error; the current message was published anyway.
func (p *Publisher) Publish(ctx context.Context, subject, msgID string, data []byte) error {
	if msgID == "" {
		return fmt.Errorf("publish %s: %w", subject, ErrNoMsgID)
	}
	if p.hasFailed.Load() || len(p.retryQ) > 0 {
		p.handleFailures(ctx)
	}
	if err := p.acquire(ctx); err != nil {
		return err
	}
	p.send(&nats.Msg{
		Subject: subject,
		Data:    data,
		// Set directly rather than with jetstream.WithMsgID: same header,
		// without the per-call option closure and header canonicalisation.
		Header: nats.Header{jetstream.MsgIDHeader: []string{msgID}},
	})
	return p.takeErr()
}

// Flush waits until every message published so far is acknowledged or has
// failed for good, retrying failures meanwhile. It returns the first
// unreported *PublishError, or ctx's error if ctx ends first (unfinished
// messages stay pending; a later Flush resumes them).
func (p *Publisher) Flush(ctx context.Context) error {
	defer p.endWait()
	for {
		p.handleFailures(ctx)
		if p.pending.Load() == 0 {
			return p.takeErr()
		}
		select {
		case <-p.idle:
		case <-p.wake:
		case <-p.arm():
			p.checkStall()
		case <-ctx.Done():
			return fmt.Errorf("flush: %d messages unacknowledged: %w", p.pending.Load(), ctx.Err())
		}
	}
}

// Stats returns the publisher's counters. It is safe to call concurrently
// with Publish.
func (p *Publisher) Stats() Stats {
	return Stats{
		Published:  p.published.Load(),
		Duplicates: p.duplicates.Load(),
		Retries:    p.retries.Load(),
		Failed:     p.failedN.Load(),
		Pending:    int(p.pending.Load()),
	}
}

// Close releases the publisher's ack subscription. Call Flush first:
// messages still pending are abandoned (they may or may not be stored).
func (p *Publisher) Close() {
	p.js.CleanupPublisher()
	if p.timer != nil {
		p.timer.Stop()
	}
}

// acquire takes a window slot. When the window is full it waits until a
// quarter of it is free, handling failures meanwhile: failed messages keep
// their slot until they are acknowledged, so only the publishing goroutine's
// retries can free the window in that case.
func (p *Publisher) acquire(ctx context.Context) error {
	// Only this goroutine adds to pending, so check-then-add is safe.
	if p.pending.Load() < p.max {
		p.pending.Add(1)
		return nil
	}
	p.waiting.Store(true)
	defer p.waiting.Store(false)
	defer p.endWait()
	for {
		// waiting is set before this load, and release decrements before it
		// reads waiting, so one of the two sees the other: no lost wakeup.
		if p.pending.Load() <= p.low {
			p.pending.Add(1)
			return nil
		}
		select {
		case <-p.space:
		case <-p.wake:
			p.handleFailures(ctx)
		case <-p.arm():
			p.handleFailures(ctx)
			p.checkStall()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// arm sets the publisher's timer for the next deadline of a blocking wait
// (a retry round or the stall watchdog) and returns its channel, or nil
// when there is none.
func (p *Publisher) arm() <-chan time.Time {
	now := time.Now()
	var at time.Time
	if len(p.retryQ) > 0 {
		at = p.retryAt
	}
	if p.ackTimeout > 0 && p.pending.Load() > 0 {
		if cur := p.progress.Load(); !p.watching || cur != p.progressSeen {
			p.watching, p.progressSeen, p.progressAt = true, cur, now
		}
		if stall := p.progressAt.Add(p.ackTimeout); at.IsZero() || stall.Before(at) {
			at = stall
		}
	}
	if at.IsZero() {
		return nil
	}
	if p.timer == nil {
		p.timer = time.NewTimer(at.Sub(now))
	} else {
		p.timer.Reset(at.Sub(now))
	}
	return p.timer.C
}

// endWait marks the end of a blocking wait for the stall watchdog.
func (p *Publisher) endWait() {
	p.watching = false
	if p.timer != nil {
		p.timer.Stop()
	}
}

// checkStall is the ack-timeout watchdog. If a blocking wait has seen no ack
// and no failure for AckTimeout while connected, acks were lost without a
// disconnect (a disconnect the library handles itself): fail every pending
// publish at once so they are retried. This replaces the library's timer per
// message, which costs throughput on every publish.
func (p *Publisher) checkStall() {
	if !p.watching || p.ackTimeout <= 0 || p.pending.Load() == 0 || !p.js.Conn().IsConnected() {
		return
	}
	if p.progress.Load() != p.progressSeen || time.Since(p.progressAt) < p.ackTimeout {
		return
	}
	p.progressAt = time.Now()
	// This fails each pending publish with ErrJetStreamPublisherClosed
	// through onErr; the context stays usable and resubscribes on the next
	// publish.
	p.js.CleanupPublisher()
}

// send publishes m asynchronously; its outcome arrives in onAck or onErr.
func (p *Publisher) send(m *nats.Msg) {
	if _, err := p.js.PublishMsgAsync(m); err != nil {
		p.resolve(failure{msg: m, err: err})
	}
}

// onAck runs on the library's ack goroutine; it must not block.
func (p *Publisher) onAck(_ jetstream.JetStream, _ *nats.Msg, ack *jetstream.PubAck) {
	if ack.Duplicate {
		p.duplicates.Add(1)
	} else {
		p.published.Add(1)
	}
	p.progress.Add(1)
	p.release()
}

// onErr runs on a library goroutine, sometimes under the library's lock; it
// only queues the failure for the publishing goroutine.
func (p *Publisher) onErr(_ jetstream.JetStream, m *nats.Msg, err error) {
	p.mu.Lock()
	p.failed = append(p.failed, failure{msg: m, err: err})
	p.hasFailed.Store(true)
	p.mu.Unlock()
	p.progress.Add(1)
	signal(p.wake)
}

// release frees a window slot and wakes a blocked Publish once the window
// has drained to the low mark, and Flush once it is empty.
func (p *Publisher) release() {
	n := p.pending.Add(-1)
	if n <= p.low && p.waiting.Load() {
		signal(p.space)
	}
	if n == 0 {
		signal(p.idle)
	}
}

// signal wakes the receiver of c, a channel of capacity 1, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// handleFailures sorts queued failures into permanent ones (reported, slot
// freed) and transient ones (queued for retry), then runs a retry round if
// one is due.
func (p *Publisher) handleFailures(ctx context.Context) {
	if p.hasFailed.Load() {
		p.mu.Lock()
		batch := p.failed
		p.failed = p.spare[:0]
		p.hasFailed.Store(false)
		p.mu.Unlock()
		for _, f := range batch {
			p.resolve(f)
		}
		clear(batch)
		p.spare = batch[:0]
	}
	if len(p.retryQ) == 0 || time.Now().Before(p.retryAt) {
		return
	}
	p.retryRound(ctx)
}

// resolve reports f if it is permanent and queues it for retry otherwise.
func (p *Publisher) resolve(f failure) {
	if !retryable(f.err) {
		p.fail(f.msg, f.err)
		return
	}
	if len(p.retryQ) == 0 {
		// A round that saw no ack since the previous one backs off further.
		if acked := p.published.Load() + p.duplicates.Load(); acked == p.ackedAtRetry {
			p.streak++
		} else {
			p.streak = 0
		}
		p.retryAt = time.Now().Add(backoff(p.streak))
	}
	p.retryQ = append(p.retryQ, f)
}

// retryRound republishes every queued failure, except those whose subject
// no stream captures.
func (p *Publisher) retryRound(ctx context.Context) {
	p.ackedAtRetry = p.published.Load() + p.duplicates.Load()
	q := p.retryQ
	p.retryQ = p.retryBuf[:0]
	var captured map[string]bool // per round: subject → a stream captures it
	for _, f := range q {
		if errors.Is(f.err, jetstream.ErrNoStreamResponse) {
			// No responders means either "JetStream is restarting" (retry)
			// or "no stream has this subject" (give up): ask JetStream.
			if captured == nil {
				captured = make(map[string]bool)
			}
			c, known := captured[f.msg.Subject]
			if !known {
				c, known = p.streamCaptures(ctx, f.msg.Subject)
				if known {
					captured[f.msg.Subject] = c
				}
			}
			if known && !c {
				p.fail(f.msg, ErrNoStream)
				continue
			}
		}
		p.retries.Add(1)
		p.send(f.msg)
	}
	clear(q)
	p.retryBuf = q[:0]
}

// streamCaptures asks JetStream whether a stream captures subject; known is
// false when JetStream did not answer.
func (p *Publisher) streamCaptures(ctx context.Context, subject string) (captures, known bool) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	_, err := p.js.StreamNameBySubject(ctx, subject)
	switch {
	case err == nil:
		return true, true
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return false, true
	default:
		return false, false
	}
}

// fail records a permanent failure and frees the message's slot.
func (p *Publisher) fail(m *nats.Msg, err error) {
	p.failedN.Add(1)
	if p.err == nil {
		p.err = &PublishError{Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader), Err: err}
	}
	p.release()
}

// takeErr returns and clears the first unreported permanent failure.
func (p *Publisher) takeErr() error {
	err := p.err
	p.err = nil
	return err
}

// retryable reports whether publishing again may succeed.
// ErrJetStreamPublisherClosed is retryable: checkStall uses it to fail
// publishes whose acks were lost.
func retryable(err error) bool {
	switch {
	case errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrBadSubject),
		errors.Is(err, nats.ErrMaxPayload),
		errors.Is(err, nats.ErrHeadersNotSupported):
		return false
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503: JetStream temporarily unavailable. Anything else is the
		// stream refusing this message.
		return apiErr.Code == 503
	}
	return true
}

// backoff is the delay before the retry round after streak rounds without
// an ack.
func backoff(streak int) time.Duration {
	d := retryBackoffMin
	for i := 0; i < streak && d < retryBackoffMax; i++ {
		d *= 2
	}
	return min(d, retryBackoffMax)
}

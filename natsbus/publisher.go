package natsbus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Every message a Publisher publishes carries its publisher and its place
// in that publisher's order, so that a consumer can put the publisher's
// messages back in publication order where the stream's order differs.
// The stream keeps them in publication order except across a stream
// leader's failover: a message sent to the leader that went away is
// retried after its ack timed out, behind later messages the new leader
// had stored meanwhile.
const (
	// PublisherHeader names the publisher: a random id per Publisher.
	PublisherHeader = "Exhaust-Publisher"
	// PublisherSeqHeader is the message's number in its publisher's
	// order, from 1, in decimal.
	PublisherSeqHeader = "Exhaust-Publisher-Seq"
	// PublisherSettledHeader says which of the publisher's earlier
	// messages are settled: every one numbered below it, in decimal, was
	// stored before this one was published (acknowledged, possibly as a
	// duplicate of an earlier message), or failed for good. A consumer
	// that has not seen one of them by this message never will (the
	// stream dropped it as a duplicate, or never had it), and need not
	// wait for it.
	PublisherSettledHeader = "Exhaust-Publisher-Settled"
)

// Publication returns the publisher, the number in its order and the
// settled mark (see PublisherSettledHeader; 0 if absent or not a decimal) a
// message's headers carry; ok is false when there are none, or the number
// is not a positive decimal.
func Publication(h nats.Header) (publisher string, seq, settled uint64, ok bool) {
	publisher = h.Get(PublisherHeader)
	if publisher == "" {
		return "", 0, 0, false
	}
	seq, err := strconv.ParseUint(h.Get(PublisherSeqHeader), 10, 64)
	if err != nil || seq == 0 {
		return "", 0, 0, false
	}
	settled, _ = strconv.ParseUint(h.Get(PublisherSettledHeader), 10, 64)
	return publisher, seq, settled, true
}

const (
	// DefaultMaxPending is the default publisher window: how many messages
	// may be published and not yet acknowledged.
	DefaultMaxPending = 4096
	// DefaultAckTimeout is how long a blocked Publisher waits without any
	// ack before it publishes the pending messages again. Acks normally take
	// well under a millisecond; the timeout only catches acks lost without
	// a disconnect (a disconnect fails pending publishes at once).
	DefaultAckTimeout = 10 * time.Second

	// Retries back off exponentially while they fail, so a publisher
	// facing a stopped server does not spin: 20 ms, 40 ms, … then one
	// attempt a second until the server answers.
	retryBackoffMin = 20 * time.Millisecond
	retryBackoffMax = time.Second
	// lookupTimeout bounds the stream lookup that tells "no stream for this
	// subject" from "JetStream not answering right now".
	lookupTimeout = 2 * time.Second
	// attemptTimeout bounds one synchronous re-publication: a server that
	// accepted the connection but does not answer is tried again.
	attemptTimeout = 5 * time.Second
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
	// Log receives a warning when publishing fails and is retried, and a
	// line when it has recovered. Nil means slog.Default().
	Log *slog.Logger
}

// Stats counts what a Publisher did.
type Stats struct {
	// Published counts messages the stream acknowledged as new.
	Published uint64
	// Duplicates counts acks that said Duplicate: the message id was
	// already stored. A retry whose first attempt was stored after all also
	// counts here.
	Duplicates uint64
	// Retries counts re-publications after a failed or missing ack
	// (attempts, so one message retried while the server is down counts
	// once per attempt).
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
// ends; the stream's duplicate window makes the repeat safe.
//
// Publication order is kept across failures. After one, nothing new is
// published until the library has settled every message in flight and the
// unacknowledged ones have been published again, one at a time and in their
// first publication order, each waiting for its ack. Messages a restarted
// server had stored already are acknowledged as duplicates, so the stream
// ends with every message once, in the order of Publish calls, as if the
// server had never gone away. For that the connection must not buffer
// publishes while it reconnects (Connect with NoReconnectBuffer): a
// buffered message would reach the restarted server before the older ones
// being retried.
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
	id         []string            // the PublisherHeader value, shared by every message
	log        *slog.Logger
	max        int64 // window size
	low        int64 // a blocked Publish resumes at this many pending
	ackTimeout time.Duration

	pending  atomic.Int64  // messages published and not yet acked or failed for good
	inflight atomic.Int64  // messages the library awaits an ack for
	waiting  atomic.Bool   // Publish is blocked on a full window
	draining atomic.Bool   // recover waits for inflight to reach 0
	space    chan struct{} // signalled when pending falls to low while waiting
	idle     chan struct{} // signalled when pending falls to 0
	wake     chan struct{} // signalled when a failure is queued, or inflight drained

	mu        sync.Mutex
	failed    []failure // queued by the callbacks, under mu
	hasFailed atomic.Bool
	progress  atomic.Uint64 // acks and failures received, for the stall watchdog

	// Owned by the publishing goroutine.
	spare        []failure // swapped with failed to avoid reallocating
	retryQ       []failure // unacknowledged after a failure, to publish again
	sent         uint64    // messages handed to Publish so far
	reconnects   uint64    // the connection's reconnect count when last checked
	err          error     // first unreported permanent failure
	timer        *time.Timer
	watching     bool      // inside a blocking wait
	progressSeen uint64    // progress when last observed in a wait
	progressAt   time.Time // when progress last changed, or the wait began

	published, duplicates, retries, failedN atomic.Uint64

	// settledBelow is the number of the first message not yet settled
	// (acknowledged or failed for good): the PublisherSettledHeader of
	// the next message. settledAbove holds the numbers settled after it,
	// out of order. Under settleMu.
	settleMu     sync.Mutex
	settledBelow atomic.Uint64
	settledAbove map[uint64]struct{}
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
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	p := &Publisher{
		id:  []string{uuid.NewString()},
		log: opts.Log.With("component", "publisher"),
		max: int64(opts.MaxPending),
		// Resuming only once a quarter of the window is free lets a blocked
		// Publish send a burst instead of waking once per ack.
		low:        int64(opts.MaxPending - max(opts.MaxPending/4, 1)),
		ackTimeout: opts.AckTimeout,
		space:      make(chan struct{}, 1),
		idle:       make(chan struct{}, 1),
		wake:       make(chan struct{}, 1),
		reconnects: js.Conn().Stats().Reconnects,

		settledAbove: map[uint64]struct{}{},
	}
	p.settledBelow.Store(1)
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

// Publish hands one message to JetStream with header Nats-Msg-Id = msgID
// (and the publication headers: PublisherHeader, PublisherSeqHeader and
// PublisherSettledHeader) and
// returns without waiting for its ack. It blocks while the window is full,
// and after a failure until every earlier message is stored again (see
// Publisher). data must not be modified until the message is acknowledged
// (after Flush).
//
// It returns ctx's error if ctx ends first; the message was then not
// published. A *PublishError reports a message that failed for good since
// the last report — possibly an earlier one, named in the error; the
// current message was published anyway.
func (p *Publisher) Publish(ctx context.Context, subject, msgID string, data []byte) error {
	if msgID == "" {
		return fmt.Errorf("publish %s: %w", subject, ErrNoMsgID)
	}
	if err := p.recoverIfNeeded(ctx); err != nil {
		return err
	}
	if err := p.acquire(ctx); err != nil {
		return err
	}
	p.sent++
	m := &nats.Msg{
		Subject: subject,
		Data:    data,
		// Set directly rather than with jetstream.WithMsgID: same header,
		// without the per-call option closure and header canonicalisation.
		Header: nats.Header{
			jetstream.MsgIDHeader:  []string{msgID},
			PublisherHeader:        p.id,
			PublisherSeqHeader:     []string{strconv.FormatUint(p.sent, 10)},
			PublisherSettledHeader: []string{strconv.FormatUint(p.settledBelow.Load(), 10)},
		},
	}
	if err := p.send(m); err != nil {
		// Not sent (typically: disconnected). It is the newest message, so
		// queueing it last keeps the order.
		p.queue(failure{msg: m, err: err})
	}
	return p.takeErr()
}

// Flush waits until every message published so far is acknowledged or has
// failed for good, retrying failures meanwhile. It returns the first
// unreported *PublishError, or ctx's error if ctx ends first (unfinished
// messages stay pending; a later Flush resumes them).
func (p *Publisher) Flush(ctx context.Context) error {
	defer p.endWait()
	for {
		if err := p.recoverIfNeeded(ctx); err != nil {
			return fmt.Errorf("flush: %d messages unacknowledged: %w", p.pending.Load(), err)
		}
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
// quarter of it is free, recovering from failures meanwhile: failed
// messages keep their slot until they are acknowledged, so only the
// publishing goroutine's retries can free the window in that case.
func (p *Publisher) acquire(ctx context.Context) error {
	// Only this goroutine adds to pending and to sent, so check-then-add
	// is safe.
	if p.pending.Load() < p.max && p.span() < p.max {
		p.pending.Add(1)
		return nil
	}
	p.waiting.Store(true)
	defer p.waiting.Store(false)
	defer p.endWait()
	for {
		// waiting is set before this load, and release decrements before it
		// reads waiting, so one of the two sees the other: no lost wakeup.
		if p.pending.Load() <= p.low && p.span() <= p.low {
			p.pending.Add(1)
			return nil
		}
		select {
		case <-p.space:
		case <-p.wake:
		case <-p.arm():
			p.checkStall()
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := p.recoverIfNeeded(ctx); err != nil {
			return err
		}
	}
}

// span is how many numbers the window spans: from the oldest message not
// settled to the newest sent. The window bounds it as well as the
// messages pending. A message lost without a disconnect (sent to a stream
// leader that went away before storing it) gets no ack while the later
// ones do: counting only what is pending, the publisher would go on for as
// long as it publishes, and retry it at the end, behind all of them. So a
// consumer that puts messages back in order by their numbers never holds
// more than a window of them, the stall watchdog fires once the later
// ones are acknowledged, and the lost message is published again, in its
// order, a window later at most.
func (p *Publisher) span() int64 {
	return int64(p.sent + 1 - p.settledBelow.Load())
}

// arm sets the publisher's timer for the stall watchdog of a blocking wait
// and returns its channel, or nil when there is nothing to watch.
func (p *Publisher) arm() <-chan time.Time {
	if p.ackTimeout <= 0 || p.inflight.Load() <= 0 {
		return nil
	}
	now := time.Now()
	if cur := p.progress.Load(); !p.watching || cur != p.progressSeen {
		p.watching, p.progressSeen, p.progressAt = true, cur, now
	}
	at := p.progressAt.Add(p.ackTimeout)
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
	if !p.watching || p.ackTimeout <= 0 || p.inflight.Load() <= 0 || !p.js.Conn().IsConnected() {
		return
	}
	if p.progress.Load() != p.progressSeen || time.Since(p.progressAt) < p.ackTimeout {
		return
	}
	p.progressAt = time.Now()
	p.log.Warn("no publish ack for a while although connected, publishing the unacknowledged messages again",
		"in_flight", p.inflight.Load(), "ack_timeout", p.ackTimeout)
	// This fails each pending publish with ErrJetStreamPublisherClosed
	// through onErr; the context stays usable and resubscribes on the next
	// publish.
	p.js.CleanupPublisher()
}

// send publishes m asynchronously; its outcome arrives in onAck or onErr,
// unless it could not be sent at all (the error returned).
func (p *Publisher) send(m *nats.Msg) error {
	p.inflight.Add(1)
	if _, err := p.js.PublishMsgAsync(m); err != nil {
		p.inflight.Add(-1)
		return err
	}
	return nil
}

// onAck runs on the library's ack goroutine; it must not block.
func (p *Publisher) onAck(_ jetstream.JetStream, m *nats.Msg, ack *jetstream.PubAck) {
	if ack.Duplicate {
		p.duplicates.Add(1)
	} else {
		p.published.Add(1)
	}
	p.progress.Add(1)
	p.settled()
	if p.settle(m) {
		p.release()
	}
}

// settle records m as settled, stored or failed for good, for the settled
// mark of the messages published next (PublisherSettledHeader), and
// reports whether it was not settled already: only then does it free its
// window slot. A message can be reported twice: published again after a
// failure while its first publication was still answered (the library
// retries a publish that met no responders on its own, and may report
// both that retry's failure and the disconnect's), so two copies each get
// an ack, the second a duplicate. Acks mostly come in order: then it only
// moves the mark.
func (p *Publisher) settle(m *nats.Msg) bool {
	n := number(m)
	if n == 0 {
		return true // not ours to number: nothing to tell a repeat by
	}
	p.settleMu.Lock()
	defer p.settleMu.Unlock()
	below := p.settledBelow.Load()
	switch {
	case n > below:
		if _, ok := p.settledAbove[n]; ok {
			return false
		}
		p.settledAbove[n] = struct{}{}
		return true
	case n < below:
		return false
	}
	for below++; ; below++ {
		if _, ok := p.settledAbove[below]; !ok {
			break
		}
		delete(p.settledAbove, below)
	}
	p.settledBelow.Store(below)
	return true
}

// onErr runs on a library goroutine, sometimes under the library's lock; it
// only queues the failure for the publishing goroutine.
func (p *Publisher) onErr(_ jetstream.JetStream, m *nats.Msg, err error) {
	p.mu.Lock()
	p.failed = append(p.failed, failure{msg: m, err: err})
	p.hasFailed.Store(true)
	p.mu.Unlock()
	p.progress.Add(1)
	p.settled()
	signal(p.wake)
}

// settled counts one message the library no longer awaits an ack for, and
// wakes recover when it waits for the last one.
func (p *Publisher) settled() {
	for {
		n := p.inflight.Load()
		if n <= 0 {
			return // a publication reported twice (see settle): none in flight for it
		}
		// draining is set before recover loads inflight, and this decrement
		// comes before the load of draining: one of the two sees the other.
		if p.inflight.CompareAndSwap(n, n-1) {
			if n == 1 && p.draining.Load() {
				signal(p.wake)
			}
			return
		}
	}
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

// queue sorts f into the permanent failures (reported, slot freed) and
// the transient ones (published again by recover).
func (p *Publisher) queue(f failure) {
	if !retryable(f.err) {
		p.fail(f.msg, f.err)
		return
	}
	p.retryQ = append(p.retryQ, f)
}

// takeFailed moves the failures the callbacks queued to the retry queue.
func (p *Publisher) takeFailed() {
	if !p.hasFailed.Load() {
		return
	}
	p.mu.Lock()
	batch := p.failed
	p.failed = p.spare[:0]
	p.hasFailed.Store(false)
	p.mu.Unlock()
	for _, f := range batch {
		p.queue(f)
	}
	clear(batch)
	p.spare = batch[:0]
}

// recoverIfNeeded recovers (see recover) if a publication failed or the
// connection reconnected since the last check: the library then fails the
// messages that were in flight, possibly after the reconnect, and nothing
// new may be sent before they are published again.
func (p *Publisher) recoverIfNeeded(ctx context.Context) error {
	if !p.hasFailed.Load() && len(p.retryQ) == 0 {
		// The connection's lock, briefly: cheap next to a publish.
		if n := p.js.Conn().Stats().Reconnects; n == p.reconnects {
			return nil
		}
	}
	return p.recover(ctx)
}

// recover waits until the library has settled every message in flight,
// then publishes the unacknowledged ones again in their publication order:
// the first one synchronously, retried with backoff until the server
// acknowledges it (or it fails for good), then the others asynchronously,
// in order, on the connection that works again. A server stores what one
// connection sends in order, so if it goes away again meanwhile it holds a
// prefix of them, and the next recovery starts over from the first one it
// did not acknowledge. It returns ctx's error if ctx ends first; what is
// left is resumed by the next call.
func (p *Publisher) recover(ctx context.Context) error {
	p.reconnects = p.js.Conn().Stats().Reconnects
	if err := p.drain(ctx); err != nil {
		return err
	}
	p.takeFailed()
	if len(p.retryQ) == 0 {
		return nil
	}
	p.sortRetries()
	began := time.Now()
	p.log.Warn("publishing failed, publishing the unacknowledged messages again in order once NATS answers",
		"messages", len(p.retryQ), "err", p.retryQ[0].err)
	captured := map[string]bool{} // subject → a stream captures it
	for len(p.retryQ) > 0 {
		// The first one waits for its ack: it tells when NATS is back.
		if err := p.republish(ctx, p.retryQ[0].msg, captured); err != nil {
			return err
		}
		p.retryQ[0] = failure{}
		p.retryQ = p.retryQ[1:]
		if len(p.retryQ) == 0 || !p.js.Conn().IsConnected() {
			continue
		}
		n := len(p.retryQ)
		for i, f := range p.retryQ {
			p.retries.Add(1)
			if err := p.send(f.msg); err != nil {
				// Lost the connection again: keep the rest, in order.
				p.retryQ = p.retryQ[i:]
				break
			}
			p.retryQ[i] = failure{}
			if i == n-1 {
				p.retryQ = p.retryQ[:0]
			}
		}
	}
	p.retryQ = nil
	p.log.Info("NATS answers again, the unacknowledged messages are published again in order",
		"took", time.Since(began).Round(time.Millisecond))
	return nil
}

// drain waits until the library awaits no ack: each message in flight is
// acknowledged or failed (a disconnect fails them all; the stall watchdog
// catches acks lost otherwise).
func (p *Publisher) drain(ctx context.Context) error {
	p.draining.Store(true)
	defer p.draining.Store(false)
	defer p.endWait()
	for p.inflight.Load() > 0 {
		select {
		case <-p.wake:
		case <-p.arm():
			p.checkStall()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// sortRetries puts the retry queue in publication order, by the numbers
// the messages carry. Failures arrive in any order (the library fails a
// disconnect's messages from a map).
func (p *Publisher) sortRetries() {
	if len(p.retryQ) < 2 {
		return
	}
	slices.SortStableFunc(p.retryQ, func(a, b failure) int {
		return cmp.Compare(number(a.msg), number(b.msg))
	})
}

// number returns m's number in the publisher's order (PublisherSeqHeader).
func number(m *nats.Msg) uint64 {
	n, _ := strconv.ParseUint(m.Header.Get(PublisherSeqHeader), 10, 64)
	return n
}

// republish publishes m again and waits for its ack, retrying with backoff
// while the failure is transient. It returns nil once m is acknowledged or
// has failed for good (reported by takeErr), and ctx's error if ctx ends.
func (p *Publisher) republish(ctx context.Context, m *nats.Msg, captured map[string]bool) error {
	for attempt := 0; ; attempt++ {
		p.retries.Add(1)
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		ack, err := p.js.PublishMsg(actx, m)
		cancel()
		if err == nil {
			if ack.Duplicate {
				p.duplicates.Add(1)
			} else {
				p.published.Add(1)
			}
			p.progress.Add(1)
			if p.settle(m) {
				p.release()
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			p.fail(m, err)
			return nil
		}
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			// No responders means either "JetStream is restarting" (retry)
			// or "no stream has this subject" (give up): ask JetStream.
			c, known := captured[m.Subject]
			if !known {
				if c, known = streamCaptures(ctx, p.js, m.Subject); known {
					captured[m.Subject] = c
				}
			}
			if known && !c {
				p.fail(m, ErrNoStream)
				return nil
			}
		}
		if attempt&(attempt+1) == 0 { // attempts 1, 2, 4, 8…: a line a second at worst, fewer as it lasts
			p.log.Warn("cannot publish yet, retrying with backoff", "subject", m.Subject,
				"msg_id", m.Header.Get(jetstream.MsgIDHeader), "attempt", attempt+1, "err", err)
		}
		t := time.NewTimer(backoff(attempt))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// untilAcked calls publish, each attempt bounded by attemptTimeout, until
// it succeeds, fails for good (see retryable) or ctx ends, backing off
// between attempts: what a synchronous publish to subject needs to ride out
// a server restart. No responders while JetStream answers that no stream
// captures subject fails at once, with ErrNoStream.
func untilAcked(ctx context.Context, js jetstream.JetStream, subject string, publish func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := publish(actx)
		cancel()
		if err == nil || ctx.Err() != nil || !retryable(err) {
			return err
		}
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			if c, known := streamCaptures(ctx, js, subject); known && !c {
				return fmt.Errorf("%w: %s", ErrNoStream, subject)
			}
		}
		t := time.NewTimer(backoff(attempt))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// streamCaptures asks JetStream whether a stream captures subject; known is
// false when JetStream did not answer.
func streamCaptures(ctx context.Context, js jetstream.JetStream, subject string) (captures, known bool) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	_, err := js.StreamNameBySubject(ctx, subject)
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
	if !p.settle(m) {
		return // another copy of it was stored meanwhile
	}
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
		// 503: JetStream temporarily unavailable. A replicated stream's
		// "duplicate message id is in process": the same message, sent
		// again after a lost ack, is still being agreed on by the
		// replicas (a leader change in the middle of it, with a node
		// down); once it is, another attempt gets its ack as a
		// duplicate. Anything else is the stream refusing this message.
		return apiErr.Code == 503 || apiErr.ErrorCode == errCodeDuplicateInProcess
	}
	return true
}

// errCodeDuplicateInProcess is JetStream's JSStreamDuplicateMessageConflict
// error code, which nats.go does not name.
const errCodeDuplicateInProcess jetstream.ErrorCode = 10158

// backoff is the delay before the next attempt after streak failed ones.
func backoff(streak int) time.Duration {
	d := retryBackoffMin
	for i := 0; i < streak && d < retryBackoffMax; i++ {
		d *= 2
	}
	return min(d, retryBackoffMax)
}

package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultConsumer is the name of the aggregator's durable consumer on the
// EXHAUST stream.
const DefaultConsumer = "exhaust-aggregator"

const (
	// DefaultAckWait is how long the server waits for an ack before it
	// delivers a message again. Applying an event takes microseconds; the
	// wait only has to cover a snapshot taken between two messages.
	DefaultAckWait = 30 * time.Second
	// DefaultMaxAckPending caps the messages delivered and not yet acked.
	// It is larger than the fetch batch, so it never throttles a healthy
	// consumer, and small enough that a stuck one does not pin the stream.
	DefaultMaxAckPending = 4096
	// DefaultBatch is how many messages the consumer asks for at a time;
	// the client refills at half, so pulls overlap with processing.
	DefaultBatch = 512
	// PullExpiry is how long one pull request waits on the server; the
	// client expects a heartbeat every half of it while waiting and, after
	// two missed, reports jetstream.ErrNoHeartbeat and pulls again (see
	// MissedHeartbeat). The library's default, 30 s, is also how long a
	// consumer whose pull the client lost track of stands idle: at 10,000
	// people that happened after stalls of the applier (a snapshot of
	// several seconds) and at start, a 30 s hole each time, with the
	// stream full. Short pulls cost one request every 2 s on an idle stream
	// and bound such a hole to 2 s.
	PullExpiry = 2 * time.Second
	// DefaultTick is the longest the consume loop waits without calling
	// the tick callback, so time-based work (snapshots) runs when the
	// stream is idle.
	DefaultTick = time.Second

	// apiTimeout bounds one JetStream API call (consumer reset, stream
	// lookup) made outside the message path.
	apiTimeout = 5 * time.Second
)

// ConsumerConfig configures a Consumer. The zero value of every field means
// its default.
type ConsumerConfig struct {
	// Stream is the stream to consume (StreamName).
	Stream string
	// Durable is the durable consumer's name (DefaultConsumer).
	Durable string
	// AckWait is the redelivery timeout (DefaultAckWait).
	AckWait time.Duration
	// MaxAckPending caps unacknowledged deliveries (DefaultMaxAckPending).
	MaxAckPending int
	// Batch is how many messages one pull asks for (DefaultBatch).
	Batch int
	// Tick is the longest the loop runs without calling Tick (DefaultTick).
	Tick time.Duration
	// InactiveThreshold, if positive, has the server delete the durable
	// once nobody has pulled from it for that long. Nothing is lost: the
	// state is in the snapshot, and the next start creates the durable
	// again just after it (see OpenConsumer). A worker slot's consumer has
	// it (WorkerConsumerInactive), so that slots a shrunk group no longer
	// uses stop showing a growing backlog.
	InactiveThreshold time.Duration
	// Log receives warnings (gaps filled, fallbacks). Nil means
	// slog.Default().
	Log *slog.Logger
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.Stream == "" {
		c.Stream = StreamName
	}
	if c.Durable == "" {
		c.Durable = DefaultConsumer
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = DefaultMaxAckPending
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Validate reports a configuration the server would reject, in one line.
func (c ConsumerConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case !validToken(c.Durable):
		return fmt.Errorf("consumer name %q is not a valid NATS name (no spaces, dots, * or >)", c.Durable)
	case c.AckWait < 0:
		return fmt.Errorf("ack wait %s is negative", c.AckWait)
	case c.MaxAckPending < 0:
		return fmt.Errorf("max ack pending %d is negative", c.MaxAckPending)
	case c.Batch < 0:
		return fmt.Errorf("batch %d is negative", c.Batch)
	case c.MaxAckPending < c.Batch:
		return fmt.Errorf("max ack pending %d is smaller than the batch %d: pulls would stall", c.MaxAckPending, c.Batch)
	case c.Tick < 0:
		return fmt.Errorf("tick %s is negative", c.Tick)
	}
	return nil
}

// validToken reports whether s can be a stream, consumer or subject token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch r {
		case '.', '*', '>', ' ', '\t', '\r', '\n', '/', '\\':
			return false
		}
	}
	return true
}

// Message is one stream message handed to a Handler.
type Message struct {
	// Subject is the subject the message was published to.
	Subject string
	// Seq is its stream sequence. A Handler sees strictly increasing
	// sequences.
	Seq uint64
	// Published is when the stream stored it (server clock).
	Published time.Time
	// Delivered is how many times the server delivered it (1 the first
	// time; 0 when the consumer fetched it directly to fill a gap).
	Delivered uint64
	// Pending is how many messages of the stream the consumer had not yet
	// delivered when this one was delivered.
	Pending uint64
	// Header holds the message's headers (may be nil).
	Header nats.Header
	// Data is the payload.
	Data []byte
}

// Handler handles one message. Returning nil acknowledges it; returning an
// error stops the consumer without acknowledging it, so it is delivered
// again on the next start.
type Handler func(ctx context.Context, m *Message) error

// Consumer is a durable pull consumer that hands messages to a Handler one
// at a time, in stream order, exactly once per start, beginning after a
// given stream sequence.
//
// Exactly once per start: the server delivers at least once, so a message
// delivered again (ack lost, AckWait passed while the handler was busy) is
// recognised by its sequence, acknowledged and dropped. Stream order: if a
// delivery is lost in transit (a reconnect) the next one reveals a gap in
// the sequences; the Consumer then reads the missing messages straight from
// the stream, so the Handler never sees a later message before an earlier
// one. Gaps the stream itself has (messages removed by limits) are skipped.
type Consumer struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	cons   jetstream.Consumer
	cfg    ConsumerConfig
	last   uint64 // last sequence handed to the handler (or positioned after)
}

// OpenConsumer creates or updates the durable consumer described by cfg on
// its stream and positions it so that the first message it delivers is the
// first one after stream sequence after (0: from the start of the stream).
//
// Why reposition: a durable consumer resumes from its ack floor, but the
// aggregator's state is its last snapshot, not its acks. Events acked after
// the last snapshot were applied only to the memory a crash lost, so they
// must be delivered again; conversely, if the snapshot is ahead of the ack
// floor (acks lost), the consumer must not start earlier than needed. The
// consumer is therefore reset to after+1 at every start with JetStream's
// consumer reset (nats-server 2.14 and later), which also clears its
// pending and redelivery state. Servers without that API get the same
// result by deleting the durable and creating it again with
// DeliverByStartSequence (DeliverPolicy and OptStartSeq cannot be changed
// on an existing consumer). Either way only one process may use a given
// durable at a time.
func OpenConsumer(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, after uint64) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	stream, err := js.Stream(ctx, cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("open consumer %s: stream %s: %w", cfg.Durable, cfg.Stream, err)
	}
	c := &Consumer{js: js, stream: stream, cfg: cfg, last: after}
	if c.cons, err = c.position(ctx, after); err != nil {
		return nil, fmt.Errorf("open consumer %s on %s: %w", cfg.Durable, cfg.Stream, err)
	}
	return c, nil
}

// consumerConfig is the durable's configuration; start is its first stream
// sequence when it has to be created at a given position (0: all).
func (c *Consumer) consumerConfig(start uint64) jetstream.ConsumerConfig {
	cc := jetstream.ConsumerConfig{
		Durable:       c.cfg.Durable,
		Description:   "exhaust aggregator: every event, in order, acked once applied",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxAckPending: c.cfg.MaxAckPending,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// Stream order matters (the aggregator's state is a function of
		// the sequence of events), so no replay throttling, no sampling,
		// no filter: every message of the stream, as fast as it can go.
		ReplayPolicy:      jetstream.ReplayInstantPolicy,
		InactiveThreshold: max(c.cfg.InactiveThreshold, 0),
	}
	if start > 1 {
		cc.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cc.OptStartSeq = start
	}
	return cc
}

// position makes the durable deliver from after+1; see OpenConsumer.
func (c *Consumer) position(ctx context.Context, after uint64) (jetstream.Consumer, error) {
	cons, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, c.consumerConfig(0))
	if err != nil {
		// An existing durable created by the fallback below has a start
		// sequence that cannot be updated away: recreate it.
		return c.recreate(ctx, after, err)
	}
	rctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if _, err := c.js.ResetConsumerToSequence(rctx, c.cfg.Stream, c.cfg.Durable, after+1); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return c.recreate(ctx, after, err)
	}
	return cons, nil
}

// recreate deletes the durable and creates it again starting at after+1:
// the fallback for servers without consumer reset. why is the error that
// led here, for the log.
func (c *Consumer) recreate(ctx context.Context, after uint64, why error) (jetstream.Consumer, error) {
	c.cfg.Log.Info("recreating the durable consumer to position it", "consumer", c.cfg.Durable, "start_seq", after+1, "because", why)
	if err := c.js.DeleteConsumer(ctx, c.cfg.Stream, c.cfg.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("delete durable to reposition it: %w", err)
	}
	cons, err := c.js.CreateConsumer(ctx, c.cfg.Stream, c.consumerConfig(after+1))
	if err != nil {
		return nil, fmt.Errorf("create durable at sequence %d: %w", after+1, err)
	}
	return cons, nil
}

// Pending returns how many messages of the stream the consumer has not yet
// delivered, plus those delivered and not yet acknowledged.
func (c *Consumer) Pending(ctx context.Context) (uint64, error) {
	info, err := c.cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("consumer %s info: %w", c.cfg.Durable, err)
	}
	return info.NumPending + uint64(max(info.NumAckPending, 0)), nil
}

// Last returns the stream sequence of the last message handed to the
// handler, or the position the consumer was opened after.
func (c *Consumer) Last() uint64 { return c.last }

// Run hands every message to h, in stream order, until ctx ends (it then
// returns ctx's error) or h or tick fails (it returns that error). tick,
// when not nil, is called at least every ConsumerConfig.Tick, between
// messages, also when no message arrives; it runs on Run's goroutine, so it
// may touch whatever h touches without locking.
func (c *Consumer) Run(ctx context.Context, h Handler, tick func(context.Context) error) error {
	it, err := c.cons.Messages(PullOptions(c.cfg.Batch)...)
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
	}
	defer StopIterator(it)
	for {
		if err := c.runPeriod(ctx, it, h); err != nil {
			return err
		}
		if tick != nil {
			if err := tick(ctx); err != nil {
				return err
			}
		}
	}
}

// PullOptions are the options of a consumer's message iterator asking
// for batch messages at a time: PullExpiry, not the library's default.
func PullOptions(batch int) []jetstream.PullMessagesOpt {
	return []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(batch), jetstream.PullExpiry(PullExpiry)}
}

// StopIterator stops it and waits (briefly) until its subscription is
// gone. Otherwise its pull request could outlive it on the server and
// swallow messages meant for the next Run on the same connection, until
// AckWait brings them back.
func StopIterator(it jetstream.MessagesContext) {
	it.Stop()
	// The library's iterator has Closed, outside the MessagesContext
	// interface. For an iterator, Closed only checks whether the
	// subscription is already gone (nothing signals it later), so poll it.
	c, ok := it.(interface{ Closed() <-chan struct{} })
	if !ok {
		return
	}
	for deadline := time.Now().Add(apiTimeout); time.Now().Before(deadline); {
		select {
		case <-c.Closed():
			return
		case <-time.After(time.Millisecond): // polling interval
		}
	}
}

// runPeriod hands messages to h for one tick period. It uses one deadline
// context for the period rather than NextMaxWait, which would allocate a
// timer for every message.
func (c *Consumer) runPeriod(ctx context.Context, it jetstream.MessagesContext, h Handler) error {
	end := time.Now().Add(c.cfg.Tick)
	tctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()
	for {
		jm, err := it.Next(jetstream.NextContext(tctx))
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			return nil
		case errors.Is(err, jetstream.ErrNoHeartbeat):
			MissedHeartbeat(c.cfg.Log.With("consumer", c.cfg.Durable))
			continue
		default:
			return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
		}
		if err := c.deliver(ctx, jm, h); err != nil {
			return err
		}
		if !time.Now().Before(end) {
			return nil
		}
	}
}

// MissedHeartbeat logs a jetstream.ErrNoHeartbeat from an iterator's Next
// and is all a consumer should do about it. The error is a report, not an
// end: the client's iterator stays usable and, having forgotten the pull
// it was waiting for, issues a new one at the next Next. It happens when
// the server has had no pull request from this client for two heartbeats,
// typically after the handler held the iterator up (a long snapshot or
// scrape) long enough for the pull to expire or its status messages to be
// dropped by the full client buffer; the messages left unacknowledged
// meanwhile are delivered again, and the consumers drop those already
// handled.
func MissedHeartbeat(log *slog.Logger) {
	log.Warn("no heartbeat from the server for a while, pulling again")
}

// deliver hands jm to h unless it was already handled, filling any gap
// before it first, then acknowledges it.
func (c *Consumer) deliver(ctx context.Context, jm jetstream.Msg, h Handler) error {
	md, err := jm.Metadata()
	if err != nil {
		// Not a JetStream message: nothing a handler could use.
		return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
	}
	seq := md.Sequence.Stream
	if seq <= c.last {
		// Delivered again after it was handled: its ack was lost or came
		// after AckWait. Ack again so the server forgets it.
		return ackQuietly(jm)
	}
	if seq > c.last+1 {
		if err := c.fillGap(ctx, seq, h); err != nil {
			return err
		}
	}
	m := &Message{
		Subject:   jm.Subject(),
		Seq:       seq,
		Published: md.Timestamp,
		Delivered: md.NumDelivered,
		Pending:   md.NumPending,
		Header:    jm.Headers(),
		Data:      jm.Data(),
	}
	if err := h(ctx, m); err != nil {
		return err
	}
	c.last = seq
	return ackQuietly(jm)
}

// ackQuietly acknowledges m without waiting for the server. A lost ack
// only means one more redelivery, which deliver drops, so only a closed
// connection (nothing more can be consumed) is an error.
func ackQuietly(m jetstream.Msg) error {
	if err := m.Ack(); errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("ack: %w", err)
	}
	return nil
}

// fillGap hands h the messages between the last handled one and seq, read
// straight from the stream. The consumer delivers them again later; deliver
// then drops them as already handled.
func (c *Consumer) fillGap(ctx context.Context, seq uint64, h Handler) error {
	if err := ReadRange(ctx, c.stream, c.last+1, seq, c.cfg.Log.With("consumer", c.cfg.Durable), func(m *Message) error {
		if err := h(ctx, m); err != nil {
			return err
		}
		c.last = m.Seq
		return nil
	}); err != nil {
		return err
	}
	c.last = seq - 1
	return nil
}

// ReadRange reads the messages of sequences from to to-1 straight from
// stream and passes each to fn, in order: how a consumer fills a gap in its
// deliveries. Messages below the stream's first sequence (removed by its
// limits) or deleted are skipped: those are real gaps.
func ReadRange(ctx context.Context, stream jetstream.Stream, from, to uint64, log *slog.Logger, fn func(*Message) error) error {
	ictx, cancel := context.WithTimeout(ctx, apiTimeout)
	info, err := stream.Info(ictx)
	cancel()
	if err != nil {
		return fmt.Errorf("fill gap %d-%d: %w", from, to-1, err)
	}
	from = max(from, info.State.FirstSeq)
	if from < to {
		log.Warn("gap in deliveries, reading the missing messages from the stream", "from", from, "to", to-1)
	}
	for s := from; s < to; s++ {
		gctx, cancel := context.WithTimeout(ctx, apiTimeout)
		raw, err := stream.GetMsg(gctx, s)
		cancel()
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // deleted from the stream: a real gap
		}
		if err != nil {
			return fmt.Errorf("fill gap at %d: %w", s, err)
		}
		if err := fn(&Message{Subject: raw.Subject, Seq: s, Published: raw.Time, Header: raw.Header, Data: raw.Data}); err != nil {
			return err
		}
	}
	return nil
}

// EnsureStreamExists returns the stream cfg names, creating it with cfg if
// it does not exist. Unlike EnsureStream it never updates an existing
// stream: a consumer must not overwrite the limits its producers chose, and
// in a locked-down deployment it may only look streams up (exhaust setup
// creates them).
func EnsureStreamExists(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return ensureExists(ctx, js, cfg.jetstream())
}

// EnsureTruthStreamExists returns the ground-truth stream, creating it if
// it does not exist (see EnsureStreamExists).
func EnsureTruthStreamExists(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	return ensureExists(ctx, js, TruthStreamConfig())
}

func ensureExists(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("look up stream %s: %w", cfg.Name, err)
	}
	s, err = js.CreateStream(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		// Created by someone else in the meantime.
		return js.Stream(ctx, cfg.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

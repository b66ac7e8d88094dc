package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/sim"
)

// Rejection reasons of the service's own checks, on top of event.Reasons.
const (
	// ReasonAbsurdTime rejects a valid event whose time cannot be right:
	// before MinEventTime, or more than MaxAhead after the latest event
	// time accepted so far. Such a time would plant facts decades away and
	// hold the time-binned evidence windows open forever.
	ReasonAbsurdTime = "absurd_time"
	// ReasonUndecodable rejects a valid event the Engine could not decode
	// (a schema looser than the decoder: a bug worth seeing, not a crash).
	ReasonUndecodable = "undecodable"
)

// Reasons lists every reason the service rejects a message for, so the
// metrics adapter can create one counter per reason up front.
var Reasons = append(slices.Clone(event.Reasons), ReasonAbsurdTime, ReasonUndecodable)

// MinEventTime is the earliest plausible event time. Nothing in exhaust
// happens before 2000; a time before it is a zero value or a unit error
// (seconds read as milliseconds).
var MinEventTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxAhead is how far beyond the latest accepted event time an event may
// be. The reference is the stream itself, not the wall clock: simulated
// time runs ahead of real time (a day in 6 minutes), so "the future" only
// makes sense relative to the events already seen. A year leaves room for
// any simulation length while catching clock jumps of years.
const MaxAhead = 365 * 24 * time.Hour

// Defaults of Config.
const (
	// DefaultSnapshotEvery bounds the replay after a crash to this many
	// messages (a second or two of work) while keeping the snapshot cost
	// (proportional to the state) rare compared to applying events.
	DefaultSnapshotEvery = 20000
	// DefaultSnapshotInterval bounds the replay in time when events trickle
	// in at demo speed.
	DefaultSnapshotInterval = 30 * time.Second
	// DefaultSnapshotSpacing keeps snapshots a bounded share of the work:
	// after a snapshot that took d (serialising the state, during which the
	// applier waits, then storing it in the background), neither the count
	// nor the interval triggers another until DefaultSnapshotSpacing×d has
	// passed, so snapshots take at most 1/(DefaultSnapshotSpacing+1) of the
	// applier's time whatever the size of the state. A snapshot's cost
	// grows with the city while SnapshotEvery is fixed in messages: at
	// 10,000 people (a state of ~100 MB, a second or more to serialise) a
	// snapshot every 20,000 messages would take most of the time. A
	// hundred keeps the pauses under 1 % of the time, so that they stay
	// out of the 99th percentile of the events' lag. The price is a longer
	// replay after a crash: up to DefaultSnapshotSpacing×d of events.
	DefaultSnapshotSpacing = 100
	// rejectRetryMax caps the pause between attempts to store a reject.
	rejectRetryMax = 2 * time.Second
	// reopenBackoffMin and reopenBackoffMax bound the pause before opening
	// the consumer again after consuming failed (NATS went away): 100 ms,
	// doubling up to 5 s while it keeps failing.
	reopenBackoffMin = 100 * time.Millisecond
	reopenBackoffMax = 5 * time.Second
)

// Config sets up a Service.
type Config struct {
	// JS is the JetStream context to consume and store through. Required.
	JS jetstream.JetStream
	// Engine receives the events. It must be new (nothing applied): Run
	// restores the snapshot into it. Required.
	Engine *aggregator.Engine
	// Validator checks every message. Required.
	Validator *event.Validator

	// Consumer is the durable consumer's name (natsbus.DefaultConsumer).
	Consumer string
	// SnapshotObject names the snapshot in the snapshot bucket
	// (natsbus.DefaultSnapshotObject). Two aggregators with different
	// consumers need different snapshot objects.
	SnapshotObject string
	// SnapshotPeers, if set, accepts the names of other snapshot objects
	// that hold the same state as this one's, as the slots of a worker
	// group do: at start, the freshest of them and this one's is restored,
	// so a new worker catches up from the group's newest snapshot rather
	// than from the start of the stream. Snapshots are still saved to
	// SnapshotObject.
	SnapshotPeers func(name string) bool
	// SnapshotDuty, if set, reports whether periodic snapshots are this
	// aggregator's to take: the workers of a group hold the same state at
	// the same sequence, so one of them saving it saves it for all (each
	// restores the group's freshest, SnapshotPeers), and the others are
	// spared the pause of serialising it and the store of a copy. Off
	// duty, it saves only a final snapshot on a clean stop. Nil: always on
	// duty.
	SnapshotDuty func() bool
	// SnapshotEvery is how many messages may be handled between two
	// snapshots (DefaultSnapshotEvery; negative: never by count), once
	// SnapshotSpacing times the last snapshot's duration has passed.
	SnapshotEvery int
	// SnapshotInterval is the longest time between two snapshots while
	// something changed (DefaultSnapshotInterval; negative: never by time),
	// also held back by SnapshotSpacing.
	SnapshotInterval time.Duration
	// SnapshotSpacing holds a snapshot back for this many times the last
	// one's duration after it (DefaultSnapshotSpacing if zero; it must
	// not be negative).
	SnapshotSpacing float64
	// AckWait and MaxAckPending tune the consumer (natsbus defaults).
	AckWait       time.Duration
	MaxAckPending int
	// InactiveThreshold, if positive, has the server delete the durable
	// consumer once nobody has pulled from it for that long (see
	// natsbus.ConsumerConfig.InactiveThreshold).
	InactiveThreshold time.Duration
	// Workers is how many goroutines validate messages ahead of the one
	// applying them, in stream order (parallel.go). 0 means
	// DefaultWorkers(); negative means none: each message is validated on
	// the consuming goroutine, then applied.
	Workers int
	// HoldTimeout is how long a message that arrived before an earlier
	// one of its publisher waits for it before it is applied without it
	// (resequence.go; DefaultHoldTimeout if zero; it must not be
	// negative).
	HoldTimeout time.Duration

	// Log receives the service's logs (slog.Default() if nil).
	Log *slog.Logger
	// Observer receives measurements (NopObserver if nil).
	Observer Observer
	// Now is the clock for durations and snapshot intervals (time.Now if
	// nil). It never touches the Engine's state.
	Now func() time.Time
}

// Stats are the service's counters since it started.
type Stats struct {
	// Handled counts messages handled (applied, duplicate or rejected).
	Handled uint64
	// Applied, Duplicates and Stale count what the Engine did with valid
	// events (see aggregator.Result).
	Applied, Duplicates, Stale uint64
	// Rejected counts messages sent to the dead-letter stream.
	Rejected uint64
	// LastSeq is the last stream sequence handled.
	LastSeq uint64
	// Restored is the sequence of the snapshot loaded at start (0: none).
	Restored uint64
	// Snapshots counts snapshots saved; SnapshotSeq is the sequence the
	// last one covers; SnapshotErrors counts failed attempts.
	Snapshots, SnapshotSeq, SnapshotErrors uint64
	// Pending is how many messages the consumer had not received yet at
	// the last message.
	Pending uint64
	// Held is how many messages wait for an earlier message of their
	// publisher; Resequenced counts the messages applied after waiting,
	// Gaps the gaps given up on (see resequence.go).
	Held              int
	Resequenced, Gaps uint64
}

// Service runs an Engine on the EXHAUST stream. Create it with New and call
// Run once.
type Service struct {
	cfg Config
	log *slog.Logger
	obs Observer
	now func() time.Time

	// engineMu serialises the Engine's writers: the consuming goroutine
	// (Apply, Snapshot) and the truth follower (SetTruth).
	engineMu sync.Mutex

	started atomic.Bool
	phase   atomic.Pointer[string] // why not ready; nil when ready

	// Owned by the consuming goroutine.
	store     *natsbus.SnapshotStore
	created   time.Time // the stream's creation time
	latest    time.Time // latest accepted event time
	last      uint64
	sinceSnap int
	snapAt    time.Time // when the last snapshot started
	snapNext  time.Time // no snapshot by count or interval before (Config.SnapshotSpacing)
	snapSize  int       // bytes of the last snapshot, to size the next buffer
	// storing receives the result of the snapshot being stored in the
	// background; nil when none is.
	storing chan storeResult
	// reconnects is the connection's reconnect count when consuming began.
	reconnects uint64
	// reseq puts each publisher's messages in publication order;
	// reported is what of its counts the observer has had.
	reseq    *resequencer
	reported struct{ moved, gaps uint64 }

	handled, applied, duplicates, stale, rejected atomic.Uint64
	lastSeq, restored, pending                    atomic.Uint64
	snapshots, snapshotSeq, snapshotErrs          atomic.Uint64
	held                                          atomic.Int64
	resequenced, gaps                             atomic.Uint64
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.JS == nil:
		return nil, errors.New("service: no JetStream context")
	case cfg.Engine == nil:
		return nil, errors.New("service: no engine")
	case cfg.Validator == nil:
		return nil, errors.New("service: no validator")
	}
	if cfg.Consumer == "" {
		cfg.Consumer = natsbus.DefaultConsumer
	}
	if cfg.SnapshotObject == "" {
		cfg.SnapshotObject = natsbus.DefaultSnapshotObject
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = DefaultSnapshotEvery
	}
	if cfg.SnapshotInterval == 0 {
		cfg.SnapshotInterval = DefaultSnapshotInterval
	}
	if cfg.SnapshotSpacing < 0 {
		return nil, fmt.Errorf("service: snapshot spacing %v is negative", cfg.SnapshotSpacing)
	}
	if cfg.SnapshotSpacing == 0 {
		cfg.SnapshotSpacing = DefaultSnapshotSpacing
	}
	if cfg.HoldTimeout < 0 {
		return nil, fmt.Errorf("service: hold timeout %v is negative", cfg.HoldTimeout)
	}
	if cfg.HoldTimeout == 0 {
		cfg.HoldTimeout = DefaultHoldTimeout
	}
	if err := (natsbus.ConsumerConfig{Durable: cfg.Consumer, AckWait: cfg.AckWait, MaxAckPending: cfg.MaxAckPending}).Validate(); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Observer == nil {
		cfg.Observer = NopObserver{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers()
	}
	s := &Service{cfg: cfg, log: cfg.Log.With("component", "aggregator", "consumer", cfg.Consumer), obs: cfg.Observer, now: cfg.Now,
		reseq: newResequencer(cfg.HoldTimeout)}
	s.setPhase("starting")
	return s, nil
}

func (s *Service) setPhase(p string) { s.phase.Store(&p) }

// Ready returns nil while the service is consuming (snapshot restored,
// consumer positioned), and otherwise an error saying what it is doing.
func (s *Service) Ready() error {
	if p := s.phase.Load(); p != nil {
		return errors.New("aggregator " + *p)
	}
	return nil
}

// Stats returns the service's counters. It is safe to call at any time.
func (s *Service) Stats() Stats {
	return Stats{
		Handled: s.handled.Load(), Applied: s.applied.Load(), Duplicates: s.duplicates.Load(),
		Stale: s.stale.Load(), Rejected: s.rejected.Load(), LastSeq: s.lastSeq.Load(),
		Restored: s.restored.Load(), Snapshots: s.snapshots.Load(), SnapshotSeq: s.snapshotSeq.Load(),
		SnapshotErrors: s.snapshotErrs.Load(), Pending: s.pending.Load(),
		Held: int(s.held.Load()), Resequenced: s.resequenced.Load(), Gaps: s.gaps.Load(),
	}
}

// Run restores the last snapshot, then consumes until ctx ends. On a clean
// stop (ctx ended) it saves a final snapshot and returns nil (also when ctx
// ends during setup: nothing is lost then). It returns an
// error at once if the streams, the snapshot or the consumer cannot be set
// up, and later if a message cannot be handled (not acked: it is handled
// again at the next start).
func (s *Service) Run(ctx context.Context) (err error) {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("service: Run called twice")
	}
	defer func() {
		if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			err = nil // stopped while setting up: nothing to save
		}
		if err != nil {
			s.setPhase("stopped: " + err.Error())
		} else {
			s.setPhase("stopped")
		}
	}()
	js := s.cfg.JS

	s.setPhase("setting up streams")
	stream, err := natsbus.EnsureStreamExists(ctx, js, natsbus.DefaultStreamConfig())
	if err != nil {
		return err
	}
	s.created = stream.CachedInfo().Created
	if _, err := natsbus.EnsureDLQStream(ctx, js); err != nil {
		return err
	}
	if _, err := natsbus.EnsureTruthStreamExists(ctx, js); err != nil {
		return err
	}
	if s.store, err = natsbus.OpenSnapshotStore(ctx, js, s.cfg.SnapshotObject); err != nil {
		return err
	}

	s.setPhase("restoring the snapshot")
	if err := s.restore(ctx); err != nil {
		return err
	}

	// The truth only scores; it is followed for the whole run.
	tctx, stopTruth := context.WithCancel(ctx)
	truthDone := make(chan struct{})
	go func() {
		defer close(truthDone)
		if err := natsbus.FollowTruth(tctx, js, s.onTruth); err != nil && tctx.Err() == nil {
			s.log.Error("stopped following the ground truth; accuracy will not update", "err", err)
		}
	}()
	defer func() {
		stopTruth()
		<-truthDone
	}()

	s.setPhase("positioning the consumer")
	tick := natsbus.DefaultTick
	if i := s.cfg.SnapshotInterval; i > 0 && i < tick {
		tick = i // an idle stream still gets its snapshot on time
	}
	ccfg := natsbus.ConsumerConfig{
		Durable: s.cfg.Consumer, AckWait: s.cfg.AckWait, MaxAckPending: s.cfg.MaxAckPending, Tick: tick, Log: s.log,
		InactiveThreshold: s.cfg.InactiveThreshold,
	}
	cons, err := natsbus.OpenConsumer(ctx, js, ccfg, s.last)
	if err != nil {
		return err
	}
	if n, err := cons.Pending(ctx); err == nil {
		s.pending.Store(n)
		s.obs.Pending(n)
	}
	s.snapAt = s.now()
	s.reconnects = js.Conn().Stats().Reconnects
	s.phase.Store(nil)
	s.log.Info("aggregator consuming", "after_seq", s.last)

	runErr := s.consume(ctx, cons, tick)
	// Consuming stops with an error when NATS goes away for longer than
	// the client rides out (a server restart): open the consumer again,
	// right after the last message handled, as a restart would, with
	// backoff, until it works or ctx ends.
	for attempt, at := 0, s.last; runErr != nil && ctx.Err() == nil; attempt++ {
		if s.last != at {
			attempt, at = 0, s.last // it got somewhere: start the backoff again
		}
		s.setPhase("reopening the consumer: " + runErr.Error())
		if errors.Is(runErr, errReconnected) {
			s.log.Info("reconnected to NATS, reopening the consumer after the last message handled", "after_seq", s.last)
			attempt = -1
		} else {
			wait := min(reopenBackoffMin<<min(attempt, 8), reopenBackoffMax)
			s.log.Warn("consuming stopped, reopening the consumer after the last message handled",
				"after_seq", s.last, "attempt", attempt+1, "retry_in", wait, "err", runErr)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				continue
			}
		}
		if cons, runErr = natsbus.OpenConsumer(ctx, js, ccfg, s.last); runErr != nil {
			continue
		}
		s.phase.Store(nil)
		s.log.Info("aggregator consuming again", "after_seq", s.last)
		runErr = s.consume(ctx, cons, tick)
	}
	s.setPhase("stopping")
	// Save what was done, on a clean stop and after a failed message alike
	// (the state is consistent up to the last message handled), once the
	// snapshot being stored, if any, is.
	if s.storing != nil {
		if err := s.stored(<-s.storing); err != nil {
			s.log.Warn("snapshot failed, saving another", "err", err)
		}
	}
	if s.reseq.holding() > 0 {
		// A snapshot would cover held messages it does not hold: the last
		// one stands, and the next start replays from it.
		s.log.Warn("no final snapshot: messages wait for an earlier one of their publisher; the next start replays from the last snapshot",
			"held", s.reseq.holding(), "snapshot_seq", s.snapshotSeq.Load())
	} else if s.sinceSnap > 0 {
		// The run's context has ended: the final snapshot gets the time
		// any save of the last snapshot's size gets (a big city's state
		// takes a while to store).
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), natsbus.SaveTimeout(s.snapSize))
		serr := s.snapshot(sctx)
		cancel()
		if serr != nil && ctx.Err() != nil {
			return serr
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return runErr
}

// consume hands the consumer's messages to the Engine until ctx ends or
// consuming fails.
func (s *Service) consume(ctx context.Context, cons *natsbus.Consumer, tick time.Duration) error {
	if s.cfg.Workers > 0 {
		return s.runParallel(ctx, tick)
	}
	return cons.Run(ctx, s.handle, s.tick)
}

// restore loads the snapshot, if any, into the Engine and sets the
// position after it.
func (s *Service) restore(ctx context.Context) error {
	store, seq, data, found, err := s.loadFreshest(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A snapshot that cannot be read (digest mismatch after a failed
		// save): replaying the whole stream rebuilds the same state.
		s.log.Warn("cannot read the snapshot, replaying the stream from the start", "err", err)
		return nil
	}
	if !found {
		s.log.Info("no snapshot, consuming the stream from the start")
		return nil
	}
	h, state, err := decodeSnapshot(data)
	switch {
	case err != nil:
		s.log.Warn("snapshot in an unknown format, replaying the stream from the start", "err", err)
		return nil
	case !h.StreamCreated.Equal(s.created):
		// The snapshot's sequences belong to another incarnation of the
		// stream (deleted and created again, sequences restarting at 1):
		// its state says nothing about this one.
		s.log.Warn("snapshot taken on an earlier incarnation of the stream, replaying the stream from the start",
			"snapshot_stream_created", h.StreamCreated, "stream_created", s.created)
		return nil
	case h.Seq != seq:
		return fmt.Errorf("snapshot %s/%s: header covers sequence %d, metadata says %d", natsbus.SnapshotBucket, store.Name(), h.Seq, seq)
	}
	s.engineMu.Lock()
	err = s.cfg.Engine.Restore(state)
	s.engineMu.Unlock()
	if err != nil {
		return fmt.Errorf("restore snapshot %s/%s: %w (delete it to rebuild from the stream: nats object rm %s %s)",
			natsbus.SnapshotBucket, store.Name(), err, natsbus.SnapshotBucket, store.Name())
	}
	s.last, s.latest = h.Seq, h.Latest
	s.reseq.restore(h.Publishers)
	s.lastSeq.Store(h.Seq)
	s.restored.Store(h.Seq)
	s.snapshotSeq.Store(h.Seq)
	if store != s.store {
		s.sinceSnap = 1 // this state is not in our own object yet: save it at the next chance, or at stop
	}
	s.log.Info("snapshot restored", "snapshot", store.Name(), "seq", h.Seq, "events", h.Events, "bytes", len(data))
	return nil
}

// peerLoadAttempts is how many times restore looks for the freshest
// snapshot of the group when a peer's cannot be read.
const peerLoadAttempts = 3

// loadFreshest loads the snapshot to start from: the own one, or with
// SnapshotPeers the freshest of the group. A peer's may be unreadable for a
// moment: its worker saves it again every few minutes, and a save purges
// the chunks of the previous one under a reader, or the worker's slot was
// cleaned up. So the group is looked at again, and in the end the own
// snapshot is read, before anything falls back to replaying the stream.
func (s *Service) loadFreshest(ctx context.Context) (store *natsbus.SnapshotStore, seq uint64, data []byte, found bool, err error) {
	if s.cfg.SnapshotPeers != nil {
		for range peerLoadAttempts {
			store = s.store.Freshest(ctx, s.cfg.SnapshotPeers)
			if store.Name() == s.store.Name() {
				break
			}
			seq, data, found, err = store.Load(ctx)
			if found && err == nil {
				s.log.Info("starting from a peer's snapshot, the freshest", "snapshot", store.Name())
				return store, seq, data, true, nil
			}
			if ctx.Err() != nil {
				return store, 0, nil, false, ctx.Err()
			}
			s.log.Info("cannot read a peer's snapshot, looking at the group's again", "snapshot", store.Name(), "found", found, "err", err)
		}
	}
	seq, data, found, err = s.store.Load(ctx)
	return s.store, seq, data, found, err
}

// handle handles one message: reject it or apply it. It runs on the
// consuming goroutine.
func (s *Service) handle(ctx context.Context, m *natsbus.Message) error {
	start := s.now()
	ev, err := s.cfg.Validator.Validate(m.Data)
	return s.handleValidated(ctx, m, ev, err, s.now().Sub(start))
}

// handleValidated handles m, which validated to ev or err in took: reject
// it or apply it, once its publisher's earlier messages are (see
// resequence.go). It runs on the consuming goroutine.
func (s *Service) handleValidated(ctx context.Context, m *natsbus.Message, ev *event.Event, err error, took time.Duration) error {
	if pub, n, settled, ok := natsbus.Publication(m.Header); ok {
		early, apply, freed := s.reseq.admit(pub, n, settled, m, ev, err, took, s.now)
		if err := s.processHeld(ctx, early); err != nil {
			return err
		}
		if apply {
			if err := s.process(ctx, m, m.Seq, ev, err, took); err != nil {
				return err
			}
		}
		if err := s.processHeld(ctx, freed); err != nil {
			return err
		}
		if early != nil || !apply || freed != nil {
			s.reportHeld()
		}
	} else if err := s.process(ctx, m, m.Seq, ev, err, took); err != nil {
		return err
	}
	s.last = m.Seq
	s.lastSeq.Store(m.Seq)
	s.handled.Add(1)
	s.pending.Store(m.Pending)
	s.obs.Pending(m.Pending)
	s.sinceSnap++
	s.collectStored()
	if s.cfg.SnapshotEvery > 0 && s.sinceSnap >= s.cfg.SnapshotEvery && s.mayTakeSnapshot() {
		s.snapshotAsync(ctx)
	}
	return nil
}

// processHeld processes messages the resequencer held, in order. They came
// before the latest message in the stream, so they are applied without a
// stream sequence (see process).
func (s *Service) processHeld(ctx context.Context, hs []held) error {
	for i := range hs {
		if err := s.process(ctx, &hs[i].m, 0, hs[i].ev, hs[i].err, hs[i].took); err != nil {
			return err
		}
	}
	return nil
}

// process rejects or applies m, which validated to ev or err in took, as
// the Engine's stream sequence seq: m.Seq, or 0 for a message applied after
// later ones of the stream (resequence.go).
func (s *Service) process(ctx context.Context, m *natsbus.Message, seq uint64, ev *event.Event, err error, took time.Duration) error {
	start := s.now()
	if err == nil {
		err = s.checkTime(ev)
	}
	if err == nil {
		var res aggregator.Result
		s.engineMu.Lock()
		res, err = s.cfg.Engine.Apply(seq, ev)
		s.engineMu.Unlock()
		if err != nil {
			err = &event.ValidationError{Reason: ReasonUndecodable, Type: ev.Type, Detail: err.Error()}
		} else {
			s.accept(ev, res)
			s.obs.Consumed(ev.Type)
			s.obs.Lag(s.now().Sub(m.Published))
		}
	}
	if err != nil {
		if err := s.reject(ctx, m, err); err != nil {
			return err
		}
	}
	s.obs.Processed(took + s.now().Sub(start))
	return nil
}

// mayTakeSnapshot reports whether a periodic snapshot that is due (by
// count or by interval) may be taken now: SnapshotSpacing allows it, no
// message is held for its publisher's order (resequence.go), and it is
// this aggregator's to take (onDuty).
func (s *Service) mayTakeSnapshot() bool {
	return !s.now().Before(s.snapNext) && s.reseq.holding() == 0 && s.onDuty()
}

// dutyRecheck is how long an aggregator off snapshot duty waits before it
// asks again: a snapshot is due at every message once the count is
// reached, and the duty changes only as workers come and go.
const dutyRecheck = time.Second

// onDuty reports whether a periodic snapshot due now is this aggregator's
// to take (Config.SnapshotDuty); if not, the next one is looked at
// dutyRecheck later.
func (s *Service) onDuty() bool {
	if s.cfg.SnapshotDuty == nil || s.cfg.SnapshotDuty() {
		return true
	}
	s.snapNext = s.now().Add(dutyRecheck)
	return false
}

// checkTime rejects absurd event times (see ReasonAbsurdTime).
func (s *Service) checkTime(ev *event.Event) error {
	switch {
	case ev.Time.Before(MinEventTime):
		return &event.ValidationError{Reason: ReasonAbsurdTime, Type: ev.Type,
			Detail: fmt.Sprintf("time %s is before %s", ev.Time.Format(time.RFC3339), MinEventTime.Format("2006-01-02"))}
	case !s.latest.IsZero() && ev.Time.After(s.latest.Add(MaxAhead)):
		return &event.ValidationError{Reason: ReasonAbsurdTime, Type: ev.Type,
			Detail: fmt.Sprintf("time %s is more than a year after the latest event (%s)", ev.Time.Format(time.RFC3339), s.latest.Format(time.RFC3339))}
	}
	return nil
}

// accept records what the Engine did with a valid event.
func (s *Service) accept(ev *event.Event, res aggregator.Result) {
	switch res {
	case aggregator.Applied:
		s.applied.Add(1)
	case aggregator.Duplicate:
		s.duplicates.Add(1)
	case aggregator.Stale:
		s.stale.Add(1)
		return
	}
	if ev.Time.After(s.latest) {
		s.latest = ev.Time
	}
}

// reject stores m in the dead-letter stream, retrying until it is stored or
// ctx ends: the message is acked only once its reject is safe.
func (s *Service) reject(ctx context.Context, m *natsbus.Message, cause error) error {
	reason, detail := event.ReasonOf(cause), cause.Error()
	var ve *event.ValidationError
	if errors.As(cause, &ve) {
		detail = ve.Detail
	}
	if reason == "" {
		reason = event.ReasonInvalidEnvelope
	}
	r := natsbus.Reject{
		Reason: reason, Detail: detail, Subject: m.Subject, Seq: m.Seq, Data: m.Data,
		MsgID: m.Header.Get(jetstream.MsgIDHeader),
	}
	wait := 50 * time.Millisecond
	for {
		err := natsbus.PublishReject(ctx, s.cfg.JS, r)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("cannot store a rejected message yet, retrying", "seq", m.Seq, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, rejectRetryMax)
	}
	s.rejected.Add(1)
	s.obs.Rejected(reason)
	s.log.Debug("rejected", "seq", m.Seq, "subject", m.Subject, "reason", reason, "detail", detail)
	return nil
}

// errReconnected ends consuming after the connection reconnected, so that
// the consumer is opened again right after the last message handled.
// Deliveries lost with the old connection would otherwise come back only
// after AckWait when no later message reveals the gap (the end of the
// stream), and a restarted server may have lost the consumer's acks.
var errReconnected = errors.New("reconnected to NATS")

// tick notices a reconnect (errReconnected) and takes a snapshot when the interval has passed and something
// changed. It runs on the consuming goroutine.
func (s *Service) tick(ctx context.Context) error {
	if n := s.cfg.JS.Conn().Stats().Reconnects; n != s.reconnects {
		s.reconnects = n
		return errReconnected
	}
	if s.reseq.holding() > 0 {
		if ready := s.reseq.expire(s.now()); len(ready) > 0 {
			s.log.Warn("messages waited too long for an earlier one of their publisher: applying them without it",
				"messages", len(ready), "gaps", s.reseq.gaps, "waited", s.cfg.HoldTimeout)
			if err := s.processHeld(ctx, ready); err != nil {
				return err
			}
			s.reportHeld()
		}
	}
	s.collectStored()
	if s.sinceSnap > 0 && s.cfg.SnapshotInterval > 0 && s.now().Sub(s.snapAt) >= s.cfg.SnapshotInterval && s.mayTakeSnapshot() {
		s.snapshotAsync(ctx)
	}
	return nil
}

// reportHeld passes the resequencer's counts to the statistics and the
// observer.
func (s *Service) reportHeld() {
	r := s.reseq
	s.held.Store(int64(r.holding()))
	s.obs.Held(r.holding())
	if r.moved != s.reported.moved || r.gaps != s.reported.gaps {
		s.obs.Resequenced(r.moved-s.reported.moved, r.gaps-s.reported.gaps)
		s.resequenced.Store(r.moved)
		s.gaps.Store(r.gaps)
		s.reported.moved, s.reported.gaps = r.moved, r.gaps
	}
}

// storeResult is what storing one snapshot in the background gave.
type storeResult struct {
	seq    uint64
	size   int
	start  time.Time     // when its encoding began
	encode time.Duration // serialising it, under the locks
	store  time.Duration // storing it, with none held
	err    error
}

// snapshot saves the Engine's state with the position it covers, and
// waits until it is stored. It is the final snapshot's way, after any
// snapshot being stored in the background.
func (s *Service) snapshot(ctx context.Context) error {
	if s.storing != nil {
		s.stored(<-s.storing)
	}
	r := s.encode()
	if r.err == nil {
		r.err = s.store.Save(ctx, r.seq, r.data)
		r.store = s.now().Sub(r.start) - r.encode
	}
	s.finished(r.storeResult)
	return s.stored(r.storeResult)
}

// snapshotAsync serialises the state, then stores it on a goroutine of its
// own: the applier only pauses for the serialising, not for the
// round trips of an object store upload (about as long again at city
// scale, all of it on the latency of the events waiting meanwhile). One
// snapshot is stored at a time; s.storing brings back its result.
func (s *Service) snapshotAsync(ctx context.Context) {
	if s.storing != nil {
		return
	}
	r := s.encode()
	done := make(chan storeResult, 1)
	s.storing = done
	if r.err != nil {
		s.finished(r.storeResult)
		done <- r.storeResult
		return
	}
	go func() {
		// Not cut short by the run's end: a clean stop waits for it, for
		// as long as any save of its size gets.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), natsbus.SaveTimeout(len(r.data)))
		defer cancel()
		r.err = s.store.Save(sctx, r.seq, r.data)
		r.store = s.now().Sub(r.start) - r.encode
		r.data = nil
		s.finished(r.storeResult)
		done <- r.storeResult
	}()
}

// collectStored takes the background snapshot's result once it is stored,
// without waiting. A failure is logged; the next trigger tries again (the
// stream still holds everything since the last good one).
func (s *Service) collectStored() {
	if s.storing == nil {
		return
	}
	select {
	case r := <-s.storing:
		if err := s.stored(r); err != nil {
			s.log.Warn("snapshot failed, will retry", "err", err)
		}
	default:
	}
}

// encoded is a snapshot serialised, not yet stored.
type encoded struct {
	storeResult
	data []byte
}

// encode serialises the Engine's state with the position it covers, under
// the locks. The buffer is not kept between snapshots: at city scale it is
// as big as the state, and a buffer kept for good would double the live
// heap the garbage collector paces itself on, so the process's memory
// with it.
func (s *Service) encode() encoded {
	start := s.now()
	s.sinceSnap, s.snapAt = 0, start
	// Sized like the last one (plus room to grow) so that the buffer does
	// not double its way up, holding up to twice the state meanwhile.
	var buf bytes.Buffer
	buf.Grow(s.snapSize + s.snapSize/8)
	s.engineMu.Lock()
	h := SnapshotHeader{Seq: s.last, StreamCreated: s.created, Latest: s.latest, Events: s.cfg.Engine.Stats().Events,
		Publishers: s.reseq.positions()}
	err := encodeSnapshot(&buf, h, s.cfg.Engine)
	s.engineMu.Unlock()
	return encoded{storeResult{seq: h.Seq, size: buf.Len(), start: start, encode: s.now().Sub(start), err: err}, buf.Bytes()}
}

// finished counts a snapshot's outcome in the service's statistics and
// metrics as soon as it is known (on the goroutine that stored it).
func (s *Service) finished(r storeResult) {
	s.obs.Snapshot(r.encode, r.store, r.size, r.err)
	if r.err != nil {
		s.snapshotErrs.Add(1)
		return
	}
	s.snapshots.Add(1)
	s.snapshotSeq.Store(r.seq)
}

// stored takes a snapshot's outcome into the consuming goroutine's state,
// and holds the next snapshot back for SnapshotSpacing times what this one
// took, serialising and storing.
func (s *Service) stored(r storeResult) error {
	s.storing = nil
	end := s.now()
	s.snapNext = end.Add(time.Duration(s.cfg.SnapshotSpacing * float64(end.Sub(r.start))))
	if r.err != nil {
		s.sinceSnap = max(s.sinceSnap, 1) // still unsaved
		return r.err
	}
	s.snapSize = r.size
	s.log.Debug("snapshot saved", "seq", r.seq, "bytes", r.size, "encode", r.encode, "store", r.store,
		"next_after", s.snapNext.Sub(end))
	return nil
}

// onTruth applies one ground-truth message. It runs on the truth follower's
// goroutine.
func (s *Service) onTruth(subject string, data []byte) {
	var t sim.Truth
	if err := json.Unmarshal(data, &t); err != nil || t.Person == "" {
		s.log.Warn("ignoring a ground-truth message that is not a sim.Truth", "subject", subject, "err", err)
		return
	}
	s.engineMu.Lock()
	s.cfg.Engine.SetTruth(aggregator.Truth{Person: t.Person, Name: t.Name, IDs: t.IDs})
	s.engineMu.Unlock()
}

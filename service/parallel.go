package service

import (
	"context"
	"errors"
	"exhaust/aggregator/obs"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/event"
	"exhaust/natsbus"
)

// Parallel validation.
//
// Validating an event is pure and costs a sizeable part of handling it, so
// Run validates ahead of the Engine on Config.Workers goroutines while the
// consuming goroutine applies and acknowledges strictly in stream order.
// Three parts:
//
//   - the reader pulls from the durable consumer, exactly like
//     natsbus.Consumer (redeliveries of handled messages dropped, gaps in
//     the sequences filled from the stream), and queues the messages in
//     stream order, in batches;
//   - the workers validate queued messages in any order;
//   - the applier takes the batches in order and, message by message,
//     waits for its validation (or validates it itself if no worker has
//     started on it), handles it as handle does (time check, apply or
//     reject, snapshot), and only then acknowledges it.
//
// So the Engine sees the same events in the same order as with sequential
// validation, every ack still follows the effects it acknowledges, and a
// kill -9 loses only messages that were not acknowledged, or acknowledged
// after the last snapshot: the restart replays them as before. A message
// the server delivers again while the first delivery is still queued is
// queued too, as an ack only, so that it is not acknowledged before the
// first delivery is applied.
//
// Batches keep the hand-offs between goroutines (each a possible wake-up
// of a sleeping thread) far fewer than the messages while the consumer is
// catching up. A batch is passed on when full, or as soon as the server
// says no more messages are pending, so a live trickle waits for nothing.
// And since the applier validates a message itself when no worker has
// claimed it yet, starved workers (a busy machine) never hold it up.

// DefaultWorkers is the number of validating goroutines when
// Config.Workers is 0: one per processor the Go runtime uses.
func DefaultWorkers() int { return runtime.GOMAXPROCS(0) }

const (
	// maxBatch is the most messages the reader passes on at once.
	maxBatch = 32
	// parallelWindow is how many batches may wait between the reader and
	// the applier: enough to keep the workers busy through a fetch, few
	// enough that a stop leaves little unacknowledged work to redeliver.
	parallelWindow = 2 * natsbus.DefaultBatch / maxBatch
	// QueueCapacity is the most messages the applier's queue can hold as
	// Observer.Queues counts it: the batch the applier takes, the
	// parallelWindow batches behind it, and one the reader has ready to
	// put in.
	QueueCapacity = (parallelWindow + 2) * maxBatch
)

// job is one message on its way from the reader to the applier.
type job struct {
	m  natsbus.Message
	jm jetstream.Msg // nil for a message read from the stream to fill a gap
	// ackOnly marks a redelivery of a message already queued: it is
	// acknowledged once everything queued before it is handled.
	ackOnly bool

	// mu is held by whoever validates the job (a worker or the applier);
	// validated and the results below are set under it.
	mu        sync.Mutex
	validated bool
	ev        *event.Event
	err       error
	took      time.Duration
}

// validate validates j unless done already. Call with j.mu held.
func (s *Service) validate(j *job) {
	if j.validated || j.ackOnly {
		return
	}
	start := s.now()
	j.ev, j.err = s.cfg.Validator.Validate(j.m.Data)
	if j.err == nil {
		// Decode here too, on the worker: it is a fifth of the applier's
		// work otherwise.
		obs.Predecode(j.ev)
	}
	j.took = s.now().Sub(start)
	j.validated = true
}

// runParallel consumes the durable (positioned by natsbus.OpenConsumer),
// validating on s.cfg.Workers goroutines; tick is called at least every
// period. It returns like natsbus.Consumer.Run.
func (s *Service) runParallel(ctx context.Context, period time.Duration) error {
	js := s.cfg.JS
	cons, err := js.Consumer(ctx, natsbus.StreamName, s.cfg.Consumer)
	if err != nil {
		return fmt.Errorf("consume %s: %w", s.cfg.Consumer, err)
	}
	stream, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return fmt.Errorf("consume %s: stream %s: %w", s.cfg.Consumer, natsbus.StreamName, err)
	}
	it, err := cons.Messages(natsbus.PullOptions(natsbus.DefaultBatch)...)
	if err != nil {
		return fmt.Errorf("consume %s: %w", s.cfg.Consumer, err)
	}
	return s.pipeline(ctx, it, stream, period)
}

// pipeline runs the reader on it (filling gaps from stream), the workers
// and the applier until ctx ends or one of them fails, then stops it.
func (s *Service) pipeline(ctx context.Context, it jetstream.MessagesContext, stream jetstream.Stream, period time.Duration) error {
	rctx, stop := context.WithCancel(ctx)
	order := make(chan []*job, parallelWindow)
	// queued counts the messages the reader has queued and the applier has
	// not taken yet: the channel holds batches, and their sizes vary.
	queued := new(atomic.Int64)
	work := make(chan []*job, parallelWindow)
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for batch := range work {
				for _, j := range batch {
					// A job the applier already holds is its own.
					if j.mu.TryLock() {
						s.validate(j)
						j.mu.Unlock()
					}
				}
			}
		})
	}
	// A batch may not wait for messages the server holds back until
	// earlier ones are acknowledged.
	size := min(maxBatch, max(1, s.cfg.MaxAckPending/2))
	if s.cfg.MaxAckPending == 0 {
		size = maxBatch
	}
	r := &reader{s: s, it: it, stream: stream, order: order, work: work, queued: queued, last: s.last, size: size}
	wg.Go(func() {
		defer close(work)
		if err := r.run(rctx); err != nil && rctx.Err() == nil {
			readErr <- err
		}
	})
	defer func() {
		stop()
		natsbus.StopIterator(it)
		wg.Wait()
	}()
	return s.applyInOrder(ctx, order, queued, readErr, period)
}

// applyInOrder is the applier: see the comment at the top of the file.
// Each batch it takes, it reports the depth of the two queues around it:
// the messages queued for it, this batch included, and the records
// waiting for the Engine's side goroutine (facts and traces).
func (s *Service) applyInOrder(ctx context.Context, order <-chan []*job, queued *atomic.Int64, readErr <-chan error, period time.Duration) error {
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			return err
		case <-ticker.C:
			if err := s.tick(ctx); err != nil {
				return err
			}
		case batch := <-order:
			s.obs.Queues(int(queued.Add(-int64(len(batch))))+len(batch), s.cfg.Engine.SideQueued(), len(batch))
			for _, j := range batch {
				if err := ctx.Err(); err != nil {
					return err
				}
				if !j.ackOnly {
					j.mu.Lock()
					s.validate(j) // unless a worker did
					j.mu.Unlock()
					if err := s.handleValidated(ctx, &j.m, j.ev, j.err, j.took); err != nil {
						return err
					}
				}
				if j.jm != nil {
					if err := j.jm.Ack(); errors.Is(err, nats.ErrConnectionClosed) {
						// A lost ack only means a redelivery, dropped as
						// already handled; a closed connection ends the run.
						return fmt.Errorf("ack: %w", err)
					}
				}
			}
		}
	}
}

// reader queues the durable's messages in stream order.
type reader struct {
	s           *Service
	it          jetstream.MessagesContext
	stream      jetstream.Stream
	order, work chan<- []*job
	queued      *atomic.Int64 // messages in order, see pipeline
	last        uint64        // last sequence queued
	size        int           // batch size
	batch       []*job
}

func (r *reader) run(ctx context.Context) error {
	name := r.s.cfg.Consumer
	for {
		jm, err := r.it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrNoHeartbeat) {
				// A report, not an end: see natsbus.MissedHeartbeat.
				natsbus.MissedHeartbeat(r.s.log) // which names the consumer
				continue
			}
			return fmt.Errorf("consume %s: %w", name, err)
		}
		md, err := jm.Metadata()
		if err != nil {
			return fmt.Errorf("consume %s: %w", name, err)
		}
		seq := md.Sequence.Stream
		switch {
		case seq <= r.last:
			r.batch = append(r.batch, &job{jm: jm, ackOnly: true, m: natsbus.Message{Seq: seq}})
		default:
			if seq > r.last+1 {
				if err := r.fillGap(ctx, seq); err != nil {
					return err
				}
			}
			r.batch = append(r.batch, &job{jm: jm, m: natsbus.Message{
				Subject: jm.Subject(), Seq: seq, Published: md.Timestamp, Delivered: md.NumDelivered,
				Pending: md.NumPending, Header: jm.Headers(), Data: jm.Data(),
			}})
			r.last = seq
		}
		if len(r.batch) >= r.size || md.NumPending == 0 {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// flush hands the batch to the applier and to the workers.
func (r *reader) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	b := r.batch
	r.batch = make([]*job, 0, r.size)
	r.queued.Add(int64(len(b)))
	select {
	case r.order <- b:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case r.work <- b:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// fillGap queues the messages between the last queued one and seq, read
// straight from the stream, as natsbus.Consumer does: the consumer delivers
// them again later, and they are then acknowledged as already handled.
func (r *reader) fillGap(ctx context.Context, seq uint64) error {
	if err := natsbus.ReadRange(ctx, r.stream, r.last+1, seq, r.s.log, func(m *natsbus.Message) error {
		r.batch = append(r.batch, &job{m: *m})
		r.last = m.Seq
		if len(r.batch) >= r.size {
			return r.flush(ctx)
		}
		return nil
	}); err != nil {
		return err
	}
	r.last = seq - 1
	return nil
}

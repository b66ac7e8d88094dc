package eval

import (
	"context"
	"fmt"
	"iter"

	"exhaust/aggregator"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/faults"
	"exhaust/producers"
	"exhaust/world"
)

// Faults is what Config.Faults did to a run's events and what the Engine
// made of them. On a clean run the plan is "" and every count is zero.
type Faults struct {
	// Plan is Config.Faults in the grammar (faults.Plan.String), "" for
	// none.
	Plan string `json:"plan"`
	// Done counts the faults done, summed over the producers and days, as
	// the fault reports count them (faults.Report.Counts): events delayed,
	// dropped, corrupted and skewed, and extra copies for duplicate.
	Done faults.Counts `json:"done"`
	// Delivered counts the messages delivered to the consumer: every event
	// not dropped, the duplicates and the corrupted messages included.
	Delivered uint64 `json:"delivered"`
	// Duplicates, LateWithin and LateBeyond are the Engine's counts
	// (aggregator.Stats): events whose id it had already applied, ignored;
	// events older than the newest applied, by no more than the linker's
	// co-occurrence lag (applied as if on time) or by more (their
	// co-occurrence is lost).
	Duplicates uint64 `json:"duplicates"`
	LateWithin uint64 `json:"late_within"`
	LateBeyond uint64 `json:"late_beyond"`
	// Rejected counts the messages the validator rejected, by reason
	// (event.Reasons): never applied, as the aggregator dead-letters them.
	Rejected map[string]uint64 `json:"rejected"`
}

// deliveries returns a day's events, merged in time order, with cfg's
// faults done: in delivery order, as the runner (package sim) publishes
// them. Each event's payload is released from perProducer as it is
// handed on, so the day's bytes are freed as it plays. fd is nil for a
// clean run.
func deliveries(perProducer [][]producers.Encoded, order []uint8, names []string, skip func(string) bool, fd *faults.Day) iter.Seq[faults.Delivery] {
	events := func(yield func(faults.Event) bool) {
		next := make([]int, len(perProducer))
		for _, pi := range order {
			it := &perProducer[pi][next[pi]]
			next[pi]++
			e := faults.Event{Producer: names[pi], Time: it.Time, Subject: it.Subject, ID: it.ID, Payload: it.Payload}
			it.Payload = nil
			if skip != nil && skip(e.ID) {
				continue
			}
			if !yield(e) {
				return
			}
		}
	}
	if fd != nil {
		return fd.Apply(events)
	}
	return func(yield func(faults.Delivery) bool) {
		for e := range events {
			if !yield(faults.Delivery{Event: e, At: e.Time, MsgID: e.ID, Fault: faults.NoFault}) {
				return
			}
		}
	}
}

// play generates day, as the runner publishes it (faults done), and has
// the Engine consume it as the aggregator service does: each message
// validated, the rejected counted by reason and never applied, the rest
// decoded and applied in delivery order.
func (r *run) play(ctx context.Context, day *world.Day) error {
	perProducer, order, err := generate(r.cfg, day)
	if err != nil {
		return err
	}
	var fd *faults.Day
	if !r.cfg.Faults.IsZero() {
		fd = r.cfg.Faults.Day(r.cfg.Seed, day.Index)
	}
	i := 0
	for d := range deliveries(perProducer, order, r.names, r.cfg.skip, fd) {
		if i%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		i++
		if err := r.consume(day, d); err != nil {
			return err
		}
	}
	if fd != nil {
		for _, rep := range fd.Reports() {
			r.faults.Done = r.faults.Done.Plus(rep.Counts)
			if r.cfg.FaultLog != nil {
				r.cfg.FaultLog(rep)
			}
		}
	}
	return nil
}

// consume validates, decodes and applies one delivered message.
func (r *run) consume(day *world.Day, d faults.Delivery) error {
	r.faults.Delivered++
	r.seq++ // the message's stream sequence, rejected or not
	ev, err := r.valid.Validate(d.Payload)
	if reason := event.ReasonOf(err); reason != "" && d.Fault == faults.Corrupt {
		r.faults.Rejected[reason]++
		return nil
	}
	if err != nil {
		// Only a corrupted message may be rejected: anything else is a
		// producer (or fault) that breaks its own schema.
		return fmt.Errorf("day %d: generated event %s (%s) does not validate: %w", day.Index, d.ID, faultName(d.Fault), err)
	}
	rec, err := obs.Decode(ev)
	if err != nil {
		return fmt.Errorf("day %d: %w", day.Index, err)
	}
	// Decoded ahead of Apply, as the aggregator service's workers do.
	ev.Data = rec
	r.joins.join(rec.IDs)
	t0 := r.cfg.Now()
	res, err := r.engine.Apply(r.seq, ev)
	r.apply += r.cfg.Now().Sub(t0)
	if err != nil {
		return fmt.Errorf("day %d: apply %s %s: %w", day.Index, ev.Type, ev.ID, err)
	}
	if res == aggregator.Applied {
		r.events++
	}
	return nil
}

// faultName names a delivery's fault for an error message.
func faultName(k faults.Kind) string {
	if k == faults.NoFault {
		return "no fault"
	}
	return k.String()
}

// faultResult is the run's Faults, with the Engine's counts.
func (r *run) faultResult() Faults {
	out := r.faults
	out.Plan = r.cfg.Faults.String()
	st := r.engine.Stats()
	out.Duplicates, out.LateWithin, out.LateBeyond = st.Duplicates, st.LateWithin, st.LateBeyond
	return out
}

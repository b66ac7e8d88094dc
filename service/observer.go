package service

import "time"

// Observer receives the service's pipeline measurements. The metrics
// adapter implements it; methods are called from the consuming goroutine,
// once per message, so they must be cheap and must not block.
type Observer interface {
	// Consumed counts one valid event of type typ ("phone.cell"), whether
	// it changed the state or was a duplicate.
	Consumed(typ string)
	// Rejected counts one message sent to the dead-letter stream; reason is
	// one of Reasons.
	Rejected(reason string)
	// Processed observes how long handling one message took, from
	// validation to applied (or rejected), before the ack.
	Processed(d time.Duration)
	// Lag observes, for an applied event, the time from its storage in the
	// stream (JetStream's timestamp) to its effects being applied. Event
	// times are simulated and say nothing about delay.
	Lag(d time.Duration)
	// Pending reports how many stream messages the consumer has not yet
	// received.
	Pending(n uint64)
	// Held reports how many messages wait for an earlier message of their
	// publisher (see resequence.go).
	Held(n int)
	// Resequenced counts n messages applied after waiting for an earlier
	// one of their publisher, and gaps given up on: publishers whose
	// missing messages never came within the hold timeout.
	Resequenced(n, gaps uint64)
	// Queues reports the depth of the aggregator's two in-process queues
	// each time the applier takes a batch of messages (the parallel
	// pipeline only), for each of its messages: applier, the messages
	// read from the consumer and not yet applied, the batch being taken
	// included; side, the records applied and waiting for facts and
	// traces (aggregator.Engine's side goroutine); messages, how many the
	// batch holds. Counted per message, the depths weigh a stall by the
	// messages it held up: after one, many messages find a deep queue, in
	// few batches.
	Queues(applier, side, messages int)
	// Snapshot reports one snapshot: how long serialising the state took
	// (the applier waits for it), how long storing it took (in the
	// background), its size in bytes, and err if it failed.
	Snapshot(encode, store time.Duration, size int, err error)
}

// NopObserver is an Observer that ignores everything.
type NopObserver struct{}

var _ Observer = NopObserver{}

// Consumed implements Observer.
func (NopObserver) Consumed(string) {}

// Rejected implements Observer.
func (NopObserver) Rejected(string) {}

// Processed implements Observer.
func (NopObserver) Processed(time.Duration) {}

// Lag implements Observer.
func (NopObserver) Lag(time.Duration) {}

// Pending implements Observer.
func (NopObserver) Pending(uint64) {}

// Held implements Observer.
func (NopObserver) Held(int) {}

// Resequenced implements Observer.
func (NopObserver) Resequenced(uint64, uint64) {}

// Queues implements Observer.
func (NopObserver) Queues(int, int, int) {}

// Snapshot implements Observer.
func (NopObserver) Snapshot(time.Duration, time.Duration, int, error) {}

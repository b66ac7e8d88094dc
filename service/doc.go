// Package service runs the aggregator: everything between NATS and the
// aggregator.Engine.
//
// Run loads the last snapshot into the Engine, positions the durable
// consumer right after the stream sequence the snapshot covers, follows the
// ground truth, then handles every message of the EXHAUST stream in order:
//
//   - validate it (event.Validator) and check its time is plausible;
//   - a bad message goes to the dead-letter stream, dlq.exhaust.<reason>,
//     unchanged, with its reason in headers; it is counted and acked;
//   - a good one is applied to the Engine, then acked: an ack always
//     follows the effects it acknowledges;
//   - every SnapshotEvery messages, every SnapshotInterval, and on a clean
//     stop, the Engine's state is saved with the sequence it covers (the
//     periodic ones by one worker of a group only, Config.SnapshotDuty).
//
// Validation, which needs no state, runs ahead on Config.Workers
// goroutines; everything else above runs on one goroutine, in stream
// order (parallel.go).
//
// Why this survives kill -9 with exactly the same result: the Engine's
// state is a pure function of the sequence of events applied, a snapshot
// records that state together with the sequence S it covers (taken between
// two messages, so it is consistent), and a restart replays exactly S+1
// onwards. Acks only pace the server; they are never trusted as the
// position, because messages acked after the last snapshot were applied to
// memory the crash lost. Redeliveries and re-published duplicates change
// nothing: the consumer drops sequences already handled and the Engine
// drops event ids already applied.
//
// The package knows nothing of Prometheus or HTTP: it reports through the
// Observer interface, which the metrics adapter implements.
package service

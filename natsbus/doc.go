// Package natsbus is exhaust's adapter to NATS and JetStream.
//
// It owns everything the rest of exhaust needs to talk to NATS, so domain
// packages never import a NATS client:
//
//   - StartServer runs an embedded nats-server with JetStream, for the
//     one-command classroom demo and for tests (see package natstest).
//   - Connect dials a server, or the first that answers of a comma-separated
//     list (SplitURLs checks it), failing fast when nothing answers at start
//     and reconnecting forever once connected.
//   - EnsureStream and EnsureTruthStream create or update the EXHAUST stream
//     (subjects exhaust.>) and the ground-truth stream EXHAUST_TRUTH
//     (subjects truth.exhaust.>, outside exhaust.>), keeping the replicas of
//     one that exists; EnsureAll (exhaust setup) creates or updates every
//     stream and bucket with the replicas a cluster should keep.
//   - Publisher publishes events asynchronously with a bounded window, checks
//     every acknowledgement and retries failures with the same message id, so
//     the stream's duplicate window turns "at least once" into "exactly once".
//   - RawPublish is the plainest correct asynchronous JetStream publisher;
//     it is the baseline the benchmarks compare Publisher against.
//   - OpenConsumer positions the aggregator's durable pull consumer right
//     after the sequence its snapshot covers and hands it every message in
//     stream order, once (redeliveries dropped, lost deliveries refetched);
//     FollowTruth follows the persons' ground truth from its start.
//   - PublishFaults and ReadFaults write and read the fault reports (what
//     the simulator did to each producer's events, package faults), kept in
//     the ground-truth stream on truth.exhaust.faults.<producer>.<day>.<part>.
//   - SnapshotStore keeps the aggregator's snapshot in the object store
//     EXHAUST_SNAPSHOTS; PublishReject sends a rejected message, unchanged
//     and with its reason in headers, to dlq.exhaust.<reason> (stream
//     EXHAUST_DLQ, outside exhaust.>).
package natsbus

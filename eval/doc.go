// Package eval measures how well the aggregator re-identifies the simulated
// city: it runs the world, every producer and the aggregator's Engine in
// process (no NATS), then scores the Engine's profiles against the ground
// truth.
//
// Run plays one configuration (people, days, seed) one day at a time: each
// producer observes the day and encodes its events, the events are merged
// in time order, validated as a consumer validates them, decoded and
// applied to the Engine, so memory holds one day of events, never the whole
// run. The ground truth (who owns which identifiers, visitors from their
// arrival) is given to the Engine for scoring only.
//
// With a fault plan (Config.Faults, package faults), each day's events go
// through the plan's faults before the Engine, as the runner does them on
// the way to NATS: they are applied in delivery order (late, repeated,
// skewed), dropped ones never arrive, and corrupted ones are rejected by
// the validator, counted by reason and never applied, as the aggregator
// service dead-letters them. Result.Faults says what was done and what the
// Engine counted (duplicates ignored, late events within and beyond the
// linker's co-occurrence lag).
//
// A Result holds the clustering's pairwise and B-cubed scores, overall and
// per evidence kind (Engine.Accuracy), the recall of same-event evidence
// (SameEvent), the error of the home and work facts in metres and of the
// sleep fact in minutes against the truth, the unicity ε2 and ε4 of the
// Engine's traces, and the Engine's apply throughput. docs/accuracy.md
// defines every figure and holds a measured table.
//
// The package prints nothing and knows nothing of the command line:
// cmd/exhaust's eval command sweeps a Grid of configurations and prints
// each Result as a table row or a JSON line.
package eval

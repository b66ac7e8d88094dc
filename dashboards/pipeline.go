//lint:file-ignore SA1019 The SDK deprecates the classic dashboard model for schema v2, which Grafana 12 serves only behind feature toggles; file provisioning and the sidecar's ConfigMaps load the classic JSON this package writes.

package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// aggregatorOnly keeps the series of the processes that export the
// aggregator's metrics. The Go runtime and process metrics have the same
// names in every Go program Prometheus scrapes (Prometheus itself, the NATS
// exporter); matching on (job, instance) with an aggregator-only metric
// needs no job name, which differs between compose and Kubernetes.
const aggregatorOnly = ` and on (job, instance) exhaust_applied_stream_sequence`

// quantiles returns the 50th, 90th and 99th percentile queries of a
// histogram.
func quantiles(histogram string) []query {
	var out []query
	for _, q := range []struct{ phi, legend string }{{"0.5", "p50"}, {"0.9", "p90"}, {"0.99", "p99"}} {
		out = append(out, query{
			expr:   fmt.Sprintf(`histogram_quantile(%s, sum by (le) (rate(%s_bucket[$__rate_interval])))`, q.phi, histogram),
			legend: q.legend,
		})
	}
	return out
}

// overrideUnit gives the series whose name matches the regular expression
// their own unit, on an axis of their own.
func overrideUnit(regexp, unit string) func(*timeseries.PanelBuilder) {
	return func(b *timeseries.PanelBuilder) {
		b.OverrideByRegexp(regexp, []dashboard.DynamicConfigValue{
			{Id: "unit", Value: unit},
			{Id: "custom.axisPlacement", Value: "right"},
		})
	}
}

// cityRate is the rate of a counter as one aggregator counts it. Every
// worker of the group applies the whole stream, so each counts the same
// city: summed over the workers it would count it once per worker. by
// lists labels to keep ("" for none).
func cityRate(counter, by string) string {
	inner := "job, instance"
	if by != "" {
		inner += ", " + by
	}
	return fmt.Sprintf(`max by (%s) (sum by (%s) (rate(%s[$__rate_interval])))`, by, inner, counter)
}

// pipeline is the operators' dashboard: is the aggregator keeping up,
// what does it reject, how long does it take, and what does it cost.
//
// Several aggregators may be scraped (the worker group): every one applies
// the whole stream, so what describes the city or the stream is read once
// (max), and the "Workers" row shows them side by side.
func pipeline() *dashboard.DashboardBuilder {
	d := newBoard(PipelineUID, "exhaust · Pipeline health",
		"The aggregator as a service: throughput, backlog and lag of its JetStream consumer, the worker group, rejected input, processing time, and the Go runtime underneath.")

	d.row("Throughput and backlog")
	graph(d, panel{
		title:  "Messages per second",
		shows:  "valid events consumed from the stream, events applied to the state (new ones only), and messages rejected, per second, as one aggregator counts them (every worker of the group reads the whole stream).",
		lesson: "consumed minus applied is what delivery guarantees cost: JetStream delivers at least once, and the aggregator drops duplicates and redeliveries by event id, so every event counts exactly once.",
		unit:   units.OpsPerSecond, w: 12, h: 8,
		queries: []query{
			{expr: cityRate("exhaust_events_consumed_total", ""), legend: "consumed"},
			{expr: cityRate("exhaust_events_applied_total", ""), legend: "applied"},
			{expr: cityRate("exhaust_events_rejected_total", ""), legend: "rejected"},
		},
	})
	graph(d, panel{
		title:  "Consumer backlog",
		shows:  "messages in the EXHAUST stream not yet delivered to the aggregator's durable consumer (with several workers, the one furthest behind).",
		lesson: "the stream absorbs bursts: producers never wait for the aggregator. A backlog that grows means the aggregator cannot keep up; after a restart it shows the replay since the last snapshot, then drains to zero.",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `max(exhaust_consumer_pending_messages)`, legend: "pending"}},
	})
	single(d, panel{
		title:  "Stream position applied",
		shows:  "the stream sequence of the last event applied: what a snapshot taken now would cover.",
		lesson: "the state is a pure function of the events applied in order, so a snapshot plus this position is enough to survive a crash: a restart replays only what follows.",
		unit:   units.Short, w: 4, h: 8,
		queries: []query{{expr: `max(exhaust_applied_stream_sequence)`, legend: "sequence"}},
	})

	d.row("Workers")
	single(d, panel{
		title:  "Live workers",
		shows:  "aggregator workers alive in the group, as the workers see it: slots held in the EXHAUST_WORKERS bucket.",
		lesson: "a worker that dies stops renewing its slot, and the bucket forgets it after its TTL (10 s): the others see one fewer and take its people over, without anyone deciding it.",
		unit:   units.Short, w: 4, h: 8,
		queries: []query{{expr: `max(exhaust_workers)`, legend: "workers"}},
	})
	graph(d, panel{
		title:  "Events applied per second, by worker",
		shows:  "events each aggregator worker applies to its own copy of the state, per second.",
		lesson: "every worker applies the whole stream, so each can answer for the whole city and any one can fail: more workers buy failover and a share of the per-person series each, not throughput.",
		unit:   units.OpsPerSecond, w: 10, h: 8,
		queries: []query{{expr: `sum by (instance) (rate(exhaust_events_applied_total[$__rate_interval]))`, legend: "{{instance}}"}},
	})
	graph(d, panel{
		title:  "Consumer backlog, by worker",
		shows:  "messages of the EXHAUST stream not yet delivered to each worker's durable consumer, as the worker reads it.",
		lesson: "each worker has a durable consumer of its own (exhaust-aggregator, exhaust-aggregator-1, …) and goes at its own pace: one that falls behind, or replays after a restart, does not hold the others back.",
		unit:   units.Short, w: 10, h: 8,
		queries: []query{{expr: `max by (instance) (exhaust_consumer_pending_messages)`, legend: "{{instance}}"}},
	})
	graph(d, panel{
		title:  "Pending messages per durable consumer",
		shows:  "messages of the EXHAUST stream each durable consumer has yet to receive, as the NATS server reports it (the NATS exporter's nats_consumer_num_pending).",
		lesson: "the server keeps each consumer's position: a dead worker's consumer stays, its backlog growing, until a worker takes the slot back and resumes from its snapshot, or an hour passes and the server drops it (a worker that claims the slot later creates it again).",
		unit:   units.Short, w: 12, h: 8,
		queries: []query{{expr: `max by (consumer_name) (nats_consumer_num_pending{stream_name="EXHAUST"})`, legend: "{{consumer_name}}"}},
	})
	graph(d, panel{
		title:  "Profiles owned, by worker",
		shows:  "profiles whose per-person series each worker exports: the people are shared out among the live workers.",
		lesson: "the shares add up to every profile, each person exported by one worker; when a worker dies, the others take its people over, and the lines jump.",
		unit:   units.Short, w: 12, h: 8,
		queries: []query{{expr: `max by (instance) (exhaust_profiles_owned)`, legend: "{{instance}}"}},
	}, stacked)
	graph(d, panel{
		title:  "Snapshots per minute, by worker",
		shows:  "snapshots of the state each worker serialises per minute: periodic ones by the worker on snapshot duty, and a final one from any worker stopped cleanly.",
		lesson: "every worker holds the same state at the same position in the stream, so one snapshot serves them all: a worker that crashes restores the group's freshest and replays only what follows, and the others never pause to save a copy.",
		unit:   units.Short, w: 12, h: 8,
		queries: []query{{expr: `sum by (instance) (rate(exhaust_snapshot_seconds_count{phase="encode"}[$__rate_interval])) * 60`, legend: "{{instance}}"}},
	})
	graph(d, panel{
		title:  "Held for their publisher's order, by worker",
		shows:  "messages each worker holds because they reached it before an earlier message of their publisher, which the stream stored later.",
		lesson: "when the node leading the stream goes down, a message it had not yet copied is published again and stored behind newer ones; every message carries its publisher's number, so the aggregator waits for it and applies them all in their order. Zero, except for a moment after a failover.",
		unit:   units.Short, w: 12, h: 8,
		queries: []query{{expr: `max by (instance) (exhaust_events_held)`, legend: "{{instance}}"}},
	})
	graph(d, panel{
		title:  "Put back in order, and gaps given up, per second",
		shows:  "messages applied in their publisher's order after waiting, and gaps given up on after a minute (a message that never reached the stream), per second, by worker.",
		lesson: "the order of events is part of what the beast learns from, so a lost node must not change it; a gap given up on means a producer lost a message for good (killed with messages in flight).",
		unit:   units.OpsPerSecond, w: 12, h: 8,
		queries: []query{
			{expr: `sum by (instance) (rate(exhaust_events_resequenced_total[$__rate_interval]))`, legend: "resequenced {{instance}}"},
			{expr: `sum by (instance) (rate(exhaust_publication_gaps_total[$__rate_interval]))`, legend: "gaps {{instance}}"},
		},
	})

	d.row("Latency")
	graph(d, panel{
		title:  "Lag, from the stream to the state",
		shows:  "50th, 90th and 99th percentiles of the delay between an event's storage in the stream and its effects being applied.",
		lesson: "this is the freshness of every profile: within a fraction of a second of a card payment, the aggregator knows. Event times are simulated and say nothing about delay, so the lag is measured from JetStream's own timestamp.",
		unit:   units.Seconds, w: 8, h: 8,
		queries: quantiles("exhaust_event_lag_seconds"),
	})
	graph(d, panel{
		title:  "Processing time per message",
		shows:  "50th, 90th and 99th percentiles of the time to handle one message, from validation to applied or rejected, before the ack.",
		lesson: "linking a city's exhaust is cheap: microseconds per event on one core. Surveillance at scale is not held back by computing power.",
		unit:   units.Seconds, w: 8, h: 8,
		queries: quantiles("exhaust_event_processing_seconds"),
	})
	graph(d, panel{
		title:  "Queues inside the aggregator, p99",
		shows:  "99th percentile of the depth of each in-process queue, as the applier finds it taking a batch, counted per message, by worker: applier, messages read and not yet applied (at most 1,088); side, records waiting for facts and traces (at most 256).",
		lesson: "a pipeline is as fast as its slowest stage, and the queue in front of that stage is the one that fills: applier full means linking is the bottleneck, side full means facts and traces are (docs/scaling.md).",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `histogram_quantile(0.99, sum by (instance, queue, le) (rate(exhaust_queue_depth_bucket[$__rate_interval])))`, legend: "{{queue}} {{instance}}"}},
	})

	d.row("Bad input")
	graph(d, panel{
		title:  "Rejected messages per second, by reason",
		shows:  "messages rejected instead of applied, per second, by reason (oversized, malformed JSON, invalid envelope, unknown type, schema version, invalid data, absurd time, undecodable). Every reason starts at zero.",
		lesson: "a bad message never blocks the stream nor corrupts the state: it is validated against its schema, moved unchanged to the dead-letter stream (dlq.exhaust.invalid_data, dlq.exhaust.oversized…), counted here, and acknowledged.",
		unit:   units.OpsPerSecond, w: 16, h: 8,
		queries: []query{{expr: cityRate("exhaust_events_rejected_total", "reason"), legend: "{{reason}}"}},
	})
	single(d, panel{
		title:  "Rejected since the aggregator started",
		shows:  "messages rejected since the aggregator process started, all reasons together (with several workers, the one that has seen most).",
		lesson: "zero is the expected value for the simulator's own producers; anything else is input worth reading in the dead-letter stream.",
		unit:   units.Short, w: 8, h: 8,
		queries: []query{{expr: `max(sum by (job, instance) (exhaust_events_rejected_total))`, legend: "rejected"}},
	})

	d.row("Go runtime of the aggregator")
	graph(d, panel{
		title:  "Goroutines",
		shows:  "goroutines of each aggregator process: the consumer, the truth follower, HTTP handlers.",
		lesson: "a steady count is a healthy service; a count that only grows is a leak.",
		unit:   units.Short, w: 6, h: 8,
		queries: []query{{expr: `go_goroutines` + aggregatorOnly, legend: "{{instance}}"}},
	})
	graph(d, panel{
		title:  "Memory",
		shows:  "heap in use by live objects, and the process's resident memory.",
		lesson: "the aggregator keeps every profile and its evidence windows in memory; memory per person is what sets how big a city one process can follow (docs/performance.md).",
		unit:   units.BytesIEC, w: 6, h: 8,
		queries: []query{
			{expr: `go_memstats_heap_alloc_bytes` + aggregatorOnly, legend: "heap {{instance}}"},
			{expr: `process_resident_memory_bytes` + aggregatorOnly, legend: "resident {{instance}}"},
		},
	})
	graph(d, panel{
		title:  "Garbage collection",
		shows:  "garbage collections per second, and the share of time the program was paused for them.",
		lesson: "allocating per event costs twice: once to allocate, once to collect. A pause share that stays small means the runtime keeps up with the stream.",
		unit:   units.OpsPerSecond, w: 6, h: 8,
		queries: []query{
			{expr: `rate(go_gc_duration_seconds_count[$__rate_interval])` + aggregatorOnly, legend: "collections {{instance}}"},
			{expr: `rate(go_gc_duration_seconds_sum[$__rate_interval])` + aggregatorOnly, legend: "paused share {{instance}}"},
		},
	}, overrideUnit("/^paused share/", units.PercentUnit))
	graph(d, panel{
		title:  "CPU",
		shows:  "CPU time used by each aggregator process, in cores (100 % is one core busy).",
		lesson: "one core follows a whole classroom city in real time, with room to spare.",
		unit:   units.PercentUnit, w: 6, h: 8,
		queries: []query{{expr: `rate(process_cpu_seconds_total[$__rate_interval])` + aggregatorOnly, legend: "{{instance}}"}},
	})
	return d.b
}

package promexport

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"exhaust/aggregator"
	"exhaust/event"
)

// DefaultPersonCap is the number of profiles that get per-person series when
// Options.PersonCap is zero: enough for a classroom's population, small
// enough that a Prometheus server does not notice.
const DefaultPersonCap = 100

// The consumer's own rejection reasons, on top of event.Reasons (the
// validator's). They mirror the service package's constants, which this
// package does not import (the service imports NATS); a test keeps the two
// in step.
const (
	// ReasonAbsurdTime rejects a valid event whose time cannot be right.
	ReasonAbsurdTime = "absurd_time"
	// ReasonUndecodable rejects a valid event the Engine could not decode.
	ReasonUndecodable = "undecodable"
)

// Options configures New.
type Options struct {
	// PersonCap bounds the profiles exported with a person label (the
	// profiles with the most identifiers first). Zero means DefaultPersonCap;
	// a negative value exports no per-person series at all. Beyond the cap,
	// profiles are served by the JSON API only: every person label value is
	// a new time series, and a city of 100k people would swamp Prometheus.
	PersonCap int
	// EventTypes lists event types ("<producer>.<kind>") whose consumed
	// counter starts at zero before the first event, so that rate() and
	// dashboards see every type from the first scrape. Optional.
	EventTypes []string
	// Shard, when several aggregator workers share a city, makes this one
	// export per-person series only for the profiles it owns: those
	// shard.Owner gives its slot among the live ones, so a Prometheus
	// scraping every worker sees each person once. Nil: one aggregator,
	// which owns everybody.
	Shard Shard
}

// Shard is this worker's slot and the live ones (natsbus.Worker).
type Shard interface {
	Slot() int
	Live() []int
}

// Exporter records pipeline metrics. Its methods match the consumer service's
// Observer interface and are safe for concurrent use.
type Exporter struct {
	consumed   *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	lag        prometheus.Histogram
	processing prometheus.Histogram
	pending    prometheus.Gauge
	snapshot   *prometheus.HistogramVec
	snapBytes  prometheus.Gauge
	snapFailed prometheus.Counter
	held       prometheus.Gauge
	reseq      prometheus.Counter
	gaps       prometheus.Counter
	queues     *prometheus.HistogramVec
	// The two series of queues, resolved once: observed for every message.
	applierQueue, sideQueue prometheus.Observer
}

// Bucket bounds, in seconds. Lag spans a local pipeline (milliseconds) to a
// consumer catching up after a restart (minutes); applying one event takes
// microseconds, so its buckets start far lower. Lag is finer from 0.5 to
// 100 ms, where a live pipeline sits: its p50 and p99 (exhaust bench
// scale, the 50 ms target of issue 11) are read from these buckets, and a
// quantile is only as precise as the bucket it falls in.
var (
	lagBuckets        = []float64{.0005, .001, .002, .003, .005, .0075, .01, .015, .02, .03, .04, .05, .075, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	processingBuckets = []float64{.000005, .00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1}
	// A snapshot takes milliseconds for a class, seconds to a minute for a
	// city of 100,000.
	snapshotBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	// Queue depths, in messages or records: empty (a live trickle), then
	// powers of two up to each queue's capacity, which is a bound of its
	// own, so that a quantile near a full queue is not read in a bucket
	// twice as wide as the queue.
	queueBuckets = []float64{0, 1, 2, 4, 8, 16, 32, 64, 128, aggregator.SideQueueCapacity, 512, 1024, ApplierQueueCapacity}
)

// ApplierQueueCapacity is the service's service.QueueCapacity, the most
// messages the applier's queue holds (a test keeps them equal: this
// package does not import the service it observes).
const ApplierQueueCapacity = 1088

// Queue names, the queue label of exhaust_queue_depth.
const (
	QueueApplier = "applier"
	QueueSide    = "side"
)

// LagBuckets returns the bucket bounds of exhaust_event_lag_seconds, for a
// reference measured beside it (exhaust bench scale) to be read the same
// way.
func LagBuckets() []float64 { return slices.Clone(lagBuckets) }

// New registers the pipeline metrics, the collector of e's state and the Go
// runtime and process collectors on reg, and returns the Exporter the
// consumer reports to. The runtime and process collectors are skipped if reg
// already has them.
func New(reg prometheus.Registerer, e *aggregator.Engine, opts Options) (*Exporter, error) {
	if reg == nil {
		return nil, errors.New("promexport: no registerer")
	}
	if e == nil {
		return nil, errors.New("promexport: no engine")
	}
	if opts.PersonCap == 0 {
		opts.PersonCap = DefaultPersonCap
	}
	x := &Exporter{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "exhaust_events_consumed_total",
			Help: "Valid events consumed from the stream (duplicates included), by producer and event type.",
		}, []string{"producer", "type"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "exhaust_events_rejected_total",
			Help: "Messages rejected (and dead-lettered) instead of applied, by reason.",
		}, []string{"reason"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "exhaust_event_lag_seconds",
			Help:    "Delay between an event's storage in the stream and its effects being applied.",
			Buckets: lagBuckets,
		}),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "exhaust_event_processing_seconds",
			Help:    "Time to handle one message, from validation to applied or rejected, before the ack.",
			Buckets: processingBuckets,
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "exhaust_consumer_pending_messages",
			Help: "Messages in the stream not yet delivered to the aggregator's consumer.",
		}),
		snapshot: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "exhaust_snapshot_seconds",
			Help:    "Time to take one snapshot of the aggregator's state, by phase: encode (serialising it; events wait meanwhile) and store (uploading it to the snapshot bucket, in the background).",
			Buckets: snapshotBuckets,
		}, []string{"phase"}),
		snapBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "exhaust_snapshot_bytes",
			Help: "Size of the last snapshot stored.",
		}),
		snapFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "exhaust_snapshot_failures_total",
			Help: "Snapshots that could not be serialised or stored (the next trigger tries again).",
		}),
		held: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "exhaust_events_held",
			Help: "Messages that reached the aggregator before an earlier message of their publisher (after a stream leader's failover) and wait for it.",
		}),
		reseq: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "exhaust_events_resequenced_total",
			Help: "Messages applied in their publisher's order after waiting for an earlier one that the stream stored later.",
		}),
		gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "exhaust_publication_gaps_total",
			Help: "Gaps in a publisher's order given up on: messages held a minute for an earlier one that never came, then applied without it.",
		}),
		queues: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "exhaust_queue_depth",
			Help:    "Depth of the aggregator's in-process queues, observed for each message of the batch the applier takes: applier, messages read from the consumer and not yet applied; side, records applied and waiting for facts and traces.",
			Buckets: queueBuckets,
		}, []string{"queue"}),
	}
	x.applierQueue = x.queues.WithLabelValues(QueueApplier)
	x.sideQueue = x.queues.WithLabelValues(QueueSide)
	// Zero every known series up front: a reason that never happens should
	// read 0, not be absent, so alerts and dashboards need no "or vector(0)".
	for _, r := range append(slices.Clone(event.Reasons), ReasonAbsurdTime, ReasonUndecodable) {
		x.rejected.WithLabelValues(r)
	}
	for _, t := range opts.EventTypes {
		x.consumed.WithLabelValues(producerOf(t), t)
	}
	for _, phase := range []string{"encode", "store"} {
		x.snapshot.WithLabelValues(phase)
	}
	ours := []prometheus.Collector{x.consumed, x.rejected, x.lag, x.processing, x.pending,
		x.snapshot, x.snapBytes, x.snapFailed, x.held, x.reseq, x.gaps, x.queues, newStateCollector(e, opts.PersonCap, opts.Shard)}
	for i, c := range ours {
		if err := reg.Register(c); err != nil {
			// All or nothing: a half-registered exporter would make a retry
			// fail on the half that made it.
			for _, done := range ours[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("promexport: register: %w", err)
		}
	}
	std := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	for _, c := range std {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("promexport: register runtime collector: %w", err)
			}
		}
	}
	return x, nil
}

// producerOf returns the producer part of an event type.
func producerOf(typ string) string {
	p, _, _ := strings.Cut(typ, ".")
	return p
}

// Consumed counts one valid event of type typ ("<producer>.<kind>"). The
// type comes from a validated event, so its values are bounded by the
// registered producers' kinds.
func (x *Exporter) Consumed(typ string) {
	x.consumed.WithLabelValues(producerOf(typ), typ).Inc()
}

// Rejected counts one rejected message. reason is one of event.Reasons,
// ReasonAbsurdTime or ReasonUndecodable: callers pass constants, which keeps
// the label bounded.
func (x *Exporter) Rejected(reason string) {
	x.rejected.WithLabelValues(reason).Inc()
}

// Processed records the time taken to handle one message.
func (x *Exporter) Processed(d time.Duration) {
	x.processing.Observe(d.Seconds())
}

// Lag records how long after its storage in the stream one event was
// applied. A negative lag (clocks of server and consumer disagreeing) is
// recorded as zero.
func (x *Exporter) Lag(d time.Duration) {
	x.lag.Observe(max(d, 0).Seconds())
}

// Pending sets the number of messages waiting for the consumer.
func (x *Exporter) Pending(n uint64) {
	x.pending.Set(float64(n))
}

// Held sets the number of messages waiting for an earlier one of their
// publisher.
func (x *Exporter) Held(n int) {
	x.held.Set(float64(n))
}

// Resequenced counts messages applied after waiting, and gaps given up on.
func (x *Exporter) Resequenced(n, gaps uint64) {
	x.reseq.Add(float64(n))
	x.gaps.Add(float64(gaps))
}

// Queues records the depths of the applier's queue and the side
// goroutine's, as the applier found them taking a batch, once for each of
// the batch's messages.
func (x *Exporter) Queues(applier, side, messages int) {
	for range messages {
		x.applierQueue.Observe(float64(applier))
		x.sideQueue.Observe(float64(side))
	}
}

// Snapshot records one snapshot's phases and size; a failed one counts as a
// failure, its phases are still observed (a store that timed out took that
// long).
func (x *Exporter) Snapshot(encode, store time.Duration, size int, err error) {
	x.snapshot.WithLabelValues("encode").Observe(encode.Seconds())
	if store > 0 {
		x.snapshot.WithLabelValues("store").Observe(store.Seconds())
	}
	if err != nil {
		x.snapFailed.Inc()
		return
	}
	x.snapBytes.Set(float64(size))
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/clock"
	"exhaust/natsbus"
	"exhaust/producers"
	"exhaust/promexport"
	"exhaust/sim"
	"exhaust/world"
)

// scaleStall fails bench scale when the aggregator applies nothing for
// this long: a stuck consumer must not hang the run. A city of a million
// people takes hours in all, but never minutes without progress.
const scaleStall = 2 * time.Minute

// scaleOptions are bench scale's own flags.
type scaleOptions struct {
	rate          float64
	latencyEvents int
	pollEvery     time.Duration
	json          bool
	aggregateArgs []string // more flags for the aggregator child
}

// scaleReport is what bench scale measured. Its JSON field names are a
// contract: scripts and tests decode them, docs/performance.md names them.
type scaleReport struct {
	Persons int   `json:"persons"`
	Days    int   `json:"days"`
	Seed    int64 `json:"seed"`

	// Events the producer stored in the EXHAUST stream, and what the
	// aggregator made of them (exhaust_events_applied_total and the sum of
	// exhaust_events_rejected_total once it caught up).
	Events         uint64 `json:"events"`
	EventsApplied  uint64 `json:"events_applied"`
	EventsRejected uint64 `json:"events_rejected"`

	// The producer: the whole `exhaust produce --fast` process, from its
	// start to its exit (world, generation, publishing, every ack).
	ProducerSeconds               float64 `json:"producer_seconds"`
	ProducerEventsPerSecond       float64 `json:"producer_events_per_second"`
	ProducerPeakRSSBytes          uint64  `json:"producer_peak_rss_bytes"`
	ProducerPeakRSSBytesPerPerson float64 `json:"producer_peak_rss_bytes_per_person"`

	// The aggregator: `exhaust aggregate` started on the full stream.
	// Seconds is from its start to the poll that saw every message acked;
	// the rate is measured between polls (see scaleRate). RSS is its own
	// process_resident_memory_bytes once caught up.
	AggregatorSeconds               float64 `json:"aggregator_seconds"`
	AggregatorEventsPerSecond       float64 `json:"aggregator_events_per_second"`
	AggregatorRSSBytes              uint64  `json:"aggregator_rss_bytes"`
	AggregatorRSSBytesPerPerson     float64 `json:"aggregator_rss_bytes_per_person"`
	AggregatorPeakRSSBytes          uint64  `json:"aggregator_peak_rss_bytes"`
	AggregatorPeakRSSBytesPerPerson float64 `json:"aggregator_peak_rss_bytes_per_person"`

	// Accuracy once caught up, from the aggregator's /api/accuracy: the
	// people whose truth it holds, and pairwise precision, recall and F1
	// (docs/accuracy.md), as exhaust eval reports them.
	AccuracyPersons   int     `json:"accuracy_persons"`
	PairwisePrecision float64 `json:"pairwise_precision"`
	PairwiseRecall    float64 `json:"pairwise_recall"`
	PairwiseF1        float64 `json:"pairwise_f1"`

	// Latency: events of the next day published at LatencyRate while the
	// aggregator holds the whole city; from exhaust_event_lag_seconds.
	LatencyRate          float64 `json:"latency_rate"`
	LatencyPublishedRate float64 `json:"latency_published_rate"`
	LatencyEvents        uint64  `json:"latency_events"`
	LatencySamples       uint64  `json:"latency_samples"`
	LatencyP50Ms         float64 `json:"latency_p50_ms"`
	LatencyP99Ms         float64 `json:"latency_p99_ms"`
	// LatencySnapshots is how many snapshots the aggregator took while the
	// paced events were applied: each pauses them for its encoding.
	LatencySnapshots uint64 `json:"latency_snapshots"`
	// The reference: the same events published again at the same rate,
	// the aggregator stopped, read by a durable pull consumer that does
	// nothing but note each message's lag (from its stream timestamp), in
	// the same buckets: what JetStream and this machine give any consumer.
	ReferenceLatencyP50Ms float64 `json:"reference_latency_p50_ms"`
	ReferenceLatencyP99Ms float64 `json:"reference_latency_p99_ms"`

	// Depth of the aggregator's in-process queues (exhaust_queue_depth),
	// as the applier found them at each batch, counted per message: while it caught up on the
	// stream, flat out, the queue in front of the slowest stage fills;
	// while the paced events flowed, both should stay near empty. Applier:
	// messages read and not yet applied; side: records waiting for facts
	// and traces.
	QueueCatchupApplierMean float64 `json:"queue_catchup_applier_mean"`
	QueueCatchupApplierP99  float64 `json:"queue_catchup_applier_p99"`
	QueueCatchupSideMean    float64 `json:"queue_catchup_side_mean"`
	QueueCatchupSideP99     float64 `json:"queue_catchup_side_p99"`
	QueuePacedApplierMean   float64 `json:"queue_paced_applier_mean"`
	QueuePacedApplierP99    float64 `json:"queue_paced_applier_p99"`
	QueuePacedSideMean      float64 `json:"queue_paced_side_mean"`
	QueuePacedSideP99       float64 `json:"queue_paced_side_p99"`

	// The aggregator's snapshots, up to the end of the latency phase:
	// how many, the mean time serialising one (events wait meanwhile) and
	// storing one (in the background), the last one's size.
	Snapshots                 uint64  `json:"snapshots"`
	SnapshotEncodeSecondsMean float64 `json:"snapshot_encode_seconds_mean"`
	SnapshotStoreSecondsMean  float64 `json:"snapshot_store_seconds_mean"`
	SnapshotBytes             uint64  `json:"snapshot_bytes"`
}

const scaleAbout = `Runs the producer and the aggregator as a user would, each as its own process
(this executable's "produce" and "aggregate" commands), on an embedded
nats-server whose JetStream store is a temporary directory removed at the end.

  1. exhaust produce --fast --persons N --days D (and the other simulation
     flags given here) publishes the days, alone on the machine. Its rate is
     events stored / the process's whole run (world, generation, publishing,
     every ack).
  2. exhaust aggregate --http 127.0.0.1:0 then starts on the full stream and
     applies it, alone. Its progress is its durable consumer's ack floor (it
     acks a message once applied), read from the server every
     --poll-interval as "nats consumer info" reads it; a scrape of /metrics
     reads its whole state again (accuracy, unicity), holding the Engine
     for about a minute at 10,000 people. Its rate is the messages acked
     between the first and the last poll that saw it mid-stream, per second
     of the time between them (a run too short for two such polls: messages
     / time from its start to the poll that saw it done). Once it caught up,
     /metrics is scraped once: events applied and rejected, and
     process_resident_memory_bytes.
  3. Latency: up to --latency-events events in a row from the middle of day
     D+1 (made by this process) are published at --rate events per second
     to the same aggregator, which now holds the whole city. p50 and
     p99 are read from the change of its exhaust_event_lag_seconds histogram
     over this phase, as PromQL's histogram_quantile reads it: the time from
     the event's storage in the stream to its being applied (Engine.Apply
     returned; its facts are settled before anyone reads them), precise to
     the histogram's bucket (docs/metrics.md).
  4. The aggregator is stopped (SIGINT: a final snapshot, as on Ctrl-C).

Peak RSS is each child's getrusage maximum resident set size, as the kernel
counts it, Go runtime included: per person, it overstates small cities; the
aggregator's includes its two scrapes. It runs with its defaults (workers,
snapshots every 20000 events: the latency includes their pauses) unless
--aggregate-flags adds some. Progress
goes to stdout, or to stderr with --json, which prints one JSON object
(docs/performance.md).`

func runBenchScale(ctx context.Context, args []string, env *cliEnv) error {
	var o simOptions
	var s scaleOptions
	fs := newFlagSet("bench scale", "bench scale [flags]", scaleAbout, env.stdout)
	o.register(fs, 1)
	setDefault(fs, "persons", "1000")
	// The store is a temporary directory: no reason to drop the oldest
	// events of a big city, which the aggregator would then never see.
	setDefault(fs, "stream-max-bytes", "0")
	fs.Float64Var(&s.rate, "rate", 10000, "events per second published while measuring latency")
	fs.IntVar(&s.latencyEvents, "latency-events", 600000, "events published while measuring latency (the default is a minute at the default rate: long enough for the aggregator's periodic work, scrapes' reads and snapshots, to show at its usual share)")
	fs.DurationVar(&s.pollEvery, "poll-interval", 250*time.Millisecond, "how often the aggregator's progress (its consumer's ack floor) is read")
	fs.BoolVar(&s.json, "json", false, "print one JSON object on stdout (progress goes to stderr)")
	aggregateFlags := fs.String("aggregate-flags", "", `more flags for the aggregator, space-separated (e.g. "--workers 1"; default: none, as a user runs it)`)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	o.fast = true
	if err := o.validate(); err != nil {
		return err
	}
	switch {
	case o.days < 1:
		return fmt.Errorf("--days must be at least 1, got %d", o.days)
	case !(s.rate > 0):
		return fmt.Errorf("--rate must be a positive number of events per second, got %v", s.rate)
	case s.latencyEvents < 1:
		return fmt.Errorf("--latency-events must be at least 1, got %d", s.latencyEvents)
	case s.pollEvery <= 0:
		return fmt.Errorf("--poll-interval must be positive, got %v", s.pollEvery)
	}
	s.aggregateArgs = strings.Fields(*aggregateFlags)
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this executable to run produce and aggregate: %w", err)
	}
	progress := &lockedWriter{w: env.stdout}
	if s.json {
		progress = &lockedWriter{w: env.stderr}
	}
	rep, err := benchScale(ctx, &o, &s, exe, progress)
	if err != nil {
		return err
	}
	if s.json {
		return json.NewEncoder(env.stdout).Encode(rep)
	}
	rep.print(progress)
	return nil
}

// benchScale runs the three phases and returns their measures.
func benchScale(ctx context.Context, o *simOptions, s *scaleOptions, exe string, progress io.Writer) (scaleReport, error) {
	rep := scaleReport{Persons: o.persons, Days: o.days, Seed: o.seed, LatencyRate: s.rate}
	log := slog.New(slog.DiscardHandler)
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", Logger: log})
	if err != nil {
		return rep, err
	}
	defer srv.Shutdown()
	fmt.Fprintf(progress, "bench scale: %d people, %d day(s), seed %d; embedded nats-server %s, JetStream store %s\n",
		o.persons, o.days, o.seed, srv.URL(), srv.StoreDir())

	// 1. The producer, alone.
	produce := append([]string{"produce", "--nats", srv.URL(), "--fast"}, o.childArgs()...)
	fmt.Fprintf(progress, "running: exhaust %s\n", joinArgs(produce))
	p, err := startChild(ctx, exe, "produce", produce, io.Discard, progress)
	if err != nil {
		return rep, err
	}
	if err := p.wait(); err != nil {
		return rep, err
	}
	rep.ProducerSeconds = p.took.Seconds()
	rep.ProducerPeakRSSBytes = p.peakRSS
	nc, err := natsbus.Connect(ctx, srv.URL(), "exhaust-bench-scale", log)
	if err != nil {
		return rep, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return rep, err
	}
	var lastSeq uint64
	if rep.Events, lastSeq, err = streamState(ctx, js); err != nil {
		return rep, err
	}
	if rep.Events == 0 {
		return rep, errors.New("exhaust produce stored no events: nothing to measure")
	}
	rep.ProducerEventsPerSecond = float64(rep.Events) / rep.ProducerSeconds
	fmt.Fprintf(progress, "produce: %d events in %.1f s: %.0f ev/s, peak RSS %s\n",
		rep.Events, rep.ProducerSeconds, rep.ProducerEventsPerSecond, mib(rep.ProducerPeakRSSBytes))

	// 2. The aggregator, alone, on the full stream.
	aggregate := append([]string{"aggregate", "--nats", srv.URL(), "--http", "127.0.0.1:0"}, s.aggregateArgs...)
	fmt.Fprintf(progress, "running: exhaust %s\n", joinArgs(aggregate))
	addr := make(chan string, 1)
	a, err := startChild(ctx, exe, "aggregate", aggregate, &httpAddrWatcher{found: addr}, progress)
	if err != nil {
		return rep, err
	}
	defer a.stop() // on an early return; a no-op once stopped
	sc, err := newScraper(ctx, a, addr)
	if err != nil {
		return rep, err
	}
	var samples []ackProgress
	if err := waitAcked(ctx, js, a, lastSeq, s.pollEvery, &samples); err != nil {
		return rep, err
	}
	rep.AggregatorSeconds = samples[len(samples)-1].at.Sub(a.began).Seconds()
	rep.AggregatorEventsPerSecond = scaleRate(samples, lastSeq, a.began)
	fmt.Fprintf(progress, "aggregate: caught up after %.1f s, %.0f ev/s; scraping /metrics\n", rep.AggregatorSeconds, rep.AggregatorEventsPerSecond)
	caught, err := sc.scrape(ctx)
	if err != nil {
		return rep, err
	}
	rep.EventsApplied, rep.EventsRejected = caught.applied, caught.rejected
	rep.AggregatorRSSBytes = caught.rss
	fmt.Fprintf(progress, "aggregate: %d applied, %d rejected, RSS %s (the scrape took %.1f s)\n",
		rep.EventsApplied, rep.EventsRejected, mib(rep.AggregatorRSSBytes), time.Since(caught.at).Seconds())
	acc, err := sc.accuracy(ctx)
	if err != nil {
		return rep, err
	}
	rep.AccuracyPersons = acc.Persons
	rep.PairwisePrecision, rep.PairwiseRecall, rep.PairwiseF1 = acc.Pairwise.Precision, acc.Pairwise.Recall, acc.Pairwise.F1
	fmt.Fprintf(progress, "aggregate: accuracy over %d people: pairwise precision %.3f, recall %.3f, F1 %.3f\n",
		rep.AccuracyPersons, rep.PairwisePrecision, rep.PairwiseRecall, rep.PairwiseF1)

	// 3. Latency at a paced rate, the city's state in place.
	sample, err := nextDaySample(ctx, o, s.latencyEvents, rep.Events)
	if err != nil {
		return rep, err
	}
	fmt.Fprintf(progress, "latency: publishing %d events of day %d at %.0f ev/s\n", len(sample), o.days+1, s.rate)
	took, err := publishPaced(ctx, js, sample, s.rate)
	if err != nil {
		return rep, err
	}
	rep.LatencyPublishedRate = float64(len(sample)) / took.Seconds()
	total, last, err := streamState(ctx, js)
	if err != nil {
		return rep, err
	}
	rep.LatencyEvents = total - rep.Events
	if err := waitAcked(ctx, js, a, last, s.pollEvery, nil); err != nil {
		return rep, err
	}
	done, err := sc.scrape(ctx)
	if err != nil {
		return rep, err
	}
	lat := histogramDelta(caught.lag, done.lag)
	rep.LatencySamples = lat.count
	if rep.LatencySamples == 0 {
		return rep, errors.New("the aggregator observed no latency while applying the paced events (exhaust_event_lag_seconds did not change)")
	}
	rep.LatencyP50Ms = lat.quantile(0.50) * 1000
	rep.LatencyP99Ms = lat.quantile(0.99) * 1000
	if err := rep.setQueues(caught, done); err != nil {
		return rep, fmt.Errorf("scrape %s: %w", sc.url, err)
	}
	rep.LatencySnapshots = done.snapshots - caught.snapshots
	if rep.Snapshots = done.snapshots; rep.Snapshots > 0 {
		rep.SnapshotEncodeSecondsMean = done.encodeSecs / float64(done.snapshots)
		rep.SnapshotStoreSecondsMean = done.storeSecs / float64(done.snapshots)
	}
	rep.SnapshotBytes = done.snapshotBytes

	// 4. Stop the aggregator for its peak RSS.
	if err := a.stop(); err != nil {
		return rep, err
	}
	rep.AggregatorPeakRSSBytes = a.peakRSS

	// 5. The reference latency, the aggregator stopped.
	fmt.Fprintf(progress, "reference: publishing the %d events again at %.0f ev/s to a consumer that only reads them\n", len(sample), s.rate)
	ref, err := referenceLag(ctx, js, sample, s.rate)
	if err != nil {
		return rep, err
	}
	rep.ReferenceLatencyP50Ms, rep.ReferenceLatencyP99Ms = ref.quantile(0.50)*1000, ref.quantile(0.99)*1000
	persons := float64(o.persons)
	rep.ProducerPeakRSSBytesPerPerson = float64(rep.ProducerPeakRSSBytes) / persons
	rep.AggregatorRSSBytesPerPerson = float64(rep.AggregatorRSSBytes) / persons
	rep.AggregatorPeakRSSBytesPerPerson = float64(rep.AggregatorPeakRSSBytes) / persons
	return rep, nil
}

// childArgs are the simulation and stream flags as produce takes them, so
// that the child plays exactly what bench scale was asked for.
func (o *simOptions) childArgs() []string {
	args := []string{
		"--seed", strconv.FormatInt(o.seed, 10),
		"--persons", strconv.Itoa(o.persons),
		"--days", strconv.Itoa(o.days),
		"--start", o.start,
		"--dedup-window", o.dedup.String(),
		"--stream-max-age", o.maxAge.String(),
		"--stream-max-bytes", strconv.FormatInt(int64(o.maxBytes), 10),
	}
	if len(o.producers) > 0 {
		args = append(args, "--producers", o.producers.String())
	}
	return args
}

// streamState returns how many messages the EXHAUST stream holds and its
// last sequence.
func streamState(ctx context.Context, js jetstream.JetStream) (msgs, last uint64, err error) {
	st, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", natsbus.StreamName, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", natsbus.StreamName, err)
	}
	return info.State.Msgs, info.State.LastSeq, nil
}

// scaleRate is the aggregator's rate from its progress samples on a
// stream of total messages (sequences 1 to total): the messages acked
// between the first and the last poll that saw it mid-stream, over the
// time between them. Both ends are measured instants, so neither the
// start-up nor the polling interval at the end biases it. With fewer than
// two such polls it falls back to all messages over the time from began to
// the last poll.
func scaleRate(samples []ackProgress, total uint64, began time.Time) float64 {
	var mid []ackProgress
	for _, s := range samples {
		if s.acked > 0 && s.acked < total {
			mid = append(mid, s)
		}
	}
	if len(mid) >= 2 {
		first, last := mid[0], mid[len(mid)-1]
		if d := last.at.Sub(first.at).Seconds(); d > 0 && last.acked > first.acked {
			return float64(last.acked-first.acked) / d
		}
	}
	if len(samples) == 0 {
		return 0
	}
	return float64(total) / samples[len(samples)-1].at.Sub(began).Seconds()
}

// errSampled stops the simulation once the sample is complete.
var errSampled = errors.New("sample complete")

// sampleSink keeps n events in a row after skipping skip.
type sampleSink struct {
	skip, n, seen int
	msgs          []streamMsg
}

func (s *sampleSink) Publish(_ context.Context, subject, id string, payload []byte) error {
	if s.seen >= s.skip {
		s.msgs = append(s.msgs, streamMsg{subject: subject, id: id, data: bytes.Clone(payload)})
	}
	s.seen++
	if len(s.msgs) == s.n {
		return errSampled
	}
	return nil
}

func (s *sampleSink) Flush(context.Context) error { return nil }

// nextDaySample makes n events in a row from the middle of the day after
// the run: the same city's next day (days are pure functions of the
// configuration), so the aggregator meets new events of known people, as
// it would at this point of a real run. In a row, so that simulated time
// advances per event as in the real stream: work the aggregator does per
// simulated hour (bins closing, reviews) weighs on each event as it does
// in production, which a sample spread thinly over the day would multiply.
// stored events were published in the run's days: a day's mean locates
// its middle.
func nextDaySample(ctx context.Context, o *simOptions, n int, stored uint64) ([]streamMsg, error) {
	start, _ := o.startDate()
	w, err := world.New(world.Config{Seed: o.seed, Persons: o.persons, Start: start})
	if err != nil {
		return nil, err
	}
	clk, err := clock.New(start, 1, true)
	if err != nil {
		return nil, err
	}
	selected, _ := producers.Select(o.producers)
	sink := &sampleSink{skip: max(0, int(stored)/o.days/2-n/2), n: n}
	runner, err := sim.New(sim.Config{World: w, Seed: o.seed, FirstDay: o.days + 1, Days: 1, Producers: selected, Clock: clk, Sink: sink})
	if err != nil {
		return nil, err
	}
	if err := runner.Run(ctx); err != nil && !errors.Is(err, errSampled) {
		return nil, fmt.Errorf("make day %d: %w", o.days+1, err)
	}
	if len(sink.msgs) == 0 {
		return nil, fmt.Errorf("day %d has no events to measure latency with", o.days+1)
	}
	return sink.msgs, nil
}

// publishPaced publishes msgs to JetStream, message i at i/rate seconds
// after the first, and waits for every ack. When a sleep overshoots, the
// late messages go at once, so the mean rate holds and bursts are no
// longer than the timer's resolution. It returns the time from the first
// publish to the last.
func publishPaced(ctx context.Context, js jetstream.JetStream, msgs []streamMsg, rate float64) (time.Duration, error) {
	interval := time.Duration(float64(time.Second) / rate)
	acks := make([]jetstream.PubAckFuture, len(msgs))
	begin := time.Now()
	var last time.Time
	for i, m := range msgs {
		if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d) // pacing
		}
		// A server slowed by the aggregator (two cores) may hold more acks
		// than the client's window: wait for room as long as for the acks
		// rather than fail after the default 200 ms; the published rate in
		// the report shows whether the pace held.
		f, err := js.PublishAsync(m.subject, m.data, jetstream.WithMsgID(m.id), jetstream.WithStallWait(benchWait))
		if err != nil {
			return 0, fmt.Errorf("publish %s: %w", m.subject, err)
		}
		acks[i], last = f, time.Now()
	}
	took := last.Sub(begin)
	wctx, cancel := context.WithTimeout(ctx, benchWait)
	defer cancel()
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return 0, fmt.Errorf("publish %s: %w", f.Msg().Subject, err)
		case <-wctx.Done():
			return 0, fmt.Errorf("waiting for publish acks: %w", wctx.Err())
		}
	}
	return max(took, time.Nanosecond), nil
}

// setQueues reads the queue depths of the catch-up (from the
// aggregator's start to caught) and of the paced events (caught to done).
func (r *scaleReport) setQueues(caught, done scrape) error {
	for _, q := range []string{promexport.QueueApplier, promexport.QueueSide} {
		if caught.queues[q] == nil || done.queues[q] == nil {
			return fmt.Errorf("no exhaust_queue_depth{queue=%q} histogram", q)
		}
	}
	read := func(before, after scrape, q string, mean, p99 *float64) {
		d := histogramDelta(before.queues[q], after.queues[q])
		if d.count == 0 {
			// Nothing observed: validation on the applying goroutine
			// (--workers -1) queues nothing ahead of it.
			*mean, *p99 = 0, 0
			return
		}
		*mean, *p99 = d.mean(), d.quantile(0.99)
	}
	read(scrape{}, caught, promexport.QueueApplier, &r.QueueCatchupApplierMean, &r.QueueCatchupApplierP99)
	read(scrape{}, caught, promexport.QueueSide, &r.QueueCatchupSideMean, &r.QueueCatchupSideP99)
	read(caught, done, promexport.QueueApplier, &r.QueuePacedApplierMean, &r.QueuePacedApplierP99)
	read(caught, done, promexport.QueueSide, &r.QueuePacedSideMean, &r.QueuePacedSideP99)
	return nil
}

// print writes the report for a person to read.
func (r *scaleReport) print(w io.Writer) {
	p := float64(r.Persons)
	fmt.Fprintf(w, "bench scale, %d people × %d day(s), seed %d: %d events (%d applied, %d rejected)\n",
		r.Persons, r.Days, r.Seed, r.Events, r.EventsApplied, r.EventsRejected)
	fmt.Fprintf(w, "  producer   (exhaust produce --fast, whole run): %.0f ev/s (%.1f s); peak RSS %s, %.1f KiB per person\n",
		r.ProducerEventsPerSecond, r.ProducerSeconds, mib(r.ProducerPeakRSSBytes), float64(r.ProducerPeakRSSBytes)/p/1024)
	fmt.Fprintf(w, "  aggregator (exhaust aggregate, applying the stream): %.0f ev/s (caught up after %.1f s); RSS after catching up %s, %.1f KiB per person; peak RSS %s, %.1f KiB per person\n",
		r.AggregatorEventsPerSecond, r.AggregatorSeconds, mib(r.AggregatorRSSBytes), r.AggregatorRSSBytesPerPerson/1024,
		mib(r.AggregatorPeakRSSBytes), r.AggregatorPeakRSSBytesPerPerson/1024)
	fmt.Fprintf(w, "  accuracy once caught up (%d people's truth): pairwise precision %.3f, recall %.3f, F1 %.3f\n",
		r.AccuracyPersons, r.PairwisePrecision, r.PairwiseRecall, r.PairwiseF1)
	fmt.Fprintf(w, "  latency, stored → facts applied, %d events at %.0f ev/s (published at %.0f ev/s): p50 %.2f ms, p99 %.2f ms (exhaust_event_lag_seconds, %d observations)\n",
		r.LatencyEvents, r.LatencyRate, r.LatencyPublishedRate, r.LatencyP50Ms, r.LatencyP99Ms, r.LatencySamples)
	fmt.Fprintf(w, "  reference, the same events read by a consumer doing nothing else, the aggregator stopped: p50 %.2f ms, p99 %.2f ms\n",
		r.ReferenceLatencyP50Ms, r.ReferenceLatencyP99Ms)
	fmt.Fprintf(w, "  queues (exhaust_queue_depth, mean and p99): catching up, applier %.0f, %.0f and side %.0f, %.0f; paced, applier %.1f, %.1f and side %.1f, %.1f\n",
		r.QueueCatchupApplierMean, r.QueueCatchupApplierP99, r.QueueCatchupSideMean, r.QueueCatchupSideP99,
		r.QueuePacedApplierMean, r.QueuePacedApplierP99, r.QueuePacedSideMean, r.QueuePacedSideP99)
	fmt.Fprintf(w, "  snapshots: %d (%d while measuring latency), %.3f s serialising each on average (events wait), %.3f s storing (in the background); the last %s\n",
		r.Snapshots, r.LatencySnapshots, r.SnapshotEncodeSecondsMean, r.SnapshotStoreSecondsMean, mib(r.SnapshotBytes))
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

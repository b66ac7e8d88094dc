package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/clock"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/producers"
	"exhaust/service"
	"exhaust/sim"
	"exhaust/world"
)

// Targets of the aggregator benchmark (issue 3, docs/performance.md).
const (
	targetCoreRatio     = 0.5  // of a raw core-NATS subscriber's throughput
	targetJetRatio      = 0.9  // of a raw JetStream consumer's throughput
	targetBytesInPerson = 2048 // live heap per person
)

// benchWait bounds one measurement: a stuck consumer fails the run instead
// of hanging it.
const benchWait = 10 * time.Minute

// benchAggregateOptions are bench aggregate's own flags.
type benchAggregateOptions struct {
	rounds        int
	workers       int
	reference     bool
	latencyRate   float64
	latencyEvents int
	memPersons    []int
	memDays       int
	json          bool
}

// aggregateReport is bench aggregate's result, printed with --json. Its
// field names are a contract: scripts and tests decode them. Rates are
// medians over the rounds, in events per second.
type aggregateReport struct {
	Persons int `json:"persons"`
	Days    int `json:"days"`
	Rounds  int `json:"rounds"`
	Workers int `json:"workers"`
	Events  int `json:"events"`

	// Ratio is RatioCore: the Engine's throughput against the cheapest
	// consumer there is, the figure issue 3 and issue 11 set targets on.
	Ratio          float64 `json:"ratio"`
	RatioCore      float64 `json:"ratio_core"`      // aggregator over core NATS / raw core-NATS subscriber
	RatioJetStream float64 `json:"ratio_jetstream"` // service / raw durable JetStream consumer

	CoreRawEventsPerSecond           float64 `json:"core_raw_events_per_second"`
	CoreAggregatorEventsPerSecond    float64 `json:"core_aggregator_events_per_second"`
	JetStreamRawEventsPerSecond      float64 `json:"jetstream_raw_events_per_second"`
	ServiceEventsPerSecond           float64 `json:"service_events_per_second"`
	ServiceSequentialEventsPerSecond float64 `json:"service_sequential_events_per_second"`
	ServiceReferenceEventsPerSecond  float64 `json:"service_reference_events_per_second,omitempty"` // with --reference

	// Latency, publish to applied in process; absent with --latency-rate 0.
	LatencyEvents int     `json:"latency_events,omitempty"`
	LatencyRate   float64 `json:"latency_rate,omitempty"`
	LatencyP50Ms  float64 `json:"latency_p50_ms,omitempty"`
	LatencyP95Ms  float64 `json:"latency_p95_ms,omitempty"`
	LatencyP99Ms  float64 `json:"latency_p99_ms,omitempty"`

	// Live heap per population; absent with --mem-persons "".
	Memory                       []memoryPoint `json:"memory,omitempty"`
	MemoryMarginalBytesPerPerson float64       `json:"memory_marginal_bytes_per_person,omitempty"`
}

// memoryPoint is the live heap of an Engine after --mem-days of a city.
type memoryPoint struct {
	Persons        int     `json:"persons"`
	Events         uint64  `json:"events"`
	Profiles       int     `json:"profiles"`
	LiveHeapBytes  uint64  `json:"live_heap_bytes"`
	BytesPerPerson float64 `json:"bytes_per_person"`
}

func runBenchAggregate(ctx context.Context, args []string, env *cliEnv) error {
	var o simOptions
	var b benchAggregateOptions
	fs := newFlagSet("bench aggregate", "bench aggregate [flags]",
		"Measures the aggregator against raw NATS consumers on one embedded server.\n"+
			"The simulation's events for --persons and --days are generated once; each\n"+
			"round then times, alternately: a raw core-NATS subscriber that does nothing\n"+
			"and the aggregator fed over core NATS (validate, Engine.Apply); a raw\n"+
			"JetStream durable pull consumer that only acks and the aggregator service\n"+
			"(service.Service) on the same stream. Medians and ratios are reported, then\n"+
			"end-to-end latency (publish to applied) at a paced rate, then the live heap\n"+
			"per person after applying --mem-days of each --mem-persons population.\n"+
			"See docs/performance.md.",
		env.stdout)
	o.register(fs, 1)
	setDefault(fs, "persons", "500")
	fs.IntVar(&b.rounds, "rounds", 3, "rounds of each throughput measurement; medians are reported")
	fs.IntVar(&b.workers, "workers", 0, "validating goroutines of the aggregator (0: one per processor; negative: validate on the applying goroutine)")
	fs.BoolVar(&b.reference, "reference", true, "also time the service as it was before the fast validator: reference validator, no workers")
	fs.Float64Var(&b.latencyRate, "latency-rate", 1000, "events per second published while measuring latency (0: skip)")
	fs.IntVar(&b.latencyEvents, "latency-events", 5000, "events published while measuring latency")
	mem := csvFlag{"2000", "5000"}
	fs.Var(&mem, "mem-persons", "populations whose live heap after --mem-days is measured, comma-separated (empty: skip)")
	fs.IntVar(&b.memDays, "mem-days", 1, "days applied before measuring memory")
	fs.BoolVar(&b.json, "json", false, "print one JSON object on stdout (progress goes to stderr; docs/performance.md)")
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
	case b.rounds < 1:
		return fmt.Errorf("--rounds must be at least 1, got %d", b.rounds)
	case b.latencyRate < 0:
		return fmt.Errorf("--latency-rate must be 0 (skip) or positive, got %v", b.latencyRate)
	case b.latencyRate > 0 && b.latencyEvents < 1:
		return fmt.Errorf("--latency-events must be at least 1, got %d", b.latencyEvents)
	case b.memDays < 1:
		return fmt.Errorf("--mem-days must be at least 1, got %d", b.memDays)
	}
	for _, s := range mem {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("--mem-persons wants populations like 2000,5000, got %q", s)
		}
		b.memPersons = append(b.memPersons, n)
	}
	if b.workers == 0 {
		b.workers = service.DefaultWorkers()
	}
	out := env.stdout
	if b.json {
		out = env.stderr
	}
	rep, err := benchAggregate(ctx, &o, &b, out)
	if err != nil || !b.json {
		return err
	}
	return json.NewEncoder(env.stdout).Encode(rep)
}

// setDefault changes a registered flag's default value.
func setDefault(fs *flag.FlagSet, name, value string) {
	f := fs.Lookup(name)
	_ = f.Value.Set(value)
	f.DefValue = value
}

func benchAggregate(ctx context.Context, o *simOptions, b *benchAggregateOptions, out io.Writer) (*aggregateReport, error) {
	rep := &aggregateReport{Persons: o.persons, Days: o.days, Rounds: b.rounds, Workers: b.workers}
	log := slog.New(slog.DiscardHandler)
	validator, err := event.NewValidator(producers.Schemas(producers.All()...))
	if err != nil {
		return nil, err
	}
	refValidator, err := event.NewValidator(producers.Schemas(producers.All()...), event.WithReference())
	if err != nil {
		return nil, err
	}
	start, _ := o.startDate()
	selected, _ := producers.Select(o.producers)
	fmt.Fprintf(out, "machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s; aggregator workers %d\n",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), b.workers)
	// Memory first, in a process that holds nothing else yet: the
	// embedded server's caches would come and go during the measurement.
	if len(b.memPersons) > 0 {
		if err := benchMemory(ctx, o, b, selected, start, validator, out, rep); err != nil {
			return nil, err
		}
	}

	w, err := world.New(world.Config{Seed: o.seed, Persons: o.persons, Start: start})
	if err != nil {
		return nil, err
	}
	began := time.Now()
	msgs, err := generateStream(ctx, o, w, selected, start)
	if err != nil {
		return nil, err
	}
	var size int
	for _, m := range msgs {
		size += len(m.data)
	}
	rep.Events = len(msgs)
	fmt.Fprintf(out, "bench aggregate: %d people, %d day(s): %d events, mean %d B (generated in %v)\n",
		o.persons, o.days, len(msgs), size/len(msgs), time.Since(began).Round(time.Millisecond))
	if o.maxBytes > 0 && int64(size)+int64(len(msgs))*256 > int64(o.maxBytes) { // 256: a generous allowance for headers
		return nil, fmt.Errorf("the stream would not hold the %d events (%d bytes of payload) within --stream-max-bytes %v: raise it, or 0 for no limit", len(msgs), size, &o.maxBytes)
	}

	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", Logger: log})
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	fmt.Fprintf(out, "embedded nats-server %s, JetStream store %s\n", srv.URL(), srv.StoreDir())
	connect := func(name string) (*nats.Conn, error) {
		return natsbus.Connect(ctx, srv.URL(), name, log)
	}
	pubNC, err := connect("bench-publisher")
	if err != nil {
		return nil, err
	}
	defer pubNC.Close()
	subNC, err := connect("bench-consumer")
	if err != nil {
		return nil, err
	}
	defer subNC.Close()
	js, err := jetstream.New(subNC)
	if err != nil {
		return nil, err
	}
	pubJS, err := jetstream.New(pubNC)
	if err != nil {
		return nil, err
	}

	// The JetStream stream, filled once: every consumer reads the same.
	if err := resetStream(ctx, pubJS, o); err != nil {
		return nil, err
	}
	if err := fillStream(ctx, pubJS, msgs); err != nil {
		return nil, err
	}
	last := uint64(len(msgs))

	var m benchMeasures
	for r := 1; r <= b.rounds; r++ {
		if err := m.round(ctx, r, b, msgs, pubNC, subNC, js, validator, refValidator, last, out); err != nil {
			return nil, err
		}
	}
	m.report(out, b, rep)

	if b.latencyRate > 0 {
		if err := benchLatency(ctx, pubJS, js, o, b, msgs, validator, out, rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// streamMsg is one pre-generated event.
type streamMsg struct {
	subject, id string
	data        []byte
}

// collectSink keeps what the simulation publishes.
type collectSink struct{ msgs []streamMsg }

func (c *collectSink) Publish(_ context.Context, subject, id string, payload []byte) error {
	c.msgs = append(c.msgs, streamMsg{subject: subject, id: id, data: bytes.Clone(payload)})
	return nil
}

func (c *collectSink) Flush(context.Context) error { return nil }

// generateStream runs the simulation as fast as it goes and returns its
// events in publishing order.
func generateStream(ctx context.Context, o *simOptions, w *world.World, ps []producers.Producer, start time.Time) ([]streamMsg, error) {
	clk, err := clock.New(start, 1, true)
	if err != nil {
		return nil, err
	}
	sink := &collectSink{}
	runner, err := sim.New(sim.Config{World: w, Seed: o.seed, Days: o.days, Producers: ps, Clock: clk, Sink: sink})
	if err != nil {
		return nil, err
	}
	if err := runner.Run(ctx); err != nil {
		return nil, err
	}
	if len(sink.msgs) == 0 {
		return nil, errors.New("bench: the simulation published nothing")
	}
	return sink.msgs, nil
}

// fillStream publishes msgs to the EXHAUST stream and waits for every ack.
func fillStream(ctx context.Context, js jetstream.JetStream, msgs []streamMsg) error {
	pub, err := natsbus.NewPublisher(js, natsbus.PublisherOptions{})
	if err != nil {
		return err
	}
	defer pub.Close()
	for _, m := range msgs {
		if err := pub.Publish(ctx, m.subject, m.id, m.data); err != nil {
			return err
		}
	}
	return pub.Flush(ctx)
}

// measure is one timed run: its throughput, and the CPU time the whole
// process (embedded server included) spent per event during it.
type measure struct {
	rate float64       // events per second
	cpu  time.Duration // per event; 0 when unknown
}

// benchMeasures are every round's measures.
type benchMeasures struct {
	coreRaw, coreAgg, jetRaw, service, serviceSeq, serviceRef []measure
}

// timed runs f, which returns the time the measured part took, and turns it
// into a measure for n events.
func timed(n int, f func() (time.Duration, error)) (measure, error) {
	cpu0, ok0 := processCPU()
	took, err := f()
	cpu1, ok1 := processCPU()
	if err != nil {
		return measure{}, err
	}
	m := measure{rate: float64(n) / took.Seconds()}
	if ok0 && ok1 {
		m.cpu = (cpu1 - cpu0) / time.Duration(n)
	}
	return m, nil
}

func (m *benchMeasures) round(ctx context.Context, r int, b *benchAggregateOptions, msgs []streamMsg, pubNC, subNC *nats.Conn,
	js jetstream.JetStream, v, refV *event.Validator, last uint64, out io.Writer) error {
	n := len(msgs)
	runs := []struct {
		into *[]measure
		run  func() (time.Duration, error)
	}{
		{&m.coreRaw, func() (time.Duration, error) { return benchCoreRaw(ctx, pubNC, subNC, msgs) }},
		{&m.coreAgg, func() (time.Duration, error) { return benchCoreAggregator(ctx, pubNC, subNC, msgs, v, b.workers) }},
		{&m.jetRaw, func() (time.Duration, error) { return benchJetRaw(ctx, js, fmt.Sprintf("bench-raw-%d", r), n) }},
		{&m.service, func() (time.Duration, error) {
			return benchService(ctx, js, v, fmt.Sprintf("bench-svc-%d", r), b.workers, last)
		}},
		{&m.serviceSeq, func() (time.Duration, error) {
			return benchService(ctx, js, v, fmt.Sprintf("bench-seq-%d", r), -1, last)
		}},
	}
	if b.reference {
		runs = append(runs, struct {
			into *[]measure
			run  func() (time.Duration, error)
		}{&m.serviceRef, func() (time.Duration, error) {
			return benchService(ctx, js, refV, fmt.Sprintf("bench-ref-%d", r), -1, last)
		}})
	}
	for _, run := range runs {
		x, err := timed(n, run.run)
		if err != nil {
			return err
		}
		*run.into = append(*run.into, x)
	}
	i := r - 1
	fmt.Fprintf(out, "round %d: core NATS raw %s, aggregator %s (%.3f) | JetStream raw %s, service %s (%.3f), sequential %s",
		r, m.coreRaw[i], m.coreAgg[i], m.coreAgg[i].rate/m.coreRaw[i].rate, m.jetRaw[i], m.service[i], m.service[i].rate/m.jetRaw[i].rate, m.serviceSeq[i])
	if b.reference {
		fmt.Fprintf(out, ", reference validator %s", m.serviceRef[i])
	}
	fmt.Fprintln(out)
	return nil
}

func (x measure) String() string {
	if x.cpu == 0 {
		return fmt.Sprintf("%.0f ev/s", x.rate)
	}
	return fmt.Sprintf("%.0f ev/s (%.1f µs CPU/ev)", x.rate, float64(x.cpu)/float64(time.Microsecond))
}

// medianOf returns the median rate and the median CPU time per event.
func medianOf(xs []measure) measure {
	rates, cpus := make([]float64, len(xs)), make([]float64, len(xs))
	for i, x := range xs {
		rates[i], cpus[i] = x.rate, float64(x.cpu)
	}
	return measure{rate: median(rates), cpu: time.Duration(median(cpus))}
}

func (m *benchMeasures) report(out io.Writer, b *benchAggregateOptions, rep *aggregateReport) {
	cr, ca, jr, sv, ss := medianOf(m.coreRaw), medianOf(m.coreAgg), medianOf(m.jetRaw), medianOf(m.service), medianOf(m.serviceSeq)
	rep.RatioCore, rep.RatioJetStream = ca.rate/cr.rate, sv.rate/jr.rate
	rep.Ratio = rep.RatioCore
	rep.CoreRawEventsPerSecond, rep.CoreAggregatorEventsPerSecond = cr.rate, ca.rate
	rep.JetStreamRawEventsPerSecond, rep.ServiceEventsPerSecond, rep.ServiceSequentialEventsPerSecond = jr.rate, sv.rate, ss.rate
	fmt.Fprintf(out, "median over %d rounds (CPU: the whole process, embedded server included):\n", b.rounds)
	fmt.Fprintf(out, "  core NATS: raw subscriber %s, aggregator %s: ratio %.3f (target ≥ %.1f: %s)\n",
		cr, ca, ca.rate/cr.rate, targetCoreRatio, met(ca.rate/cr.rate >= targetCoreRatio))
	fmt.Fprintf(out, "  JetStream: raw consumer %s, service %s: ratio %.3f (target ≥ %.1f: %s)\n",
		jr, sv, sv.rate/jr.rate, targetJetRatio, met(sv.rate/jr.rate >= targetJetRatio))
	fmt.Fprintf(out, "  service validating on the applying goroutine: %s (ratio %.3f)\n", ss, ss.rate/jr.rate)
	if len(m.serviceRef) > 0 {
		sr := medianOf(m.serviceRef)
		rep.ServiceReferenceEventsPerSecond = sr.rate
		fmt.Fprintf(out, "  service with the reference validator, no workers (before): %s (ratio %.3f)\n", sr, sr.rate/jr.rate)
	}
}

// processCPU returns the CPU time, user and system, the process has used
// so far, from /proc/self/stat (Linux; ok is false elsewhere). Its unit is
// the clock tick, 10 ms on Linux (USER_HZ is 100 on every common build).
func processCPU() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return 0, false
	}
	f := strings.Fields(string(b[i+2:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseUint(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const userHZ = 100
	return time.Duration(utime+stime) * time.Second / userHZ, true
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// benchCoreRaw times a core-NATS subscriber that only counts, from the
// first publish to the last message received.
func benchCoreRaw(ctx context.Context, pubNC, subNC *nats.Conn, msgs []streamMsg) (time.Duration, error) {
	done := make(chan struct{})
	count := 0
	return coreRound(ctx, pubNC, subNC, msgs, func(*nats.Msg) {
		count++ // the callback runs on one goroutine
		if count == len(msgs) {
			close(done)
		}
	}, done)
}

// coreJob is one message between the subscription and the applier.
type coreJob struct {
	data []byte
	ev   *event.Event
	err  error
	done chan struct{}
}

// benchCoreAggregator times the aggregator fed over core NATS, from the
// first publish to the last event applied: the service's path without
// JetStream (workers validate, one goroutine applies in arrival order).
func benchCoreAggregator(ctx context.Context, pubNC, subNC *nats.Conn, msgs []streamMsg, v *event.Validator, workers int) (time.Duration, error) {
	engine := aggregator.New(aggregator.DefaultConfig())
	done := make(chan struct{})
	var failed error
	order := make(chan *coreJob, 1024)
	work := make(chan *coreJob, 1024)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for j := range work {
				j.ev, j.err = v.Validate(j.data)
				close(j.done)
			}
		})
	}
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		var seq uint64
		for j := range order {
			<-j.done
			seq++
			if j.err == nil {
				if _, err := engine.Apply(seq, j.ev); err != nil && failed == nil {
					failed = err
				}
			} else if failed == nil {
				failed = j.err
			}
			if seq == uint64(len(msgs)) {
				close(done)
			}
		}
	}()
	handle := func(m *nats.Msg) {
		j := &coreJob{data: m.Data, done: make(chan struct{})}
		if workers < 0 {
			j.ev, j.err = v.Validate(j.data)
			close(j.done)
			order <- j
			return
		}
		order <- j
		work <- j
	}
	took, err := coreRound(ctx, pubNC, subNC, msgs, handle, done)
	if err != nil {
		return 0, err // the handler may still be running: leave it
	}
	close(work)
	close(order)
	wg.Wait()
	<-applied
	if failed != nil {
		err = fmt.Errorf("bench: the aggregator failed on a generated event: %w", failed)
	}
	return took, err
}

// coreRound subscribes h, publishes msgs over core NATS (outside exhaust.>,
// so the EXHAUST stream does not store them) and returns the time from the
// first publish until done is closed.
func coreRound(ctx context.Context, pubNC, subNC *nats.Conn, msgs []streamMsg, h nats.MsgHandler, done <-chan struct{}) (time.Duration, error) {
	sub, err := subNC.Subscribe("benchcore.>", h)
	if err != nil {
		return 0, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	// Never drop: a slow subscriber queues in its client instead.
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return 0, err
	}
	if err := subNC.Flush(); err != nil { // the interest reached the server
		return 0, err
	}
	subjects := make([]string, len(msgs))
	for i, m := range msgs {
		subjects[i] = "benchcore." + m.subject
	}
	start := time.Now()
	for i, m := range msgs {
		if err := pubNC.Publish(subjects[i], m.data); err != nil {
			return 0, err
		}
	}
	if err := pubNC.Flush(); err != nil {
		return 0, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(benchWait):
		return 0, errors.New("bench: core-NATS round timed out")
	}
	return time.Since(start), nil
}

// benchJetRaw times a new durable pull consumer that acks every message
// and does nothing else, from its creation to the last ack sent.
func benchJetRaw(ctx context.Context, js jetstream.JetStream, name string, n int) (time.Duration, error) {
	start := time.Now()
	cons, err := js.CreateConsumer(ctx, natsbus.StreamName, jetstream.ConsumerConfig{
		Durable: name, AckPolicy: jetstream.AckExplicitPolicy, AckWait: natsbus.DefaultAckWait,
		MaxAckPending: natsbus.DefaultMaxAckPending, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, err
	}
	defer func() { _ = js.DeleteConsumer(context.WithoutCancel(ctx), natsbus.StreamName, name) }()
	it, err := cons.Messages(jetstream.PullMaxMessages(natsbus.DefaultBatch))
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	wctx, cancel := context.WithTimeout(ctx, benchWait)
	defer cancel()
	for range n {
		m, err := it.Next(jetstream.NextContext(wctx))
		if err != nil {
			return 0, fmt.Errorf("raw consumer: %w", err)
		}
		if err := m.Ack(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// benchService times a new aggregator service (its own durable and
// snapshot object) from Run to the last stream sequence handled.
func benchService(ctx context.Context, js jetstream.JetStream, v *event.Validator, name string, workers int, last uint64) (time.Duration, error) {
	svc, stop, err := startService(ctx, js, v, name, workers, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	err = waitHandled(ctx, svc, last)
	took := time.Since(start)
	if serr := stop(); err == nil {
		err = serr
	}
	if err == nil {
		if st := svc.Stats(); st.Applied != last {
			err = fmt.Errorf("bench: the service applied %d of %d events (%d rejected)", st.Applied, last, st.Rejected)
		}
	}
	return took, err
}

// startService runs a Service with a new Engine under the durable and
// snapshot object name; stop stops it and deletes both.
func startService(ctx context.Context, js jetstream.JetStream, v *event.Validator, name string, workers int, obs service.Observer) (*service.Service, func() error, error) {
	svc, err := service.New(service.Config{
		JS: js, Engine: aggregator.New(aggregator.DefaultConfig()), Validator: v,
		Consumer: name, SnapshotObject: name, Workers: workers, Observer: obs,
		Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(rctx) }()
	stop := func() error {
		cancel()
		err := <-done
		cctx := context.WithoutCancel(ctx)
		_ = js.DeleteConsumer(cctx, natsbus.StreamName, name)
		if store, serr := natsbus.OpenSnapshotStore(cctx, js, name); serr == nil {
			_ = store.Delete(cctx)
		}
		return err
	}
	return svc, stop, nil
}

// waitHandled polls until svc has handled sequence last.
func waitHandled(ctx context.Context, svc *service.Service, last uint64) error {
	deadline := time.Now().Add(benchWait)
	for svc.Stats().LastSeq < last {
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: the service handled %d of %d messages in %v (%v)", svc.Stats().LastSeq, last, benchWait, svc.Ready())
		}
		time.Sleep(time.Millisecond) // polling interval: 0.1% of a 1 s run
	}
	return nil
}

// latencyObserver records when each applied event's effects became
// visible. The service calls it from its applying goroutine, in stream
// order, right after Engine.Apply returned.
type latencyObserver struct {
	service.NopObserver
	applied []time.Time
}

func (l *latencyObserver) Lag(time.Duration) {
	if len(l.applied) < cap(l.applied) {
		l.applied = append(l.applied, time.Now())
	}
}

// benchLatency publishes events at a steady rate to an empty stream that
// a running service consumes, and measures for each event the time from
// just before its publish to its effects being visible in the Engine.
func benchLatency(ctx context.Context, pubJS, js jetstream.JetStream, o *simOptions, b *benchAggregateOptions, msgs []streamMsg, v *event.Validator, out io.Writer, rep *aggregateReport) error {
	n := min(b.latencyEvents, len(msgs))
	if err := resetStream(ctx, pubJS, o); err != nil {
		return err
	}
	obs := &latencyObserver{applied: make([]time.Time, 0, n)}
	svc, stop, err := startService(ctx, js, v, "bench-latency", b.workers, obs)
	if err != nil {
		return err
	}
	for svc.Ready() != nil {
		if err := ctx.Err(); err != nil {
			_ = stop()
			return err
		}
		time.Sleep(time.Millisecond) // polling interval
	}
	published := make([]time.Time, n)
	interval := time.Duration(float64(time.Second) / b.latencyRate)
	begin := time.Now()
	for i := range n {
		if d := time.Until(begin.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d) // pacing
		}
		published[i] = time.Now()
		if _, err := pubJS.PublishAsync(msgs[i].subject, msgs[i].data, jetstream.WithMsgID(msgs[i].id)); err != nil {
			_ = stop()
			return err
		}
	}
	err = waitHandled(ctx, svc, uint64(n))
	if serr := stop(); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if st := svc.Stats(); st.Applied != uint64(n) || len(obs.applied) != n {
		return fmt.Errorf("bench: %d of %d events applied (%d rejected): latencies cannot be matched to events", st.Applied, n, st.Rejected)
	}
	lat := make([]float64, n)
	for i := range n {
		lat[i] = float64(obs.applied[i].Sub(published[i])) / float64(time.Millisecond)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(n-1, int(p*float64(n)))] }
	rep.LatencyEvents, rep.LatencyRate = n, b.latencyRate
	rep.LatencyP50Ms, rep.LatencyP95Ms, rep.LatencyP99Ms = pct(0.50), pct(0.95), pct(0.99)
	fmt.Fprintf(out, "latency, publish to applied (visible in the Engine), %d events at %.0f ev/s over JetStream: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		n, b.latencyRate, pct(0.50), pct(0.95), pct(0.99), lat[n-1])
	return nil
}

// applySink validates and applies every event it is given, in order.
type applySink struct {
	v      *event.Validator
	engine *aggregator.Engine
	seq    uint64
}

func (a *applySink) Publish(_ context.Context, _, _ string, payload []byte) error {
	ev, err := a.v.Validate(payload)
	if err != nil {
		return err
	}
	a.seq++
	_, err = a.engine.Apply(a.seq, ev)
	return err
}

func (a *applySink) Flush(context.Context) error { return nil }

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// benchMemory measures, for each population, the live heap an Engine holds
// after applying its --mem-days days: the heap after a full GC with the
// Engine, minus the heap before it was created, the world alive in both.
// A small run first fills the city's route caches, which do not grow with
// the population.
func benchMemory(ctx context.Context, o *simOptions, b *benchAggregateOptions, ps []producers.Producer, start time.Time, v *event.Validator, out io.Writer, rep *aggregateReport) error {
	warm, err := world.New(world.Config{Seed: o.seed, Persons: 50, Start: start})
	if err != nil {
		return err
	}
	if err := applyDays(ctx, o.seed, b.memDays, warm, ps, start, v, aggregator.New(aggregator.DefaultConfig())); err != nil {
		return err
	}
	type point struct {
		persons  int
		bytes    uint64
		profiles int
	}
	var points []point
	for _, persons := range b.memPersons {
		began := time.Now()
		w, err := world.New(world.Config{Seed: o.seed, Persons: persons, Start: start})
		if err != nil {
			return err
		}
		before := liveHeap()
		engine := aggregator.New(aggregator.DefaultConfig())
		if err := applyDays(ctx, o.seed, b.memDays, w, ps, start, v, engine); err != nil {
			return err
		}
		after := liveHeap()
		st := engine.Stats()
		runtime.KeepAlive(w)
		runtime.KeepAlive(engine)
		used := after - min(before, after)
		points = append(points, point{persons, used, st.Profiles})
		rep.Memory = append(rep.Memory, memoryPoint{Persons: persons, Events: st.Events, Profiles: st.Profiles,
			LiveHeapBytes: used, BytesPerPerson: float64(used) / float64(persons)})
		fmt.Fprintf(out, "memory, %d people, %d day(s): %d events, %d profiles, live heap %.1f MiB: %.0f B per person, %.0f B per profile (took %v)\n",
			persons, b.memDays, st.Events, st.Profiles, float64(used)/(1<<20), float64(used)/float64(persons),
			float64(used)/float64(max(st.Profiles, 1)), time.Since(began).Round(time.Second))
	}
	if len(points) > 1 {
		p, q := points[len(points)-2], points[len(points)-1]
		slope := (float64(q.bytes) - float64(p.bytes)) / float64(q.persons-p.persons)
		rep.MemoryMarginalBytesPerPerson = slope
		fmt.Fprintf(out, "memory, marginal cost from %d to %d people: %.0f B per person (target ≤ %d: %s); extrapolated to 100000 people: %.0f MiB\n",
			p.persons, q.persons, slope, targetBytesInPerson, met(slope <= targetBytesInPerson),
			(float64(q.bytes)+slope*float64(100000-q.persons))/(1<<20))
	}
	return nil
}

// applyDays runs the simulation of w for days, validating and applying
// every event to engine in publishing order.
func applyDays(ctx context.Context, seed int64, days int, w *world.World, ps []producers.Producer, start time.Time, v *event.Validator, engine *aggregator.Engine) error {
	clk, err := clock.New(start, 1, true)
	if err != nil {
		return err
	}
	runner, err := sim.New(sim.Config{World: w, Seed: seed, Days: days, Producers: ps, Clock: clk, Sink: &applySink{v: v, engine: engine}})
	if err != nil {
		return err
	}
	if err := runner.Run(ctx); err != nil {
		return fmt.Errorf("memory run: %w", err)
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"exhaust/aggregator"
	"exhaust/aggregator/linker"
	"exhaust/api"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/producers"
	"exhaust/promexport"
	"exhaust/service"
	"exhaust/shard"
)

// httpShutdownTimeout bounds how long open HTTP requests may finish after
// a stop.
const httpShutdownTimeout = 5 * time.Second

// aggregateOptions are the aggregator's flags: consumer, snapshots,
// validation, metrics and every linker threshold.
type aggregateOptions struct {
	consumer         string
	snapshotObject   string
	snapshotEvery    int
	snapshotInterval time.Duration
	snapshotSpacing  float64
	ackWait          time.Duration
	maxAckPending    int
	maxEventSize     byteSize
	personCap        int
	workers          int
	inactive         time.Duration     // the durable's InactiveThreshold (worker slots)
	snapshotPeers    func(string) bool // the other slots' snapshots (worker slots)
	snapshotDuty     func() bool       // whether periodic snapshots are this worker's (worker slots)
	engine           aggregator.Config
}

func (o *aggregateOptions) register(fs *flag.FlagSet) {
	o.engine = aggregator.DefaultConfig()
	o.maxEventSize = byteSize(event.DefaultMaxSize)
	fs.StringVar(&o.consumer, "consumer", natsbus.DefaultConsumer, "name of the durable JetStream consumer on EXHAUST, one process per name (default: the worker slot's, "+natsbus.DefaultConsumer+" for slot 0 and "+natsbus.DefaultConsumer+"-N for slot N; naming one, or --snapshot, makes the process stand alone, outside the workers, owning every person)")
	fs.StringVar(&o.snapshotObject, "snapshot", "", "object name of the snapshot in the "+natsbus.SnapshotBucket+" bucket (default: "+natsbus.DefaultSnapshotObject+" for the default consumer, else the consumer's name)")
	fs.IntVar(&o.snapshotEvery, "snapshot-every", service.DefaultSnapshotEvery, "save a snapshot after this many messages (negative: never by count), spaced by --snapshot-spacing")
	fs.Float64Var(&o.snapshotSpacing, "snapshot-spacing", service.DefaultSnapshotSpacing, "after a snapshot that took d, none for this many times d, so a big state is saved less often and its pauses stay out of the events' lag (docs/architecture.md)")
	fs.DurationVar(&o.snapshotInterval, "snapshot-interval", service.DefaultSnapshotInterval, "save a snapshot at least this often while events arrive, spaced as for --snapshot-every (negative: never by time)")
	fs.DurationVar(&o.ackWait, "ack-wait", natsbus.DefaultAckWait, "how long JetStream waits for an ack before delivering a message again")
	fs.IntVar(&o.maxAckPending, "max-ack-pending", natsbus.DefaultMaxAckPending, "most messages delivered and not yet acked")
	fs.Var(&o.maxEventSize, "max-event-size", "largest event accepted; bigger ones are rejected as oversized, e.g. 64KiB")
	fs.IntVar(&o.workers, "workers", 0, "goroutines validating and decoding events ahead of the one applying them, in stream order (0: one per CPU; negative: none)")
	fs.IntVar(&o.personCap, "person-cap", promexport.DefaultPersonCap, "profiles with per-person metric series, the richest first (negative: none; see docs/metrics.md)")
	fs.DurationVar(&o.engine.DedupHorizon, "dedup-horizon", o.engine.DedupHorizon, "event ids remembered, in event time, so a re-published event changes nothing")
	registerLinkerFlags(fs, &o.engine.Linker)
}

// linkerUsage is the help text of each linker threshold's flag, by
// linker.Config field. See linker.Config for the reasoning behind each
// default.
var linkerUsage = map[string]string{
	"JoinWindow":          "largest time between a card payment and the loyalty basket of the same purchase",
	"CooccurCellM":        "side of the grid cells phones are filed in for co-occurrence, in metres",
	"CooccurBin":          "length of the co-occurrence time bins",
	"CooccurPointWindow":  "how long before and after a point observation (payment, tap, probe, GPS fix) the person is assumed to be there",
	"CooccurTrackHold":    "how long a phone located from its cell measurements is assumed to stay put",
	"CooccurMaxAccuracyM": "positions less precise than this many metres are not used for co-occurrence",
	"CooccurCandidates":   "candidate phones an identifier keeps, the likeliest (each observation adds the nearest of a crowd)",
	"CooccurOdds":         "how many times likelier than every other phone together the best candidate must be",
	"CooccurMinCount":     "least number of encounters (stays at a place) with the phone before a link",
	"CooccurRatio":        "how many times likelier than the next phone the best candidate must be",
	"CooccurLag":          "how long a time bin stays open for late observations",
	"CooccurForget":       "how long an identifier's co-occurrence evidence is kept when it is not seen again",
	"CooccurExclusive":    "identifier kinds a person has at most one of, comma-separated",
	"CooccurDevice":       "identifier kinds of a phone, the candidates of co-occurrence (two phones are never merged by it), comma-separated",
	"SplitWindow":         "how close in time two positions of one profile's identifiers must be to contradict each other",
	"SplitSpeedKmh":       "fastest a person travels: identifiers seen farther apart than that allows are not one person's",
	"SplitAfter":          "contradictions between two identifiers that undo the weakest inferred link between them",
}

// registerLinkerFlags sets c to linker.DefaultConfig() and makes a flag of
// every field, named after it (CooccurCellM: --cooccur-cell-m). Walking
// the struct keeps the flags complete as thresholds are added; a field of
// a type without a flag kind is a programming error caught by the tests.
func registerLinkerFlags(fs *flag.FlagSet, c *linker.Config) {
	*c = linker.DefaultConfig()
	v := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		name, usage := flagName(f.Name), linkerUsage[f.Name]
		if usage == "" {
			usage = "linker threshold " + f.Name + " (see package aggregator/linker)"
		}
		switch p := v.Field(i).Addr().Interface().(type) {
		case *time.Duration:
			fs.DurationVar(p, name, *p, usage)
		case *float64:
			fs.Float64Var(p, name, *p, usage)
		case *int:
			fs.IntVar(p, name, *p, usage)
		case *bool:
			fs.BoolVar(p, name, *p, usage)
		case *string:
			fs.StringVar(p, name, *p, usage)
		case *[]event.IDKind:
			fs.Var((*idKindsFlag)(p), name, usage)
		default:
			panic(fmt.Sprintf("linker.Config.%s: no flag kind for %s", f.Name, f.Type))
		}
	}
}

// flagName turns a Go field name into a flag name: CellRefRSSI is
// cell-ref-rssi.
func flagName(field string) string {
	r := []rune(field)
	var b strings.Builder
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if i > 0 && upper {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('-')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// idKindsFlag is a comma-separated list of identifier kinds.
type idKindsFlag []event.IDKind

func (f *idKindsFlag) String() string {
	if f == nil {
		return ""
	}
	s := make([]string, len(*f))
	for i, k := range *f {
		s[i] = string(k)
	}
	return strings.Join(s, ",")
}

func (f *idKindsFlag) Set(v string) error {
	var out []event.IDKind
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		k := event.IDKind(part)
		if !k.Valid() {
			return fmt.Errorf("%q is not an identifier kind (want some of %v)", part, event.Kinds())
		}
		out = append(out, k)
	}
	*f = out
	return nil
}

// validate checks the flags; errors are one line and name the flag.
func (o *aggregateOptions) validate() error {
	switch {
	case o.snapshotEvery == 0:
		return errors.New("--snapshot-every must not be 0 (negative: never by count)")
	case o.snapshotInterval == 0:
		return errors.New("--snapshot-interval must not be 0 (negative: never by time)")
	case !(o.snapshotSpacing > 0): // NaN too
		return fmt.Errorf("--snapshot-spacing must be positive, got %v", o.snapshotSpacing)
	case o.snapshotEvery < 0 && o.snapshotInterval < 0:
		return errors.New("--snapshot-every and --snapshot-interval are both negative: no snapshot would ever be taken but the final one")
	case o.ackWait <= 0:
		return fmt.Errorf("--ack-wait must be positive, got %v", o.ackWait)
	case o.maxAckPending < 1:
		return fmt.Errorf("--max-ack-pending must be at least 1, got %d", o.maxAckPending)
	case o.maxEventSize < 1024:
		return fmt.Errorf("--max-event-size must be at least 1KiB, got %v", &o.maxEventSize)
	case o.engine.DedupHorizon <= 0:
		return fmt.Errorf("--dedup-horizon must be positive, got %v", o.engine.DedupHorizon)
	}
	if err := (natsbus.ConsumerConfig{Durable: o.consumer, AckWait: o.ackWait, MaxAckPending: o.maxAckPending}).Validate(); err != nil {
		return fmt.Errorf("--consumer/--max-ack-pending: %w", err)
	}
	if err := o.engine.Linker.Validate(); err != nil {
		return fmt.Errorf("linker flags: %w", err)
	}
	return nil
}

// workerConsumer is worker slot's durable consumer, and so its snapshot's
// object name (see snapshotName): slot 0 keeps the names of an aggregator
// that runs alone.
func workerConsumer(slot int) string {
	if slot == 0 {
		return natsbus.DefaultConsumer
	}
	return natsbus.DefaultConsumer + "-" + strconv.Itoa(slot)
}

// workerSnapshot is worker slot's snapshot object (see snapshotObjectOf).
func workerSnapshot(slot int) string { return snapshotObjectOf(workerConsumer(slot)) }

// snapshotObjectOf is the snapshot object of an aggregator that consumes
// with consumer: the consumer's name, and the default object for the
// default consumer.
func snapshotObjectOf(consumer string) string {
	if consumer == natsbus.DefaultConsumer {
		return natsbus.DefaultSnapshotObject
	}
	return consumer
}

// isWorkerSnapshot reports whether an object of the snapshot bucket is a
// worker slot's snapshot (see workerConsumer and snapshotName).
func isWorkerSnapshot(name string) bool {
	if name == natsbus.DefaultSnapshotObject {
		return true
	}
	n, ok := strings.CutPrefix(name, natsbus.DefaultConsumer+"-")
	slot, err := strconv.Atoi(n)
	return ok && err == nil && slot > 0 && slot < natsbus.MaxWorkers && strconv.Itoa(slot) == n
}

// hostname names the machine in the worker's slot, for operators; empty
// if unknown.
func hostname() string {
	h, _ := os.Hostname()
	return h
}

// snapshotName is the snapshot's object name: the default one for the
// default consumer, the consumer's name otherwise, so that two aggregators
// never overwrite each other's state.
func (o *aggregateOptions) snapshotName() string {
	if o.snapshotObject != "" {
		return o.snapshotObject
	}
	return snapshotObjectOf(o.consumer)
}

// aggregatorApp is the aggregator wired up: Engine, consuming service,
// metrics and the HTTP handler (API, /metrics, /healthz, /readyz). The demo
// embeds the same.
type aggregatorApp struct {
	engine  *aggregator.Engine
	svc     *service.Service
	handler http.Handler
}

// newAggregatorApp builds the aggregator on nc and js; sh, if not nil, is
// its worker slot among several aggregators sharing the city.
func newAggregatorApp(nc *nats.Conn, js jetstream.JetStream, o *aggregateOptions, sh promexport.Shard, log *slog.Logger) (*aggregatorApp, error) {
	validator, err := event.NewValidator(producers.Schemas(producers.All()...), event.WithMaxSize(int(o.maxEventSize)))
	if err != nil {
		return nil, fmt.Errorf("event schemas: %w", err)
	}
	engine := aggregator.New(o.engine)
	reg := prometheus.NewRegistry()
	exporter, err := promexport.New(reg, engine, promexport.Options{PersonCap: o.personCap, EventTypes: eventTypes(), Shard: sh})
	if err != nil {
		return nil, err
	}
	svc, err := service.New(service.Config{
		JS: js, Engine: engine, Validator: validator,
		Consumer: o.consumer, SnapshotObject: o.snapshotName(), SnapshotPeers: o.snapshotPeers,
		SnapshotDuty: o.snapshotDuty, SnapshotEvery: o.snapshotEvery, SnapshotInterval: o.snapshotInterval, SnapshotSpacing: o.snapshotSpacing,
		AckWait: o.ackWait, MaxAckPending: o.maxAckPending, InactiveThreshold: o.inactive, Workers: o.workers,
		Log: log, Observer: exporter,
	})
	if err != nil {
		return nil, err
	}
	ready := func() error {
		if err := svc.Ready(); err != nil {
			return err
		}
		if st := nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("not connected to NATS (%s)", st)
		}
		return nil
	}
	handler := api.New(api.Config{Engine: engine, Gatherer: reg, Ready: ready, Log: log})
	return &aggregatorApp{engine: engine, svc: svc, handler: handler}, nil
}

// eventTypes lists every registered event type, sorted by producer then
// kind as the registry is.
func eventTypes() []string {
	var out []string
	for _, p := range producers.All() {
		s := p.Spec()
		for _, k := range s.Kinds {
			out = append(out, event.Type(s.Name, k.Name))
		}
	}
	return out
}

func runAggregate(ctx context.Context, args []string, env *cliEnv) error {
	var o aggregateOptions
	var auth natsAuth
	fs := newFlagSet("aggregate", "aggregate --nats URL --http ADDR [flags]",
		"Consumes the EXHAUST stream with a durable JetStream consumer and links the\nanonymous identifiers into profiles. Bad events go to dlq.exhaust.<reason>.\nState is snapshotted to the "+natsbus.SnapshotBucket+" object store and restored at\nstart, so a crash (even kill -9) loses nothing. Serves the JSON API\n(/api/profiles, /api/profiles/{id}, /api/accuracy), /metrics, /healthz and\n/readyz on --http. Every linker threshold is a flag; package aggregator/linker\ndocuments how the defaults were tuned.\n\nSeveral aggregators started alike (--nats, no --consumer) share the city:\neach claims a worker slot N in the "+natsbus.WorkerBucket+" bucket, consumes as\n"+natsbus.DefaultConsumer+"-N (slot 0: "+natsbus.DefaultConsumer+"),\nanswers the API for the whole city and exports on /metrics the per-person\nseries of the people it owns (docs/deploy.md).",
		env.stdout)
	natsURL := fs.String("nats", "nats://127.0.0.1:4222", natsFlagUsage)
	auth.register(fs)
	httpAddr := fs.String("http", "127.0.0.1:9090", "address of the API, /metrics, /healthz and /readyz (host:0 picks a free port)")
	profile := fs.Bool("pprof", false, "also serve Go's profiles on --http under /debug/pprof/ (go tool pprof http://HOST/debug/pprof/profile); off by default, since a profile shows the process's internals")
	o.register(fs)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if *natsURL == "" {
		return errors.New("--nats must name a server, e.g. nats://127.0.0.1:4222")
	}
	if _, _, err := net.SplitHostPort(*httpAddr); err != nil {
		return fmt.Errorf("--http must be host:port or :port, got %q", *httpAddr)
	}
	if err := o.validate(); err != nil {
		return err
	}
	url, err := auth.apply(*natsURL)
	if err != nil {
		return err
	}
	// Listen before anything else: a taken port is an error at once, before
	// NATS is reached or a snapshot restored.
	l, err := listen("--http", *httpAddr)
	if err != nil {
		return err
	}
	defer l.Close() // if we return before serving; Shutdown closes it too
	log := env.log
	nc, err := natsbus.Connect(ctx, url, "exhaust-aggregator", log)
	if err != nil {
		return err
	}
	defer drain(nc)
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("JetStream on %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	// Several aggregators started alike share the city: each claims a
	// worker slot, named after which are its consumer and snapshot. One
	// given a consumer of its own stands alone and owns everybody.
	var worker *natsbus.Worker
	if !flagSet(fs, "consumer") && !flagSet(fs, "snapshot") {
		worker, err = natsbus.JoinWorkers(ctx, js, natsbus.WorkerInfo{Host: hostname(), HTTP: l.Addr().String(), Started: time.Now().UTC()}, log)
		if err != nil {
			return fmt.Errorf("join the aggregator workers (or give --consumer to run alone, outside the group): %w", err)
		}
		o.consumer = workerConsumer(worker.Slot())
		o.inactive = natsbus.WorkerConsumerInactive
		o.snapshotPeers = isWorkerSnapshot
		o.snapshotDuty = func() bool { return shard.Owner(shard.SnapshotsKey, worker.Live()) == worker.Slot() }
	}
	var sh promexport.Shard
	if worker != nil {
		sh = worker
	}
	app, err := newAggregatorApp(nc, js, &o, sh, log)
	if err != nil {
		return err
	}

	handler := app.handler
	if *profile {
		handler = withPprof(handler)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(env.stdout, "exhaust aggregate: consuming %s on %s as %s\n", natsbus.StreamName, nc.ConnectedUrlRedacted(), o.consumer)
	if worker != nil {
		fmt.Fprintf(env.stdout, "worker   slot %d of %s (live: %v)\n", worker.Slot(), natsbus.WorkerBucket, worker.Live())
	}
	fmt.Fprintf(env.stdout, "HTTP     http://%s (/api/profiles, /api/accuracy, /metrics, /healthz, /readyz)\n", l.Addr())

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.svc.Run(runCtx) }()
	lost := make(chan error, 1)
	if worker != nil {
		go func() { lost <- worker.Run(runCtx) }()
	}
	select {
	case err = <-done:
	case err = <-served:
		// The HTTP server died (not a Shutdown: that comes later): stop
		// consuming cleanly, then report it.
		cancel()
		if rerr := <-done; rerr != nil {
			err = errors.Join(err, rerr)
		}
		err = fmt.Errorf("HTTP server on %s: %w", l.Addr(), err)
	case err = <-lost:
		// nil: the run's context ended, and the service is stopping too.
		// ErrSlotLost: another process holds the slot, hence the durable
		// consumer, and two readers would split its messages: stop now.
		// Either way the service's own result counts.
		cancel()
		err = errors.Join(err, <-done)
	}
	if worker != nil {
		cancel()
		if errors.Is(err, natsbus.ErrSlotLost) {
			return fmt.Errorf("worker slot %d: %w", worker.Slot(), err)
		}
		lctx, lcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if lerr := worker.Leave(lctx); lerr != nil {
			log.Warn("leaving the workers", "err", lerr)
		}
		lcancel()
	}
	st := app.svc.Stats()
	fmt.Fprintf(env.stdout, "stopped: %d messages handled (%d applied, %d duplicates, %d rejected), last sequence %d, snapshot at %d\n",
		st.Handled, st.Applied, st.Duplicates, st.Rejected, st.LastSeq, st.SnapshotSeq)
	return err
}

// drain drains nc, so pending acks reach the server, and waits for it.
func drain(nc *nats.Conn) {
	if err := nc.Drain(); err != nil {
		nc.Close()
		return
	}
	for deadline := time.Now().Add(5 * time.Second); nc.IsDraining() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // no drain-complete notification on an existing connection
	}
	nc.Close()
}

// withPprof serves net/http/pprof's handlers under /debug/pprof/ and h
// everywhere else. They are mounted on a mux of their own, not through the
// package's registration on http.DefaultServeMux, which nothing serves.
func withPprof(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.Handle("/", h)
	return mux
}

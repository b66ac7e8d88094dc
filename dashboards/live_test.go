package dashboards_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"exhaust/aggregator"
	"exhaust/api"
	"exhaust/clock"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/producers"
	_ "exhaust/producers/all" // every producer, as the demo runs them
	"exhaust/promexport"
	"exhaust/service"
	"exhaust/sim"
	"exhaust/world"
)

// The simulated city of the live test: small enough to play a day in a few
// seconds under the race detector, big enough for the linker to have
// neighbours to tell apart and for unicity to mean something.
const (
	livePersons = 12
	liveSeed    = 1
	// firstDaySpeed plays day 1 about as fast as the pipeline goes (a day
	// in 0.1 s of clock time): only the events' order matters there.
	firstDaySpeed = 864_000
	// laterSpeed plays the following days at a pace Prometheus can watch:
	// a simulated day in 2.4 minutes, so that counters move between
	// scrapes. Faster, the aggregator's scrapes slow down (every event
	// applied during a scrape makes it recompute the profiles), and under
	// the race detector they would outlast the scrape timeout.
	laterSpeed = 600
)

// liveAggregator is the real pipeline, in process: a NATS server with
// JetStream, the simulation publishing to it through natsbus.Publisher as
// `exhaust produce` does, and the aggregator service consuming it with
// promexport as its Observer, its /metrics served over HTTP by the same
// handler as `exhaust aggregate`.
type liveAggregator struct {
	// URL is the aggregator's base URL; /metrics is on it.
	URL string
	// NATSExporterURL serves, on /metrics, the NATS exporter's metrics of
	// the stream's consumers (see consumerCollector).
	NATSExporterURL string
	svc             *service.Service
	runner          *sim.Runner
	day2            chan struct{} // closed when day 2 starts: day 1 is fully published
}

// startLiveAggregator starts the pipeline and stops it when the test ends.
// The simulation keeps playing (day 2 on, at laterSpeed) until then.
func startLiveAggregator(t *testing.T) *liveAggregator {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // also when the setup below fails
	log := slog.New(slog.DiscardHandler)

	srv := natstest.RunServer(t)
	_, pubJS := natstest.Connect(t, srv)
	_, aggJS := natstest.Connect(t, srv)
	setup, setupCancel := context.WithTimeout(ctx, 10*time.Second)
	defer setupCancel()
	if _, err := natsbus.EnsureStream(setup, pubJS, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := natsbus.EnsureTruthStream(setup, pubJS); err != nil {
		t.Fatal(err)
	}

	// The aggregator, wired as cmd/exhaust wires it.
	var types []string
	for _, p := range producers.All() {
		s := p.Spec()
		for _, k := range s.Kinds {
			types = append(types, event.Type(s.Name, k.Name))
		}
	}
	validator, err := event.NewValidator(producers.Schemas(producers.All()...))
	if err != nil {
		t.Fatal(err)
	}
	engine := aggregator.New(aggregator.DefaultConfig())
	reg := prometheus.NewRegistry()
	exporter, err := promexport.New(reg, engine, promexport.Options{EventTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{JS: aggJS, Engine: engine, Validator: validator, Observer: exporter, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	httpSrv := httptest.NewServer(api.New(api.Config{Engine: engine, Gatherer: reg, Log: log}))

	// The simulation, wired as `exhaust produce` wires it.
	start := time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())
	w, err := world.New(world.Config{Seed: liveSeed, Persons: livePersons, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	clk, err := clock.New(start, firstDaySpeed, false)
	if err != nil {
		t.Fatal(err)
	}
	// Paused until day 1 starts: generating it takes a while, and a clock
	// running meanwhile would skip far ahead.
	clk.Pause()
	pub, err := natsbus.NewPublisher(pubJS, natsbus.PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, exporterJS := natstest.Connect(t, srv)
	exporterReg := prometheus.NewRegistry()
	exporterReg.MustRegister(newConsumerCollector(exporterJS))
	exporterSrv := httptest.NewServer(promhttp.HandlerFor(exporterReg, promhttp.HandlerOpts{}))
	t.Cleanup(exporterSrv.Close)

	a := &liveAggregator{URL: httpSrv.URL, NATSExporterURL: exporterSrv.URL, svc: svc, day2: make(chan struct{})}
	a.runner, err = sim.New(sim.Config{
		World: w, Seed: liveSeed, Producers: producers.All(), Clock: clk, Sink: pub,
		Truth: truthSink{pubJS}, Log: log,
		OnDay: func(d *world.Day) {
			switch d.Index {
			case 1:
				clk.Resume()
			case 2:
				// Day 2 starts at its midnight, however far the fast
				// clock ran, then at a pace Prometheus can watch.
				clk.Set(d.Date)
				_ = clk.SetSpeed(laterSpeed)
				close(a.day2)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	svcDone, simDone := make(chan error, 1), make(chan error, 1)
	go func() { svcDone <- svc.Run(ctx) }()
	go func() { simDone <- a.runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-simDone; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("simulation: %v", err)
		}
		pub.Close()
		if err := <-svcDone; err != nil {
			t.Errorf("aggregator service: %v", err)
		}
		httpSrv.Close()
	})
	return a
}

// waitFirstDay waits until day 1 is fully published and the aggregator has
// handled all of it.
func (a *liveAggregator) waitFirstDay(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	select {
	case <-a.day2:
	case <-deadline:
		t.Fatalf("day 1 not published after %v", timeout)
	}
	published := a.runner.Stats().Total // day 1, and a few events of day 2
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for a.svc.Stats().Handled < published {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the aggregator handled %d of day 1's %d events in %v", a.svc.Stats().Handled, published, timeout)
		}
	}
}

// truthSink publishes the ground truth as `exhaust produce` does.
type truthSink struct{ js jetstream.JetStream }

func (s truthSink) PublishTruth(ctx context.Context, person string, payload []byte) error {
	return natsbus.PublishTruth(ctx, s.js, person, payload)
}

// consumerCollector exports, of the consumers of the EXHAUST stream, what
// the NATS exporter does (prometheus-nats-exporter -jsz=all -prefix=nats,
// as deploy/ runs it: collector/jsz.go there) that the dashboards read:
// nats_consumer_num_pending, labelled with stream_name and consumer_name
// among others. It reads the consumers' info through the JetStream API,
// the same numbers as the server's /jsz that the exporter reads.
type consumerCollector struct {
	js         jetstream.JetStream
	numPending *prometheus.Desc
}

func newConsumerCollector(js jetstream.JetStream) consumerCollector {
	return consumerCollector{js: js, numPending: prometheus.NewDesc("nats_consumer_num_pending",
		"Number of pending messages from a consumer", []string{"stream_name", "consumer_name"}, nil)}
}

func (c consumerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.numPending }

func (c consumerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return
	}
	consumers := s.ListConsumers(ctx)
	for info := range consumers.Info() {
		ch <- prometheus.MustNewConstMetric(c.numPending, prometheus.GaugeValue, float64(info.NumPending), info.Stream, info.Name)
	}
}

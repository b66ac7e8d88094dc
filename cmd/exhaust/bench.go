package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/clock"
	"exhaust/natsbus"
	"exhaust/producers"
	"exhaust/sim"
	"exhaust/world"
)

func runBench(ctx context.Context, args []string, env *cliEnv) error {
	if len(args) > 0 && args[0] == "aggregate" {
		return runBenchAggregate(ctx, args[1:], env) // bench_aggregate.go
	}
	if len(args) > 0 && args[0] == "scale" {
		return runBenchScale(ctx, args[1:], env) // bench_scale.go
	}
	if len(args) == 0 || args[0] != "publish" {
		return errors.New(`bench needs a subject: "exhaust bench publish", "exhaust bench aggregate" or "exhaust bench scale" (see exhaust bench <subject> --help)`)
	}
	var o simOptions
	fs := newFlagSet("bench publish", "bench publish [flags]",
		"Measures --fast publishing throughput against a raw JetStream async publisher\nof the same number of messages of the same mean size, on the same embedded\nserver, alternating the two for --rounds rounds. Reports the median of each\nand their ratio (docs/performance.md).",
		env.stdout)
	o.register(fs, 1)
	rounds := fs.Int("rounds", 5, "rounds of each measurement; medians are reported")
	asJSON := fs.Bool("json", false, "print one JSON object on stdout (progress goes to stderr; docs/performance.md)")
	if err := parseFlags(fs, args[1:], env.getenv); err != nil {
		return err
	}
	o.fast = true
	if *rounds < 1 {
		return fmt.Errorf("--rounds must be at least 1, got %d", *rounds)
	}
	if err := o.validate(); err != nil {
		return err
	}
	log := slog.New(slog.DiscardHandler)
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", Logger: log})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	nc, err := natsbus.Connect(ctx, srv.URL(), "exhaust-bench", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	start, _ := o.startDate()
	w, err := world.New(world.Config{Seed: o.seed, Persons: o.persons, Start: start})
	if err != nil {
		return err
	}
	selected, _ := producers.Select(o.producers)
	out := env.stdout
	if *asJSON {
		out = env.stderr
	}

	fmt.Fprintf(out, "bench publish: %d people, %d day(s), %d rounds, embedded nats-server %s\n", o.persons, o.days, *rounds, srv.URL())
	// The same events, made once ahead, for the publishing stage alone.
	pre, err := pregenerate(ctx, &o, w, selected, start)
	if err != nil {
		return err
	}
	var exhaustRates, rawRates, stageRates []float64
	var events, meanBytes int
	for r := 1; r <= *rounds; r++ {
		n, bytes, took, err := benchExhaust(ctx, js, &o, w, selected, start)
		if err != nil {
			return err
		}
		size := int(bytes / uint64(n))
		events, meanBytes = n, size
		rawTook, err := benchRaw(ctx, js, &o, n, size)
		if err != nil {
			return err
		}
		stageTook, err := benchStage(ctx, js, &o, pre)
		if err != nil {
			return err
		}
		er, rr, sr := float64(n)/took.Seconds(), float64(n)/rawTook.Seconds(), float64(len(pre))/stageTook.Seconds()
		exhaustRates, rawRates, stageRates = append(exhaustRates, er), append(rawRates, rr), append(stageRates, sr)
		fmt.Fprintf(out, "round %d: %d events, mean %d B: exhaust --fast %.0f ev/s, raw async publisher %.0f msg/s, ratio %.2f; publishing stage alone %.0f ev/s (%.2f)\n",
			r, n, size, er, rr, er/rr, sr, sr/rr)
	}
	me, mr, ms := median(exhaustRates), median(rawRates), median(stageRates)
	if *asJSON {
		return json.NewEncoder(env.stdout).Encode(publishReport{
			Persons: o.persons, Days: o.days, Rounds: *rounds, Events: events, MeanBytes: meanBytes,
			ExhaustEventsPerSecond: me, RawMessagesPerSecond: mr, Ratio: me / mr,
			StageEventsPerSecond: ms, StageRatio: ms / mr,
		})
	}
	fmt.Fprintf(out, "median: exhaust --fast %.0f ev/s, raw %.0f msg/s, ratio %.2f; publishing stage alone (events made ahead) %.0f ev/s, ratio %.2f\n", me, mr, me/mr, ms, ms/mr)
	return nil
}

// publishReport is bench publish's result, printed with --json. Its field
// names are a contract: scripts and tests decode them. Rates are medians
// over the rounds.
type publishReport struct {
	Persons   int `json:"persons"`
	Days      int `json:"days"`
	Rounds    int `json:"rounds"`
	Events    int `json:"events"`
	MeanBytes int `json:"mean_bytes"`
	// Ratio is `exhaust produce --fast`'s pipeline (making the days,
	// encoding, publishing, every ack) over the raw async publisher.
	ExhaustEventsPerSecond float64 `json:"exhaust_events_per_second"`
	RawMessagesPerSecond   float64 `json:"raw_messages_per_second"`
	Ratio                  float64 `json:"ratio"`
	// StageRatio is exhaust's publisher alone, on events made ahead.
	StageEventsPerSecond float64 `json:"stage_events_per_second"`
	StageRatio           float64 `json:"stage_ratio"`
}

// captured is one event as the runner hands it to its sink.
type captured struct {
	subject, id string
	payload     []byte
}

// captureSink keeps every event it is given.
type captureSink struct{ events []captured }

func (c *captureSink) Publish(_ context.Context, subject, id string, payload []byte) error {
	c.events = append(c.events, captured{subject, id, payload})
	return nil
}

func (c *captureSink) Flush(context.Context) error { return nil }

// pregenerate plays the run into memory, untimed.
func pregenerate(ctx context.Context, o *simOptions, w *world.World, ps []producers.Producer, start time.Time) ([]captured, error) {
	clk, err := clock.New(start, 1, true)
	if err != nil {
		return nil, err
	}
	sink := &captureSink{}
	runner, err := sim.New(sim.Config{World: w, Seed: o.seed, Days: o.days, Producers: ps, Clock: clk, Sink: sink})
	if err != nil {
		return nil, err
	}
	if err := runner.Run(ctx); err != nil {
		return nil, err
	}
	return sink.events, nil
}

// benchStage times exhaust's publisher alone (natsbus.Publisher, every ack
// checked) on events made ahead: the difference from the whole pipeline is
// the simulation's own cost.
func benchStage(ctx context.Context, js jetstream.JetStream, o *simOptions, evs []captured) (time.Duration, error) {
	if err := resetStream(ctx, js, o); err != nil {
		return 0, err
	}
	pub, err := natsbus.NewPublisher(js, natsbus.PublisherOptions{})
	if err != nil {
		return 0, err
	}
	defer pub.Close()
	began := time.Now()
	for _, e := range evs {
		if err := pub.Publish(ctx, e.subject, e.id, e.payload); err != nil {
			return 0, err
		}
	}
	if err := pub.Flush(ctx); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// resetStream empties the EXHAUST stream so every round starts alike.
func resetStream(ctx context.Context, js jetstream.JetStream, o *simOptions) error {
	if err := js.DeleteStream(ctx, "EXHAUST"); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("reset stream: %w", err)
	}
	_, err := natsbus.EnsureStream(ctx, js, o.streamConfig())
	return err
}

// countingSink counts what it forwards, to know the mean message size.
type countingSink struct {
	*natsbus.Publisher
	n, bytes uint64
}

func (c *countingSink) Publish(ctx context.Context, subject, id string, payload []byte) error {
	c.n++
	c.bytes += uint64(len(payload))
	return c.Publisher.Publish(ctx, subject, id, payload)
}

// benchExhaust times the whole --fast pipeline (making the days, encoding,
// publishing, every ack) as `exhaust produce --fast` runs it.
func benchExhaust(ctx context.Context, js jetstream.JetStream, o *simOptions, w *world.World, ps []producers.Producer, start time.Time) (int, uint64, time.Duration, error) {
	if err := resetStream(ctx, js, o); err != nil {
		return 0, 0, 0, err
	}
	pub, err := natsbus.NewPublisher(js, natsbus.PublisherOptions{})
	if err != nil {
		return 0, 0, 0, err
	}
	defer pub.Close()
	clk, err := clock.New(start, 1, true)
	if err != nil {
		return 0, 0, 0, err
	}
	sink := &countingSink{Publisher: pub}
	runner, err := sim.New(sim.Config{World: w, Seed: o.seed, Days: o.days, Producers: ps, Clock: clk, Sink: sink})
	if err != nil {
		return 0, 0, 0, err
	}
	began := time.Now()
	if err := runner.Run(ctx); err != nil {
		return 0, 0, 0, err
	}
	took := time.Since(began)
	if sink.n == 0 {
		return 0, 0, 0, errors.New("bench: the run published nothing")
	}
	return int(sink.n), sink.bytes, took, nil
}

// benchRaw times the reference: n messages of size bytes through the
// plainest correct async JetStream publisher.
func benchRaw(ctx context.Context, js jetstream.JetStream, o *simOptions, n, size int) (time.Duration, error) {
	if err := resetStream(ctx, js, o); err != nil {
		return 0, err
	}
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'x'
	}
	return natsbus.RawPublish(ctx, js, "exhaust.bench.raw", payload, n, natsbus.DefaultMaxPending)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

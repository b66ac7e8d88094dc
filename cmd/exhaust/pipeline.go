package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/clock"
	"exhaust/faults"
	"exhaust/natsbus"
	"exhaust/producers"
	_ "exhaust/producers/all" // registers every producer
	"exhaust/sim"
	"exhaust/web"
	"exhaust/world"
)

// defaultStart is the first simulated day: a Sunday, like the seed's day.
// It is fixed, not "today", so that a seed replays the same events forever.
const defaultStart = "2026-11-29"

// simOptions are the simulation and stream flags shared by demo and produce.
type simOptions struct {
	seed      int64
	persons   int
	days      int
	speed     float64
	fast      bool
	start     string
	producers csvFlag
	faults    string      // --faults, as given
	plan      faults.Plan // --faults, parsed by validate

	dedup    time.Duration
	maxAge   time.Duration
	maxBytes byteSize
}

func (o *simOptions) register(fs *flag.FlagSet, days int) {
	stream := natsbus.DefaultStreamConfig()
	o.maxBytes = byteSize(stream.MaxBytes)
	fs.Int64Var(&o.seed, "seed", 1, "random seed: the same seed and settings replay the same events, ids included")
	fs.IntVar(&o.persons, "persons", 30, "people in the city, the hero included")
	fs.IntVar(&o.days, "days", days, "simulated days to play (0: until stopped)")
	fs.Float64Var(&o.speed, "speed", clock.DefaultSpeed, "simulated seconds per real second (240: a day in 6 minutes)")
	fs.BoolVar(&o.fast, "fast", false, "run as fast as possible, ignoring --speed (tests, benchmarks)")
	fs.StringVar(&o.start, "start", defaultStart, "date of the first simulated day, YYYY-MM-DD (day 1 is the hero's seed day)")
	fs.Var(&o.producers, "producers", "comma-separated producers to run (default: all; see exhaust producers)")
	fs.StringVar(&o.faults, "faults", "", faultsUsage)
	fs.DurationVar(&o.dedup, "dedup-window", stream.Duplicates, "JetStream duplicate window of the EXHAUST stream: a re-run within it adds nothing")
	fs.DurationVar(&o.maxAge, "stream-max-age", stream.MaxAge, "oldest event the EXHAUST stream keeps (0: no limit)")
	fs.Var(&o.maxBytes, "stream-max-bytes", "largest size of the EXHAUST stream, e.g. 512MiB (0: no limit)")
}

// validate checks the flags and returns one-line errors that say what to fix.
func (o *simOptions) validate() error {
	switch {
	case o.persons < 1:
		return fmt.Errorf("--persons must be at least 1 (the hero), got %d", o.persons)
	case o.days < 0:
		return fmt.Errorf("--days must be 0 (run until stopped) or more, got %d", o.days)
	case !(o.speed > 0):
		return fmt.Errorf("--speed must be a positive number (240 plays a day in 6 minutes), got %v", o.speed)
	case o.dedup <= 0:
		return fmt.Errorf("--dedup-window must be positive, got %v", o.dedup)
	case o.maxAge < 0:
		return fmt.Errorf("--stream-max-age must be 0 (no limit) or positive, got %v", o.maxAge)
	case o.maxAge > 0 && o.dedup > o.maxAge:
		return fmt.Errorf("--dedup-window (%v) must not exceed --stream-max-age (%v)", o.dedup, o.maxAge)
	}
	if _, err := o.startDate(); err != nil {
		return err
	}
	if _, err := producers.Select(o.producers); err != nil {
		return err
	}
	plan, err := faults.Parse(o.faults)
	if err == nil {
		err = plan.Check(producers.Names())
	}
	if err != nil {
		return fmt.Errorf("--faults: %w", err)
	}
	o.plan = plan
	return nil
}

func (o *simOptions) startDate() (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02", o.start, world.Paris())
	if err != nil {
		return time.Time{}, fmt.Errorf("--start must be a date like %s, got %q", defaultStart, o.start)
	}
	return t, nil
}

func (o *simOptions) streamConfig() natsbus.StreamConfig {
	c := natsbus.DefaultStreamConfig()
	c.Duplicates, c.MaxAge, c.MaxBytes = o.dedup, o.maxAge, int64(o.maxBytes)
	return c
}

// pipeline is the simulation wired to NATS: an embedded server (unless an
// external URL is given), a JetStream publisher, the world and the runner.
type pipeline struct {
	opts       simOptions
	natsURL    string // external server; "" starts an embedded one
	natsListen string
	dataDir    string
	log        *slog.Logger

	// For restricted NATS users (produce's --setup, --truth, --events; see
	// deployflags.go). The zero values do everything.
	noSetup  bool // the streams exist already: don't create or update them
	noTruth  bool // don't publish the ground truth
	noEvents bool // play the days for the ground truth only
	// withPage follows the run with the classroom page (demo only).
	withPage bool
	page     *web.Server
	// class, if set with withPage, turns the page's class mode on, and the
	// day starts paused.
	class *web.ClassConfig

	server *natsbus.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	pub    *natsbus.Publisher
	world  *world.World
	clock  *clock.Clock
	runner *sim.Runner
}

// Open starts or reaches NATS, makes sure the streams exist and builds the
// simulation. Errors come back at once (bind, unreachable server, bad flags).
func (p *pipeline) Open(ctx context.Context) error {
	if err := p.opts.validate(); err != nil {
		return err
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	url := p.natsURL
	if url == "" {
		srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: p.natsListen, DataDir: p.dataDir, Logger: p.log})
		if err != nil {
			return err
		}
		p.server, url = srv, srv.URL()
	}
	// No reconnect buffer: the publisher keeps the events in order across
	// a server restart (natsbus.NoReconnectBuffer).
	nc, err := natsbus.Connect(ctx, url, "exhaust-producers", p.log, natsbus.NoReconnectBuffer())
	if err != nil {
		return err
	}
	p.nc = nc
	if p.js, err = jetstream.New(nc); err != nil {
		return fmt.Errorf("JetStream on %s: %w", url, err)
	}
	if !p.noSetup {
		if _, err := natsbus.EnsureStream(ctx, p.js, p.opts.streamConfig()); err != nil {
			return err
		}
		if _, err := natsbus.EnsureTruthStream(ctx, p.js); err != nil {
			return err
		}
	}
	if p.pub, err = natsbus.NewPublisher(p.js, natsbus.PublisherOptions{Log: p.log}); err != nil {
		return err
	}

	start, _ := p.opts.startDate()
	p.world, err = world.New(world.Config{Seed: p.opts.seed, Persons: p.opts.persons, Start: start})
	if err != nil {
		return err
	}
	if p.clock, err = clock.New(start, p.opts.speed, p.opts.fast); err != nil {
		return err
	}
	if p.class != nil {
		p.clock.Pause() // class mode: students join first, the teacher presses Play
	}
	selected, _ := producers.Select(p.opts.producers)
	var sink sim.Sink = p.pub
	if p.noEvents {
		sink = discardSink{}
	}
	var truth sim.TruthSink = truthSink{p.js}
	if p.noTruth {
		truth = nil
	}
	cfg := sim.Config{
		World: p.world, Seed: p.opts.seed, Days: p.opts.days, Producers: selected,
		Clock: p.clock, Sink: sink, Truth: truth, Log: p.log, Faults: p.opts.plan,
	}
	if !p.noTruth {
		cfg.FaultLog = truthSink{p.js}
	}
	if p.withPage {
		p.page, err = web.New(web.Config{
			World: p.world, Clock: p.clock, Seed: p.opts.seed, Producers: selected, Log: p.log, Class: p.class,
			// Shops' promotions go outside exhaust.>: promo.exhaust.<chain>.
			Promote: func(subject string, payload []byte) {
				if err := p.nc.Publish(subject, payload); err != nil {
					p.log.Warn("publish promotion", "subject", subject, "err", err)
				}
			},
		})
		if err != nil {
			return err
		}
		cfg.OnDay, cfg.Tap = p.page.OnDay, p.page.Tap
	}
	if p.runner, err = sim.New(cfg); err != nil {
		return err
	}
	if p.page != nil {
		p.page.SetRunner(p.runner)
	}
	return nil
}

// URL is the NATS server's URL, its password (if any) hidden.
func (p *pipeline) URL() string { return p.nc.ConnectedUrlRedacted() }

// Run plays the simulation until its days are done or ctx ends.
func (p *pipeline) Run(ctx context.Context) error { return p.runner.Run(ctx) }

// Close drains the connection (every pending ack is waited for, up to a
// deadline) and stops the embedded server.
func (p *pipeline) Close() {
	if p.page != nil {
		p.page.Close() // it publishes promotions on p.nc
	}
	if p.pub != nil {
		p.pub.Close()
	}
	if p.nc != nil {
		drain(p.nc)
	}
	if p.server != nil {
		p.server.Shutdown()
	}
}

// truthSink publishes the ground truth outside exhaust.>.
type truthSink struct{ js jetstream.JetStream }

func (t truthSink) PublishTruth(ctx context.Context, personID string, payload []byte) error {
	return natsbus.PublishTruth(ctx, t.js, personID, payload)
}

// PublishFaults puts the fault reports next to the truth, for scoring.
func (t truthSink) PublishFaults(ctx context.Context, producer string, day, part int, payload []byte) error {
	return natsbus.PublishFaults(ctx, t.js, producer, day, part, payload)
}

package main

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

func runProduce(ctx context.Context, args []string, env *cliEnv) error {
	p := &pipeline{log: env.log}
	fs := newFlagSet("produce", "produce --nats URL [flags]",
		"Publishes the simulated city's exhaust to the EXHAUST JetStream stream of an\nexternal NATS server (created or updated as needed). Every publish is acked;\nre-running with the same seed and settings adds nothing (same event ids).\n--faults makes the exhaust dirty on purpose: late, repeated, lost, broken\nevents and skewed clocks (docs/faults.md).",
		env.stdout)
	fs.StringVar(&p.natsURL, "nats", "nats://127.0.0.1:4222", natsFlagUsage)
	p.opts.register(fs, 1)
	var deploy produceDeploy // credentials and switches for restricted users
	deploy.register(fs)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if p.natsURL == "" {
		return fmt.Errorf("--nats must name a server, e.g. nats://127.0.0.1:4222 (or use exhaust demo for an embedded one)")
	}
	if err := deploy.apply(p); err != nil {
		return err
	}
	if err := p.Open(ctx); err != nil {
		return deploy.explain(err)
	}
	defer p.Close()
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(produceMemoryLimit()))
	stop, err := deploy.start(ctx, p) // health endpoints; with --setup=false, wait for the streams
	if err != nil {
		return err
	}
	defer stop()
	began := time.Now()
	if err := p.Run(ctx); err != nil {
		return err
	}
	st, ps := p.runner.Stats(), p.pub.Stats()
	if !deploy.events {
		fmt.Fprintf(env.stdout, "published the ground truth of %d day(s) to %s in %v (no events: --events=false)\n",
			st.Day, p.URL(), time.Since(began).Round(time.Millisecond))
		return nil
	}
	fmt.Fprintf(env.stdout, "published %d events (%d new, %d duplicates already in the stream) to %s in %v\n",
		st.Total, ps.Published, ps.Duplicates, p.URL(), time.Since(began).Round(time.Millisecond))
	for _, name := range p.runner.Names() {
		line := fmt.Sprintf("  %-10s %d", name, st.Published[name])
		if f := faultSummary(st.Faults[name]); f != "" {
			line += " (faults: " + f + ")"
		}
		fmt.Fprintln(env.stdout, line)
	}
	if !p.opts.plan.IsZero() {
		fmt.Fprintf(env.stdout, "faults %s: %s (counted in the ground truth, truth.exhaust.faults.>)\n",
			p.opts.plan, orNone(faultSummary(st.FaultTotal)))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none done"
	}
	return s
}

// produceMemoryLimit is the soft memory limit the producer runs under, once
// its world is built. A day is made and merged in bounded memory
// (producers.StreamDay), but the world is held whole, and by default the
// collector lets the heap grow to twice the live heap, which at 100,000
// people peaks at 250 to 330 MiB (the world 172 MiB of it): 636 MiB of
// peak RSS, played without NATS and without the limit. Under 448 MiB the
// collector keeps a quarter to a third of the live heap as headroom
// (GODEBUG=gctrace=1 at 100,000 people: 9 % of the run in the collector,
// up to 16 % while the day is made; 4 % at 10,000, where the limit is
// never reached), and the process peaked at 457 MiB. The limit is never
// under 2.5 times the live heap with the world built, so a larger city's
// collector keeps its headroom rather than thrash. A GOMEMLIMIT set by the
// user is kept.
func produceMemoryLimit() int64 {
	if set := debug.SetMemoryLimit(-1); set != math.MaxInt64 {
		return set
	}
	runtime.GC()
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	return max(448<<20, int64(live[0].Value.Uint64())*5/2)
}

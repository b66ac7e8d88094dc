package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"exhaust/world"
)

func runDemo(ctx context.Context, args []string, env *cliEnv) error {
	p := &pipeline{log: env.log}
	fs := newFlagSet("demo", "demo [flags]",
		"Starts an embedded NATS server with JetStream (or uses --nats), plays the\nsimulated city's days with every producer, and shows what is happening.\nWhile it runs, type p + Enter to pause or resume, + or - to change speed,\nq to quit (Ctrl-C also stops cleanly).",
		env.stdout)
	fs.StringVar(&p.natsURL, "nats", "", "use this external NATS server instead of the embedded one")
	fs.StringVar(&p.natsListen, "nats-listen", "127.0.0.1:4222", "address the embedded NATS server listens on (host:0 picks a free port)")
	fs.StringVar(&p.dataDir, "data", "", "directory for the embedded server's JetStream store (default: a temporary directory)")
	every := fs.Duration("status-every", 5*time.Second, "how often to print the status line (real time)")
	p.opts.register(fs, 0)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if *every <= 0 {
		return fmt.Errorf("--status-every must be positive, got %v", *every)
	}
	if err := p.Open(ctx); err != nil {
		return err
	}
	defer p.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	where := "embedded"
	if p.natsURL != "" {
		where = "external"
	}
	fmt.Fprintf(env.stdout, `exhaust demo: %d people, seed %d, speed ×%g%s
NATS     %s (%s, JetStream stream EXHAUST on exhaust.>)
Watch    nats sub 'exhaust.>' --server %s
Keys     p pause/resume · + faster · - slower · q quit

`, p.opts.persons, p.opts.seed, p.opts.speed, map[bool]string{true: " (fast)"}[p.opts.fast], p.URL(), where, p.URL())

	go readKeys(ctx, env.stdin, p, cancel, env.stdout)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	st := &statusPrinter{w: env.stdout, p: p}
	for {
		select {
		case err := <-done:
			st.print()
			if err == nil || errors.Is(err, context.Canceled) {
				fmt.Fprintln(env.stdout, "stopped.")
				return nil
			}
			return err
		case <-tick.C:
			st.print()
		}
	}
}

// statusPrinter prints one status line: simulated time, the hero's moment,
// and events per producer with the rate since the last line.
type statusPrinter struct {
	w         io.Writer
	p         *pipeline
	lastTotal uint64
	lastAt    time.Time
	moment    string
	moments   []world.Moment // the hero's day-1 moments
}

func (s *statusPrinter) print() {
	now := s.p.clock.Now().In(world.Paris())
	stats := s.p.runner.Stats()
	var b strings.Builder
	state := ""
	if s.p.clock.Paused() {
		state = " PAUSED"
	}
	fmt.Fprintf(&b, "%s day %d%s │", now.Format("Mon 02 Jan 15:04"), stats.Day, state)
	for _, n := range s.p.runner.Names() {
		fmt.Fprintf(&b, " %s %d", n, stats.Published[n])
	}
	rate := ""
	if !s.lastAt.IsZero() {
		if secs := time.Since(s.lastAt).Seconds(); secs > 0 {
			rate = fmt.Sprintf(" (%.0f/s)", float64(stats.Total-s.lastTotal)/secs)
		}
	}
	s.lastTotal, s.lastAt = stats.Total, time.Now()
	fmt.Fprintf(&b, " │ total %d%s", stats.Total, rate)
	if s.moments == nil {
		s.moments = s.p.world.Day(1).Moments
	}
	if m := heroMoment(s.moments, stats.Day, now); m != "" && m != s.moment {
		s.moment = m
		fmt.Fprintf(&b, " │ hero: %s", m)
	}
	fmt.Fprintln(s.w, b.String())
}

// heroMoment names the seed moment the hero is living at t on day 1.
func heroMoment(moments []world.Moment, day int, t time.Time) string {
	if day != 1 {
		return ""
	}
	for _, m := range moments {
		if !t.Before(m.Start) && t.Before(m.End) {
			return m.Name
		}
	}
	return ""
}

// readKeys reads control lines from the terminal: p (pause/resume), + and -
// (speed ×2, ÷2), q (quit). Without a terminal (CI, pipes) it does nothing.
func readKeys(ctx context.Context, in io.Reader, p *pipeline, quit func(), out io.Writer) {
	if f, ok := in.(*os.File); !ok || !isTerminal(f) {
		return
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() && ctx.Err() == nil {
		c := p.clock
		switch strings.TrimSpace(sc.Text()) {
		case "p":
			if c.Paused() {
				c.Resume()
				fmt.Fprintln(out, "resumed")
			} else {
				c.Pause()
				fmt.Fprintln(out, "paused (p + Enter resumes)")
			}
		case "+":
			_ = c.SetSpeed(c.Speed() * 2)
			fmt.Fprintf(out, "speed ×%g\n", c.Speed())
		case "-":
			_ = c.SetSpeed(c.Speed() / 2)
			fmt.Fprintf(out, "speed ×%g\n", c.Speed())
		case "q":
			quit()
			return
		}
	}
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

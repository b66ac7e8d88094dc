package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"exhaust/aggregator"
	"exhaust/web"
	"exhaust/world"
)

func runDemo(ctx context.Context, args []string, env *cliEnv) error {
	p := &pipeline{log: env.log, withPage: true}
	fs := newFlagSet("demo", "demo [flags]",
		"Starts an embedded NATS server with JetStream (or uses --nats), plays the\nsimulated city's days with every producer, and shows what is happening.\nWhile it runs, type p + Enter to pause or resume, + or - to change speed,\nq to quit (Ctrl-C also stops cleanly).",
		env.stdout)
	fs.StringVar(&p.natsURL, "nats", "", "use this external NATS server instead of the embedded one (a URL, or a comma-separated list of a cluster's servers)")
	fs.StringVar(&p.natsListen, "nats-listen", "127.0.0.1:4222", "address the embedded NATS server listens on (host:0 picks a free port)")
	fs.StringVar(&p.dataDir, "data", "", "directory for the embedded server's JetStream store (default: a temporary directory)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address of the page, the JSON API and /metrics (127.0.0.1 keeps it on this machine; 0.0.0.0:8080 shares it with a class)")
	every := fs.Duration("status-every", 5*time.Second, "how often to print the status line (real time)")
	class := fs.Bool("class", false, "class mode: students join from their phones or laptops at /class (implies --http 0.0.0.0:8080 unless --http is given); the day starts paused (docs/classroom.md#class-mode)")
	classCap := fs.Int("class-cap", web.DefaultClassCap, "the most students who may join in class mode")
	p.opts.register(fs, 0)
	var agg aggregateOptions
	registerSecondary(fs, "The aggregator's flags (as for exhaust aggregate)", func() { agg.register(fs) })
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if *every <= 0 {
		return fmt.Errorf("--status-every must be positive, got %v", *every)
	}
	if *classCap < 1 || *classCap > maxClassCap {
		return fmt.Errorf("--class-cap must be between 1 and %d, got %d", maxClassCap, *classCap)
	}
	if *class && !flagSet(fs, "http") {
		*httpAddr = "0.0.0.0:8080" // the class reaches the page over the network
	}
	if _, _, err := net.SplitHostPort(*httpAddr); err != nil {
		return fmt.Errorf("--http must be host:port or :port, got %q", *httpAddr)
	}
	if err := agg.validate(); err != nil {
		return err
	}
	// Every flag is checked before anything is bound: a bad --persons is
	// reported before a busy port, as the user reads the command line.
	if err := p.opts.validate(); err != nil {
		return err
	}
	// Then listen: a taken port is an error before anything starts.
	l, err := listen("--http", *httpAddr)
	if err != nil {
		return err
	}
	defer l.Close()
	var urls []string // class mode: the addresses students open
	if *class {
		ifaddrs, _ := net.InterfaceAddrs()
		urls = classURLs(l.Addr(), ifaddrs)
		p.class = &web.ClassConfig{Cap: *classCap, URL: urls[0]}
	}
	if err := p.Open(ctx); err != nil {
		return err
	}
	defer p.Close()
	app, err := newAggregatorApp(p.nc, p.js, &agg, nil, p.log)
	if err != nil {
		return err
	}
	// One address for everything: the classroom page at /, the aggregator's
	// JSON API, metrics and probes next to it.
	mux := http.NewServeMux()
	for _, path := range []string{"/api/", "/metrics", "/healthz", "/readyz"} {
		mux.Handle(path, app.handler)
	}
	mux.Handle("/", p.page.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	open := l.Addr().String()
	if *class {
		open = projectorAddr(l.Addr())
	}
	where := "embedded"
	if p.natsURL != "" {
		where = "external"
	}
	fmt.Fprintf(env.stdout, `exhaust demo: %d people, seed %d, speed ×%g%s
NATS     %s (%s, JetStream stream EXHAUST on exhaust.>)
Watch    nats sub 'exhaust.>' --server %s
Open     http://%s/  (the classroom page; API /api/profiles, /api/accuracy; metrics /metrics)
Keys     p pause/resume · + faster · - slower · q quit

`, p.opts.persons, p.opts.seed, p.opts.speed, map[bool]string{true: " (fast)"}[p.opts.fast], p.URL(), where, p.URL(), open)
	if *class {
		printClass(env.stdout, urls, projectorAddr(l.Addr()), *classCap)
	}
	if !p.opts.plan.IsZero() {
		fmt.Fprintf(env.stdout, "Faults   %s (docs/faults.md)\n\n", p.opts.plan)
	}

	go readKeys(ctx, env.stdin, p, cancel, env.stdout)
	// The aggregator consumes what the simulation publishes, through NATS
	// like any other consumer; it stops when the demo does.
	aggDone := make(chan error, 1)
	go func() { aggDone <- app.svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-aggDone; err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(env.stderr, "aggregator: %v\n", err)
		}
	}()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	st := &statusPrinter{w: env.stdout, p: p, engine: app.engine}
	for {
		select {
		case err := <-done:
			st.print()
			if err == nil || errors.Is(err, context.Canceled) {
				if err == nil && ctx.Err() == nil {
					// The days are played: keep serving the page and the
					// API until the teacher stops the demo.
					fmt.Fprintln(env.stdout, "all days played; the page and the API stay up (Ctrl-C to stop).")
					<-ctx.Done()
				}
				fmt.Fprintln(env.stdout, "stopped.")
				return nil
			}
			return err
		case err := <-aggDone:
			aggDone <- err // for the deferred wait
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("aggregator: %w", err)
			}
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
	engine    *aggregator.Engine
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
	if f := faultSummary(stats.FaultTotal); f != "" {
		fmt.Fprintf(&b, " │ faults: %s", f)
	}
	if s.engine != nil {
		es := s.engine.Stats()
		fmt.Fprintf(&b, " │ beast: %d events, %d profiles", es.Events, es.Profiles)
	}
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

// maxClassCap bounds --class-cap: a class, not a stadium.
const maxClassCap = 200

// flagSet reports whether the flag was given, on the command line or in
// the environment.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// projectorAddr is the address the teacher opens on the demo's machine:
// bound to all interfaces, the loopback one (only the machine itself may
// drive the class).
func projectorAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// classURLs are the addresses of the student page: bound to all interfaces,
// one per non-loopback address of the machine (IPv4 first); else the bound
// address. There is always at least one.
func classURLs(bound net.Addr, ifaddrs []net.Addr) []string {
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return []string{"http://" + bound.String() + "/class"}
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		return []string{"http://" + net.JoinHostPort(host, port) + "/class"}
	}
	var v4, v6 []string
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || n.IP.IsUnspecified() {
			continue
		}
		u := "http://" + net.JoinHostPort(n.IP.String(), port) + "/class"
		if n.IP.To4() != nil {
			v4 = append(v4, u)
		} else {
			v6 = append(v6, u)
		}
	}
	if urls := append(v4, v6...); len(urls) > 0 {
		return urls
	}
	return []string{"http://" + net.JoinHostPort("127.0.0.1", port) + "/class"}
}

// printClass tells the teacher where students join, with a QR code of the
// first address. The block is written at once, so a reader never sees the
// address without its code.
func printClass(w io.Writer, urls []string, projector string, capacity int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Class    students open %s (at most %d; nothing is kept after the demo)\n", urls[0], capacity)
	if len(urls) > 1 {
		fmt.Fprintf(&b, "         or, on another network of this machine: %s\n", strings.Join(urls[1:], " "))
	}
	if host, _, err := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(urls[0], "http://"), "/class")); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			fmt.Fprintln(&b, "         (only this machine can reach it: for the class, use --http 0.0.0.0:8080)")
		}
	}
	fmt.Fprintf(&b, "         projector: http://%s/ on this machine (only it can press Resume and Reveal)\n", projector)
	fmt.Fprintln(&b, "         the day is paused at midnight: press Resume on the projector once everyone has joined")
	if q, err := qrcode.New(urls[0], qrcode.Low); err == nil {
		fmt.Fprintln(&b, q.ToSmallString(false))
	}
	_, _ = w.Write(b.Bytes())
}

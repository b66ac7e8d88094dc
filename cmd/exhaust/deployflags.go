package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/producers"
	"exhaust/world"
)

// This file holds what running exhaust in the deploy stack (deploy/,
// docs/deploy.md) needs beyond a laptop: NATS credentials, and produce
// switches for users that may publish only part of what produce publishes.

// natsFlagUsage is the help of the commands' --nats flag.
const natsFlagUsage = "URL of the NATS server (JetStream enabled), or a comma-separated list of a cluster's servers (nats://a:4222,nats://b:4222,nats://c:4222): the first that answers is used, the others on failover"

// natsAuth is the --nats-user and --nats-password pair. Credentials written
// in the --nats URL (nats://user:password@host:4222) work as well; the flags
// (or their EXHAUST_NATS_USER and EXHAUST_NATS_PASSWORD variables) keep the
// password out of the URL, which is easier with Kubernetes Secrets.
type natsAuth struct {
	user     string
	password string
}

func (a *natsAuth) register(fs *flag.FlagSet) {
	fs.StringVar(&a.user, "nats-user", "", "NATS user name, with --nats-password (or put both in the --nats URL: nats://user:password@host:4222)")
	fs.StringVar(&a.password, "nats-password", "", "password of --nats-user; prefer the environment variable to the command line, where other users can read it")
}

// connect connects to urls with these credentials as client name, for a
// command that only talks to JetStream and exits; close the connection
// when done.
func (a natsAuth) connect(ctx context.Context, urls, name string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	url, err := a.apply(urls)
	if err != nil {
		return nil, nil, err
	}
	nc, err := natsbus.Connect(ctx, url, name, log)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("JetStream on %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	return nc, js, nil
}

// apply returns the comma-separated NATS URLs with the credentials added to
// each. Without --nats-user it returns urls unchanged.
func (a natsAuth) apply(urls string) (string, error) {
	switch {
	case a.user == "" && a.password == "":
		return urls, nil
	case a.user == "":
		return "", errors.New("--nats-password needs --nats-user")
	case a.password == "":
		return "", fmt.Errorf("--nats-user %s needs --nats-password (or EXHAUST_NATS_PASSWORD)", a.user)
	}
	servers, err := natsbus.SplitURLs(urls)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(servers))
	for i, u := range servers {
		if u.User != nil {
			return "", fmt.Errorf("--nats %s already holds credentials: use them or --nats-user, not both", u.Redacted())
		}
		u.User = url.UserPassword(a.user, a.password)
		parts[i] = u.String()
	}
	return strings.Join(parts, ","), nil
}

// produceDeploy are produce's flags for restricted NATS users. Their
// defaults keep produce doing everything, as it does on a laptop.
type produceDeploy struct {
	auth   natsAuth
	setup  bool
	truth  bool
	events bool
	http   string
}

func (d *produceDeploy) register(fs *flag.FlagSet) {
	d.auth.register(fs)
	fs.BoolVar(&d.setup, "setup", true, "create or update the EXHAUST and EXHAUST_TRUTH streams at start; --setup=false for a user without the right (exhaust setup creates them)")
	fs.BoolVar(&d.truth, "truth", true, "publish the ground truth (who owns which identifier) on truth.exhaust.>; --truth=false for a user without the right")
	fs.BoolVar(&d.events, "events", true, "publish the producers' events; --events=false plays the days for the ground truth only")
	fs.StringVar(&d.http, "http", "", "serve /healthz and /readyz (connected to NATS) on this address, e.g. :8080, for container probes (default: none)")
}

// apply checks the flags and sets the pipeline up accordingly.
func (d *produceDeploy) apply(p *pipeline) error {
	if !d.events && !d.truth {
		return errors.New("--events=false and --truth=false leave nothing to publish")
	}
	if d.http != "" {
		if _, _, err := net.SplitHostPort(d.http); err != nil {
			return fmt.Errorf("--http must be host:port or :port, got %q", d.http)
		}
	}
	u, err := d.auth.apply(p.natsURL)
	if err != nil {
		return err
	}
	p.natsURL = u
	p.noSetup, p.noTruth, p.noEvents = !d.setup, !d.truth, !d.events
	return nil
}

// explain adds a hint to an error of Open that a user without the right to
// set the streams up gets: the server drops such a request, so the client
// sees only a timeout (and logs the permission violation).
func (d *produceDeploy) explain(err error) error {
	if d.setup && d.auth.user != "" && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout)) {
		return fmt.Errorf("%w (if NATS user %s may not create streams, run exhaust setup as an admin, then produce with --setup=false)", err, d.auth.user)
	}
	return err
}

// start serves the health endpoints (--http) and, with --setup=false,
// waits until the streams exist; /readyz says so meanwhile. Call stop when
// done.
func (d *produceDeploy) start(ctx context.Context, p *pipeline) (stop func(), err error) {
	var waiting atomic.Bool
	stop, err = serveHealth(d.http, p.nc, func() error {
		if waiting.Load() {
			return errors.New("waiting for the streams (exhaust setup creates them)")
		}
		return nil
	}, p.log)
	if err != nil || !p.noSetup {
		return stop, err
	}
	subjects, err := p.publishedSubjects()
	if err == nil {
		waiting.Store(true)
		err = waitForStreams(ctx, p.js, subjects, p.log)
		waiting.Store(false)
	}
	if err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// streamWait bounds the exponential wait between two looks for a stream.
const streamWait = 5 * time.Second

// waitForStreams returns once a stream captures each subject, or when ctx
// ends. produce --setup=false calls it before publishing: on Kubernetes
// everything starts at once, and exhaust setup may not have created the
// streams yet. It asks JetStream for stream names only, which the deploy
// configuration lets every publisher do.
func waitForStreams(ctx context.Context, js jetstream.JetStream, subjects []string, log *slog.Logger) error {
	for _, subject := range subjects {
		wait := 100 * time.Millisecond
		for attempt := 0; ; attempt++ {
			lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := js.StreamNameBySubject(lctx, subject)
			cancel()
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("no stream captures %s yet (exhaust setup creates them): %w", subject, ctx.Err())
			}
			if attempt%10 == 0 {
				log.Warn("waiting for a stream that captures "+subject+" (exhaust setup creates it)", "err", err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("no stream captures %s yet (exhaust setup creates them): %w", subject, ctx.Err())
			case <-time.After(wait):
			}
			wait = min(2*wait, streamWait)
		}
	}
	return nil
}

// publishedSubjects returns one subject of each stream a pipeline publishes
// to: an event subject of each selected producer, and the truth's.
func (p *pipeline) publishedSubjects() ([]string, error) {
	var out []string
	if !p.noEvents {
		selected, err := producers.Select(p.opts.producers)
		if err != nil {
			return nil, err
		}
		for _, pr := range selected {
			s := pr.Spec()
			if len(s.Kinds) > 0 {
				out = append(out, "exhaust."+s.Name+"."+s.Kinds[0].Name)
			}
		}
	}
	if !p.noTruth {
		out = append(out, natsbus.TruthSubject(world.HeroID))
	}
	return out, nil
}

// serveHealth serves /healthz and /readyz for container probes until the
// returned stop is called. Liveness only says the process answers;
// readiness says it is connected to NATS (while it reconnects, it is not
// ready) and ready() returns nil.
func serveHealth(addr string, nc *nats.Conn, ready func() error, log *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	l, err := listen("--http", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if st := nc.Status(); st != nats.CONNECTED {
			http.Error(w, "not connected to NATS: "+st.String(), http.StatusServiceUnavailable)
			return
		}
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health endpoint stopped", "addr", addr, "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// discardSink drops events: with --events=false the days are played for
// the ground truth only, at the same pace as the producers'.
type discardSink struct{}

func (discardSink) Publish(context.Context, string, string, []byte) error { return nil }
func (discardSink) Flush(context.Context) error                           { return nil }

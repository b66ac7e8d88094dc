package web

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"exhaust/aggregator"
	"exhaust/clock"
	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

//go:embed assets
var assetFS embed.FS

// Runner is the part of the simulation runner the page drives: restarting a
// day. *sim.Runner implements it, and FaultRunner too.
type Runner interface {
	Restart(day int) error
}

// Config sets up a Server.
type Config struct {
	// World is the run's world (required): its city is drawn, its people
	// picked, its plans narrated.
	World *world.World
	// Clock is the run's clock (required): pause, resume, speed, jumps.
	Clock *clock.Clock
	// Runner restarts the day. It may be set later with SetRunner (the
	// runner is built with the Server's hooks); without one, restart and
	// jump answer 503.
	Runner Runner
	// Seed is the run's seed: what-if replays of day 1 use it, so that with
	// the default settings they are the run's own day 1.
	Seed int64
	// Producers are the run's producers; nil means every registered one.
	Producers []producers.Producer
	// Promote, if set, receives each promotion a shop sends, on subject
	// promo.exhaust.<chain> (outside exhaust.>, so the EXHAUST stream never
	// captures it). It is called from the page's worker goroutine and must
	// not block for long.
	Promote func(subject string, payload []byte)
	// Engine configures the session's beast and the what-if replays; nil
	// means aggregator.DefaultConfig().
	Engine *aggregator.Config
	// Throttle is the shortest real time between two live updates of one
	// page (0: 250 ms): facts appear as they are inferred, a few times a
	// second at most.
	Throttle time.Duration
	// Log receives the page's warnings; nil discards them.
	Log *slog.Logger
	// Class, if set, turns class mode on (/class, the students' page):
	// only the projector, the demo's own machine, then drives the
	// simulation.
	Class *ClassConfig
}

// Server is the classroom page: an http.Handler, the run's OnDay and Tap
// hooks, and the classroom session behind them.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	city    []byte // city geometry, JSON, built once
	session *session
	whatif  *whatif
	class   *classroom // nil unless class mode

	runnerMu  sync.Mutex
	runner    Runner
	faultBase faultBase

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg, builds the page and starts its worker (promotions and the
// population view), which Close stops.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.World == nil:
		return nil, errors.New("web: no world")
	case cfg.Clock == nil:
		return nil, errors.New("web: no clock")
	case cfg.Throttle < 0:
		return nil, errors.New("web: throttle must not be negative")
	}
	if cfg.Producers == nil {
		cfg.Producers = producers.All()
	}
	if len(cfg.Producers) == 0 {
		return nil, errors.New("web: no producers registered (import exhaust/producers/all)")
	}
	if cfg.Engine == nil {
		d := aggregator.DefaultConfig()
		cfg.Engine = &d
	}
	if cfg.Throttle == 0 {
		cfg.Throttle = 250 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	validator, err := producers.NewValidator(cfg.Producers...)
	if err != nil {
		return nil, err
	}
	city, err := cityJSON(cfg.World)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Log, city: city, runner: cfg.Runner, done: make(chan struct{})}
	s.session = newSession(cfg, validator)
	s.whatif = newWhatif(cfg)
	if cfg.Class != nil {
		s.class = newClassroom(*cfg.Class, cfg.World)
	}
	s.routes()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.work()
	return s, nil
}

// SetRunner gives the page the runner it restarts (built after the Server,
// since its hooks are the Server's methods).
func (s *Server) SetRunner(r Runner) {
	s.runnerMu.Lock()
	defer s.runnerMu.Unlock()
	s.runner = r
}

func (s *Server) getRunner() Runner {
	s.runnerMu.Lock()
	defer s.runnerMu.Unlock()
	return s.runner
}

// Close stops the worker and ends the live streams, and in class mode
// forgets the class. The handler still answers afterwards, without live
// updates.
func (s *Server) Close() error {
	s.cancel()
	<-s.done
	if s.class != nil {
		s.class.close()
	}
	return nil
}

// OnDay is sim.Config's OnDay hook: a day starts playing (again, after a
// restart).
func (s *Server) OnDay(d *world.Day) {
	s.session.onDay(d)
	s.noteSession(s.session.generation())
}

// Tap is sim.Config's Tap hook: every event the run published. Events that
// fail validation are logged and left out, as the aggregator would.
func (s *Server) Tap(subject, id string, payload []byte) {
	if err := s.session.tap(payload); err != nil {
		s.log.Warn("classroom page: event left out", "subject", subject, "id", id, "reason", event.ReasonOf(err), "err", err)
	}
}

// Handler serves the page, its assets, the live stream and the controls.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	assets, _ := fs.Sub(assetFS, "assets")
	files := http.FileServerFS(assets)
	m := http.NewServeMux()
	index, _ := fs.ReadFile(assets, "index.html")
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(index)
	})
	m.Handle("GET /assets/", http.StripPrefix("/assets", files))
	m.HandleFunc("GET /city.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.city)
	})
	m.HandleFunc("GET /live", s.live)
	m.HandleFunc("POST /control/{action}", s.control)
	m.HandleFunc("GET /whatif/settings", s.whatifSettings)
	m.HandleFunc("POST /whatif/replay", s.whatifReplay)
	if s.class != nil {
		s.classRoutes(m)
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("/", secure(m))
}

// contentSecurityPolicy forbids inline scripts and styles, and any origin
// but the page's own: the page loads nothing from the internet, and an event
// field that somehow reached the DOM as markup still could not run.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// secure adds the security headers to every answer.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// work is the page's worker: after changes, at most every Throttle, it
// sends the promotions shops would send, and at most every popEvery it
// refreshes the population view.
func (s *Server) work() {
	defer close(s.done)
	var lastPop time.Time
	popDirty := true
	// Changes made while the worker works or sleeps must wake it: it takes
	// the next change's channel before it looks at the session, never after
	// (a day played in a few milliseconds would otherwise leave the
	// population view empty until the next change).
	ch := s.session.changes()
	for {
		var popDue <-chan time.Time
		if popDirty {
			popDue = time.After(time.Until(lastPop.Add(popEvery)))
		}
		select {
		case <-s.ctx.Done():
			return
		case <-ch:
			ch = s.session.changes()
			s.session.promote(s.cfg.Promote)
			popDirty = true
		case <-popDue:
		}
		if popDirty && time.Since(lastPop) >= popEvery {
			s.session.refreshPopulation()
			lastPop, popDirty = time.Now(), false
		}
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(s.cfg.Throttle):
		}
	}
}

// popEvery is how often, at most, the population view (every profile,
// accuracy, unicity) is recomputed: it is the costliest view.
const popEvery = 2 * time.Second

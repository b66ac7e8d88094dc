package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"exhaust/aggregator"
)

// Pagination of GET /api/profiles.
const (
	DefaultPerPage = 50  // page size when per_page is absent
	MaxPerPage     = 500 // largest page size accepted
)

// MaxQuery is the longest q and truth accepted by GET /api/profiles, in
// bytes: longer than any name, identifier or persona id.
const MaxQuery = 200

// allowed is the Allow header of every endpoint: all are read-only.
const allowed = "GET, HEAD"

// Config configures New.
type Config struct {
	// Engine is the state served. Required.
	Engine *aggregator.Engine
	// Gatherer is served on /metrics; nil serves no /metrics.
	Gatherer prometheus.Gatherer
	// Ready reports whether the process is ready to serve traffic (nil:
	// ready); its error is shown by /readyz.
	Ready func() error
	// Log receives request and error logs; nil discards them.
	Log *slog.Logger
}

type server struct {
	engine *aggregator.Engine
	ready  func() error
	log    *slog.Logger
}

// New returns the handler of the whole API. It panics if cfg.Engine is nil,
// a wiring error no request could recover from.
func New(cfg Config) http.Handler {
	if cfg.Engine == nil {
		panic("api: Config.Engine is nil")
	}
	s := &server{engine: cfg.Engine, ready: cfg.Ready, log: cfg.Log}
	if s.ready == nil {
		s.ready = func() error { return nil }
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	mux := http.NewServeMux()
	routes := map[string]http.HandlerFunc{
		"/api/profiles":      s.profiles,
		"/api/profiles/{id}": s.profile,
		"/api/accuracy":      s.accuracy,
		"/healthz":           s.healthz,
		"/readyz":            s.readyz,
	}
	if cfg.Gatherer != nil {
		routes["/metrics"] = promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{
			ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelError),
			ErrorHandling: promhttp.ContinueOnError,
		}).ServeHTTP
	}
	for path, h := range routes {
		// "GET /x" also matches HEAD. The method-less pattern is less
		// specific, so it only catches the other methods: the mux's own 405
		// is plain text, ours is JSON like every other error.
		mux.HandleFunc("GET "+path, h)
		mux.HandleFunc(path, s.methodNotAllowed)
	}
	mux.HandleFunc("/", s.notFound)
	return s.recoverer(mux)
}

// profiles serves GET /api/profiles?page=&per_page=&truth=&q=.
//
// truth keeps the profiles whose ground-truth persona is that person id
// ("hero", "p002"): the truth is for scoring and teaching (find the hero on
// the page), so this is a filter of the listing and nothing else; it feeds
// no linking. q keeps the profiles whose name or one of whose identifiers'
// values contains it, ignoring case. Both apply before pagination: total
// counts the profiles that match.
func (s *server) profiles(w http.ResponseWriter, r *http.Request) {
	page, err := intParam(r, "page", 1, 1, 0)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, err.Error())
		return
	}
	perPage, err := intParam(r, "per_page", DefaultPerPage, 1, MaxPerPage)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, err.Error())
		return
	}
	query := r.URL.Query()
	truth, q := query.Get("truth"), strings.TrimSpace(query.Get("q"))
	for name, v := range map[string]string{"truth": truth, "q": q} {
		if len(v) > MaxQuery {
			s.error(w, r, http.StatusBadRequest, fmt.Sprintf("%s must be at most %d bytes, got %d", name, MaxQuery, len(v)))
			return
		}
	}
	var all []aggregator.Summary
	if q != "" {
		all = s.engine.Find(q)
	} else {
		all = s.engine.Profiles()
	}
	if truth != "" {
		// A new slice: the Engine's listing is shared, never filtered in place.
		var kept []aggregator.Summary
		for _, p := range all {
			if p.Truth == truth {
				kept = append(kept, p)
			}
		}
		all = kept
	}
	out := ProfileList{Profiles: []Summary{}, Total: len(all), Page: page, PerPage: perPage}
	// A page past the end is empty, not an error: the total tells the
	// client where the end is. Divide rather than multiply, so a huge page
	// number cannot overflow.
	if (page - 1) < (len(all)+perPage-1)/perPage {
		start := (page - 1) * perPage
		for _, p := range all[start:min(start+perPage, len(all))] {
			out.Profiles = append(out.Profiles, toSummary(p))
		}
	}
	s.json(w, r, http.StatusOK, out)
}

// profile serves GET /api/profiles/{id}.
func (s *server) profile(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, ok := s.engine.Profile(id)
	if !ok {
		s.error(w, r, http.StatusNotFound, fmt.Sprintf("no profile %q (it may have merged into another: list /api/profiles)", id))
		return
	}
	s.json(w, r, http.StatusOK, toProfile(p))
}

// accuracy serves GET /api/accuracy.
func (s *server) accuracy(w http.ResponseWriter, r *http.Request) {
	s.json(w, r, http.StatusOK, toAccuracy(s.engine.Accuracy()))
}

// status is the body of the probes when they succeed.
type status struct {
	Status string `json:"status"`
}

// healthz answers 200 as long as the process can serve a request at all.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	s.json(w, r, http.StatusOK, status{Status: "ok"})
}

// readyz answers 200 when Ready returns nil, else 503 with its reason.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.ready(); err != nil {
		s.error(w, r, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	s.json(w, r, http.StatusOK, status{Status: "ready"})
}

func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", allowed)
	s.error(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: use %s", r.Method, allowed))
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, http.StatusNotFound, fmt.Sprintf("no endpoint %s (see /api/profiles, /api/accuracy, /metrics, /healthz, /readyz)", r.URL.Path))
}

// intParam reads an optional integer query parameter: def when absent, an
// error unless it is an integer in [lo, hi] (hi ≤ 0: no upper bound).
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, nil
	}
	v, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s must be an integer, got %q", name, raw)
	case v < lo:
		return 0, fmt.Errorf("%s must be at least %d, got %d", name, lo, v)
	case hi > 0 && v > hi:
		return 0, fmt.Errorf("%s must be at most %d, got %d", name, hi, v)
	}
	return v, nil
}

// json writes v as the response. It encodes before writing anything, so a
// value that cannot be encoded becomes a clean 500 instead of a truncated
// 200.
func (s *server) json(w http.ResponseWriter, r *http.Request, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		s.log.Error("encode response", "path", r.URL.Path, "err", err)
		code = http.StatusInternalServerError
		b, _ = json.Marshal(Error{Error: "internal error: the response could not be encoded"})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store") // the state changes with every event
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
	s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", code)
}

func (s *server) error(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.json(w, r, code, Error{Error: msg})
}

// recoverer turns a panic in a handler into a logged 500 JSON error, so one
// bad profile cannot take the API down.
func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
				s.error(w, r, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

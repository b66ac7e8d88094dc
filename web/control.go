package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"time"

	"exhaust/world"
)

// maxSpeed bounds the speed control: beyond it the run cannot keep up anyway.
const maxSpeed = 100000

// controlRequest is the body of a control POST.
type controlRequest struct {
	Speed  float64 `json:"speed"`  // speed
	Moment string  `json:"moment"` // jump
	// Faults is the plan to put in force, in the --faults grammar ("" for
	// none): faults.
	Faults *string `json:"faults"`
}

// control changes the simulation, and nothing else: pause, resume, speed,
// restart (day 1, a new classroom session), jump (to a moment of the
// hero's day 1) and faults (the plan of faults done to the events from now
// on, for the dirty-data panel). It answers the clock; faults answers the
// plan in force and what it did.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	if s.class != nil && !isTeacher(r) {
		writeError(w, http.StatusForbidden, "in class mode only the projector (the demo's own machine) drives the simulation")
		return
	}
	if err := sameOriginJSON(r); err != nil {
		writeError(w, err.status, err.msg)
		return
	}
	var req controlRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be a JSON object, e.g. {\"speed\": 480}")
		return
	}
	c := s.cfg.Clock
	switch action := r.PathValue("action"); action {
	case "faults":
		if req.Faults == nil {
			writeError(w, http.StatusBadRequest, `the body must be {"faults": "<plan>"} in the --faults grammar, e.g. {"faults": "all:drop=5%"}, "" for none`)
			return
		}
		if err := s.setFaults(*req.Faults); err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, errNoFaultRunner) {
				status = http.StatusServiceUnavailable
			}
			writeError(w, status, err.Error())
			return
		}
		s.session.notify()
		msg, _ := s.faultsMsg()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(msg)
		return
	case "pause":
		c.Pause()
	case "resume":
		c.Resume()
	case "speed":
		if !(req.Speed >= 1 && req.Speed <= maxSpeed) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("speed must be between 1 and %d simulated seconds per second, got %v", maxSpeed, req.Speed))
			return
		}
		if err := c.SetSpeed(req.Speed); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	case "restart":
		if status, err := s.restart(time.Time{}); err != nil {
			writeError(w, status, err.Error())
			return
		}
	case "jump":
		var target *world.Moment
		for i := range s.session.moments {
			if s.session.moments[i].Name == req.Moment {
				target = &s.session.moments[i]
			}
		}
		if target == nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown moment %q: use one of the hello message's moments (night, wake-up, …)", req.Moment))
			return
		}
		if status, err := s.restart(target.Start); err != nil {
			writeError(w, status, err.Error())
			return
		}
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("unknown control %q: use pause, resume, speed, restart, jump or faults", action))
		return
	}
	s.session.notify()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.clockMsg(world.HeroID, nil))
}

// restart plays day 1 again in a new classroom session; with a non-zero
// at, from that simulated time: earlier events flush through at once. A
// paused clock is resumed for the catch-up and paused again when the run
// reaches at.
func (s *Server) restart(at time.Time) (int, error) {
	r := s.getRunner()
	if r == nil {
		return http.StatusServiceUnavailable, errors.New("the page has no runner to restart (the run is not wired to it)")
	}
	c := s.cfg.Clock
	paused := c.Paused()
	pauseAt := time.Time{}
	if paused && !at.IsZero() {
		pauseAt = at
	}
	s.session.requestReset(pauseAt)
	if err := r.Restart(1); err != nil {
		s.session.cancelReset()
		return http.StatusConflict, fmt.Errorf("cannot restart the day: %w", err)
	}
	if !at.IsZero() {
		c.Set(at)
		if paused {
			c.Resume()
		}
	}
	return 0, nil
}

// httpError is an error with its status.
type httpError struct {
	status int
	msg    string
}

// sameOriginJSON accepts only JSON bodies from the page's own origin. A
// JSON content type cannot be sent cross-site without a CORS preflight,
// which this server never grants: another site open in the teacher's
// browser cannot drive the simulation.
func sameOriginJSON(r *http.Request) *httpError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, "send the body as Content-Type: application/json"}
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return &httpError{http.StatusForbidden, "cross-origin requests may not change the simulation"}
		}
	}
	return nil
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// whatifSettings answers the hero's default settings and the switches.
func (s *Server) whatifSettings(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"defaults": s.whatif.defaults, "toggles": toggles})
}

// whatifReplay replays the hero's day 1 with the posted settings and
// compares it with her day under the default ones.
func (s *Server) whatifReplay(w http.ResponseWriter, r *http.Request) {
	if err := sameOriginJSON(r); err != nil {
		writeError(w, err.status, err.msg)
		return
	}
	var req struct {
		Settings Settings `json:"settings"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be {\"settings\": {\"cash\": true, …}}: "+err.Error())
		return
	}
	cmp, err := s.whatif.compare(req.Settings)
	if err != nil {
		s.log.Error("what-if replay failed", "err", err)
		writeError(w, http.StatusInternalServerError, "the replay failed: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(cmp)
}

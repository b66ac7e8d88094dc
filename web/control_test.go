package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"exhaust/faults"
	"exhaust/sim"
	"exhaust/world"
)

// fakeRunner records restarts.
type fakeRunner struct {
	mu   sync.Mutex
	days []int
	fail bool
}

func (f *fakeRunner) Restart(day int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("day 1 is outside the run")
	}
	f.days = append(f.days, day)
	return nil
}

func post(t *testing.T, url, contentType, origin, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControls(t *testing.T) {
	r := newRun(t, 1, false, 240)
	runner := &fakeRunner{}
	r.page.SetRunner(runner)
	ts := httptest.NewServer(r.page.Handler())
	defer ts.Close()
	const js = "application/json"
	tests := []struct {
		name, path, contentType, origin, body string
		status                                int
		check                                 func(t *testing.T)
	}{
		{"pause", "/control/pause", js, "", "{}", http.StatusOK, func(t *testing.T) {
			if !r.clock.Paused() {
				t.Error("the clock runs")
			}
		}},
		{"resume", "/control/resume", js, "", "{}", http.StatusOK, func(t *testing.T) {
			if r.clock.Paused() {
				t.Error("the clock is paused")
			}
		}},
		{"speed", "/control/speed", js, "", `{"speed": 960}`, http.StatusOK, func(t *testing.T) {
			if r.clock.Speed() != 960 {
				t.Errorf("speed %v", r.clock.Speed())
			}
		}},
		{"speed too high", "/control/speed", js, "", `{"speed": 1e9}`, http.StatusBadRequest, nil},
		{"speed zero", "/control/speed", js, "", `{"speed": 0}`, http.StatusBadRequest, nil},
		{"a form post", "/control/pause", "application/x-www-form-urlencoded", "", "x=1", http.StatusUnsupportedMediaType, nil},
		{"plain text", "/control/pause", "text/plain", "", "{}", http.StatusUnsupportedMediaType, nil},
		{"another site", "/control/pause", js, "http://evil.example", "{}", http.StatusForbidden, nil},
		{"not JSON", "/control/pause", js, "", "pause", http.StatusBadRequest, nil},
		{"unknown control", "/control/shutdown", js, "", "{}", http.StatusNotFound, nil},
		{"unknown moment", "/control/jump", js, "", `{"moment": "lunch"}`, http.StatusBadRequest, nil},
		{"restart", "/control/restart", js, ts.URL, "{}", http.StatusOK, func(t *testing.T) {
			if len(runner.days) != 1 || runner.days[0] != 1 {
				t.Errorf("runner restarted %v, want day 1 once", runner.days)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, ts.URL+tc.path, tc.contentType, tc.origin, tc.body)
			if status != tc.status {
				t.Fatalf("status %d (%s), want %d", status, body, tc.status)
			}
			if status != http.StatusOK && !strings.Contains(body, `"error"`) {
				t.Errorf("error body %q has no error sentence", body)
			}
			if tc.check != nil {
				tc.check(t)
			}
		})
	}
	resp, err := http.Get(ts.URL + "/control/pause")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /control/pause: %s, want 405", resp.Status)
	}
}

// A restart starts a new classroom session when the day plays again; a
// jump while paused also moves the clock to the moment, resumes it for the
// catch-up and pauses it again once the run reaches the moment.
func TestRestartAndJumpStartANewSession(t *testing.T) {
	r := newRun(t, 1, false, 240)
	runner := &fakeRunner{}
	r.page.SetRunner(runner)
	s := r.page.session
	day := r.world.Day(1)
	r.page.OnDay(day)
	at := day.Date.Add(7 * time.Hour)
	r.page.Tap("exhaust.phone.search", "0badc0de-0000-4000-8000-000000000001", scriptEvent(t, r.world, at))
	before := s.read(world.HeroID, 0, 0)
	if len(before.entries) != 1 {
		t.Fatalf("%d events filed before the restart", len(before.entries))
	}

	r.clock.Pause()
	fnac := day.Moment(world.MomentFnac)
	if status, err := r.page.restart(fnac.Start); err != nil {
		t.Fatalf("jump: %d %v", status, err)
	}
	if d := r.clock.Now().Sub(fnac.Start); d < 0 || d > time.Minute || r.clock.Paused() {
		t.Fatalf("after the jump the clock is at %v (paused %v), want %v and running", r.clock.Now(), r.clock.Paused(), fnac.Start)
	}
	// The runner plays day 1 again: a new session.
	r.page.OnDay(day)
	after := s.read(world.HeroID, 0, 0)
	if after.gen == before.gen || len(after.entries) != 0 || after.engine == before.engine {
		t.Fatalf("no new session after the restart: gen %d → %d, %d events", before.gen, after.gen, len(after.entries))
	}
	// Earlier events flush through; the first one at the moment pauses.
	r.page.Tap("exhaust.phone.search", "0badc0de-0000-4000-8000-000000000002", scriptEventWithID(t, r.world, at, "0badc0de-0000-4000-8000-000000000002"))
	if r.clock.Paused() {
		t.Fatal("paused before the run reached the moment")
	}
	r.page.Tap("exhaust.phone.search", "0badc0de-0000-4000-8000-000000000003", scriptEventWithID(t, r.world, fnac.Start.Add(time.Second), "0badc0de-0000-4000-8000-000000000003"))
	if !r.clock.Paused() {
		t.Fatal("still running after the run reached the moment")
	}

	runner.fail = true
	if status, err := r.page.restart(time.Time{}); err == nil || status != http.StatusConflict {
		t.Fatalf("a failed restart answered %d, %v", status, err)
	}
	r.page.OnDay(r.world.Day(2))
	if got := s.read(world.HeroID, 0, 0); got.gen != after.gen {
		t.Error("the next day after a failed restart started a new session")
	}
	r.page.SetRunner(nil)
	if status, _ := r.page.restart(time.Time{}); status != http.StatusServiceUnavailable {
		t.Errorf("restart without a runner: %d, want 503", status)
	}
}

// fakeFaultRunner records the plans put in force.
type fakeFaultRunner struct {
	fakeRunner
	plan faults.Plan
	set  int
}

func (f *fakeFaultRunner) Faults() faults.Plan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plan
}

func (f *fakeFaultRunner) SetFaults(p faults.Plan) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan = p
	f.set++
}

func (f *fakeFaultRunner) Stats() sim.Stats { return sim.Stats{} }

var _ FaultRunner = (*fakeFaultRunner)(nil)

// POST /control/faults puts a plan in the --faults grammar in force and
// answers it; anything else is a 400 with a one-line error, and the plan
// in force is left alone.
func TestFaultsControl(t *testing.T) {
	r := newRun(t, 1, false, 240)
	runner := &fakeFaultRunner{}
	r.page.SetRunner(runner)
	ts := httptest.NewServer(r.page.Handler())
	defer ts.Close()
	const js = "application/json"
	tests := []struct {
		name, contentType, body string
		status                  int
		plan                    string // in force afterwards
	}{
		{"every sensor", js, `{"faults": "all:drop=5%,duplicate=10%"}`, http.StatusOK, "all:duplicate=10%,drop=5%"},
		{"per producer", js, `{"faults": "phone:delay=10%/5m; all:corrupt=25%"}`, http.StatusOK, "all:corrupt=25%;phone:delay=10%/5m"},
		{"none", js, `{"faults": ""}`, http.StatusOK, ""},
		{"no rate sign", js, `{"faults": "all:drop=5"}`, http.StatusBadRequest, ""},
		{"unknown fault", js, `{"faults": "all:explode=5%"}`, http.StatusBadRequest, ""},
		{"unknown producer", js, `{"faults": "drone:drop=2%"}`, http.StatusBadRequest, ""},
		{"a newline in the plan", js, `{"faults": "all:drop=2%\nrm -rf"}`, http.StatusBadRequest, ""},
		{"too high", js, `{"faults": "all:drop=250%"}`, http.StatusBadRequest, ""},
		{"no faults field", js, `{}`, http.StatusBadRequest, ""},
		{"not a string", js, `{"faults": 5}`, http.StatusBadRequest, ""},
		{"a form post", "application/x-www-form-urlencoded", "faults=all:drop=5%25", http.StatusUnsupportedMediaType, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runner.SetFaults(faults.Plan{})
			status, body := post(t, ts.URL+"/control/faults", tc.contentType, "", tc.body)
			if status != tc.status {
				t.Fatalf("status %d (%s), want %d", status, body, tc.status)
			}
			if got := runner.Faults().String(); got != tc.plan {
				t.Errorf("plan in force %q, want %q", got, tc.plan)
			}
			if status == http.StatusOK {
				var m faultsMsg
				if err := json.Unmarshal([]byte(body), &m); err != nil || m.Plan != tc.plan {
					t.Errorf("answered %s, want the plan %q", body, tc.plan)
				}
				return
			}
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || strings.Contains(e.Error, "\n") {
				t.Errorf("error body %q: want one line", body)
			}
		})
	}

	r.page.SetRunner(&fakeRunner{})
	if status, body := post(t, ts.URL+"/control/faults", js, "", `{"faults": "all:drop=5%"}`); status != http.StatusServiceUnavailable {
		t.Errorf("a runner without faults: %d (%s), want 503", status, body)
	}
	if _, ok := r.page.faultsMsg(); ok {
		t.Error("a runner without faults still gets the dirty-data panel")
	}
}

// With the real runner, a plan posted to the page is the one the run
// does: every event sent twice, and the page's beast ignores every repeat
// (what the panel shows side by side).
func TestFaultsControlDrivesTheRun(t *testing.T) {
	r := newRun(t, 1, true, 1)
	ts := httptest.NewServer(r.page.Handler())
	defer ts.Close()
	if status, body := post(t, ts.URL+"/control/faults", "application/json", ts.URL, `{"faults": "all:duplicate=100%"}`); status != http.StatusOK {
		t.Fatalf("status %d (%s)", status, body)
	}
	if got := r.runner.Faults().String(); got != "all:duplicate=100%" {
		t.Fatalf("the runner does %q", got)
	}
	r.play(t)
	msg, ok := r.page.faultsMsg()
	if !ok || msg.Plan != "all:duplicate=100%" {
		t.Fatalf("the panel shows %+v", msg)
	}
	st := r.runner.Stats()
	if msg.Done.Duplicate == 0 || msg.Done.Duplicate != st.FaultTotal.Duplicate || 2*msg.Done.Duplicate != st.Total {
		t.Errorf("the panel counts %d repeats; the run sent %d of %d messages", msg.Done.Duplicate, st.FaultTotal.Duplicate, st.Total)
	}
	s := r.page.session
	s.refreshPopulation()
	s.mu.RLock()
	raw := s.pop
	s.mu.RUnlock()
	var pop population
	if err := json.Unmarshal(raw, &pop); err != nil {
		t.Fatal(err)
	}
	if pop.Duplicates != msg.Done.Duplicate || pop.Events != st.Total-msg.Done.Duplicate {
		t.Errorf("the beast ignored %d repeats and applied %d events; want %d and %d", pop.Duplicates, pop.Events, msg.Done.Duplicate, st.Total-msg.Done.Duplicate)
	}
}

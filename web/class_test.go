package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/clock"
	"exhaust/producers"
	"exhaust/world"
)

// newClassServer builds a page in class mode over a city of testPersons,
// without a run: the handlers and the reveal's replay need none.
func newClassServer(t *testing.T, capacity int) *Server {
	t.Helper()
	w, err := world.New(world.Config{Seed: 1, Persons: testPersons, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	clk, err := clock.New(world.DefaultStart(), 240, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{World: w, Clock: clk, Seed: 1, Producers: producers.All(),
		Class: &ClassConfig{Cap: capacity, URL: "http://192.0.2.10:8080/class"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// classDo sends one request, from the projector when teacher, else from a
// student's device, with the cookie if not empty.
func classDo(t *testing.T, s *Server, method, path, body string, teacher bool, cookie string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	if teacher {
		r.RemoteAddr = "127.0.0.1:50000"
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: classCookie, Value: cookie})
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// joined joins a student and answers their cookie.
func joined(t *testing.T, s *Server, nickname, persona, settings string) string {
	t.Helper()
	w := classDo(t, s, "POST", "/class/join", `{"nickname":"`+nickname+`","persona":"`+persona+`","settings":`+settings+`}`, false, "")
	if w.Code != http.StatusCreated {
		t.Fatalf("join %s as %s: %d %s", nickname, persona, w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == classCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("the cookie must be HttpOnly and SameSite=Strict: %+v", c)
			}
			return c.Value
		}
	}
	t.Fatalf("join %s: no cookie", nickname)
	return ""
}

func TestValidNickname(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "Team 3", "Team 3", true},
		{"trimmed", "  Zoé  ", "Zoé", true},
		{"twenty", strings.Repeat("a", 20), strings.Repeat("a", 20), true},
		{"empty", "", "", false},
		{"spaces only", "   ", "", false},
		{"too long", strings.Repeat("a", 21), "", false},
		{"markup", "<b>x</b>", "", false},
		{"quote", `a"b`, "", false},
		{"newline", "a\nb", "", false},
		{"emoji", "a🙂", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := validNickname(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("validNickname(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestClassJoinValidates(t *testing.T) {
	s := newClassServer(t, 0)
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"not JSON", `nickname=a`, http.StatusBadRequest},
		{"unknown field", `{"nickname":"A","persona":"p001","settings":{},"admin":true}`, http.StatusBadRequest},
		{"unknown switch", `{"nickname":"A","persona":"p001","settings":{"invisible":true}}`, http.StatusBadRequest},
		{"no nickname", `{"persona":"p001","settings":{}}`, http.StatusBadRequest},
		{"markup nickname", `{"nickname":"<script>","persona":"p001","settings":{}}`, http.StatusBadRequest},
		{"long nickname", `{"nickname":"` + strings.Repeat("x", 21) + `","persona":"p001","settings":{}}`, http.StatusBadRequest},
		{"unknown persona", `{"nickname":"A","persona":"p999","settings":{}}`, http.StatusBadRequest},
		{"no persona", `{"nickname":"A","settings":{}}`, http.StatusBadRequest},
		{"no settings", `{"nickname":"A","persona":"p001"}`, http.StatusBadRequest},
		{"too big", `{"nickname":"` + strings.Repeat("x", 5000) + `"}`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := classDo(t, s, "POST", "/class/join", tc.body, false, "")
			if w.Code != tc.status || !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("status %d %s, want %d with an error", w.Code, w.Body, tc.status)
			}
		})
	}
	r := httptest.NewRequest("POST", "/class/join", strings.NewReader(`{"nickname":"A","persona":"p001","settings":{}}`))
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("a form post: %d, want 415", w.Code)
	}
	if n := len(s.class.order); n != 0 {
		t.Errorf("%d students registered by invalid joins", n)
	}
}

func TestClassJoinTakenAndCap(t *testing.T) {
	s := newClassServer(t, 2)
	a := joined(t, s, "Ana", "hero", `{}`)
	if w := classDo(t, s, "POST", "/class/join", `{"nickname":"Ana","persona":"p002","settings":{}}`, false, a); w.Code != http.StatusConflict {
		t.Errorf("joining twice: %d %s, want 409", w.Code, w.Body)
	}
	if w := classDo(t, s, "POST", "/class/join", `{"nickname":"Bo","persona":"hero","settings":{}}`, false, ""); w.Code != http.StatusConflict {
		t.Errorf("a taken persona: %d %s, want 409", w.Code, w.Body)
	}
	joined(t, s, "Bo", "p001", `{"cash":true}`)
	if w := classDo(t, s, "POST", "/class/join", `{"nickname":"Cy","persona":"p002","settings":{}}`, false, ""); w.Code != http.StatusConflict ||
		!strings.Contains(w.Body.String(), "full") {
		t.Errorf("a full class: %d %s, want 409 full", w.Code, w.Body)
	}
	// The personas list marks what is taken.
	w := classDo(t, s, "GET", "/class/personas", "", false, "")
	var msg struct {
		Personas []struct {
			ID    string `json:"id"`
			Taken bool   `json:"taken"`
		} `json:"personas"`
		Joined int `json:"joined"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &msg); err != nil {
		t.Fatal(err)
	}
	taken := 0
	for _, p := range msg.Personas {
		if p.Taken {
			taken++
			if p.ID != "hero" && p.ID != "p001" {
				t.Errorf("%s marked taken", p.ID)
			}
		}
	}
	if taken != 2 || msg.Joined != 2 || len(msg.Personas) < 3 {
		t.Errorf("personas: %d taken, %d joined, %d listed", taken, msg.Joined, len(msg.Personas))
	}
}

func TestClassReveal(t *testing.T) {
	if testing.Short() {
		t.Skip("replays a day")
	}
	s := newClassServer(t, 0)
	// Only the projector sees the class and reveals.
	if w := classDo(t, s, "GET", "/class/state", "", false, ""); w.Code != http.StatusForbidden {
		t.Errorf("state from a student's device: %d, want 403", w.Code)
	}
	if w := classDo(t, s, "POST", "/class/reveal", `{}`, false, ""); w.Code != http.StatusForbidden {
		t.Errorf("reveal from a student's device: %d, want 403", w.Code)
	}
	if w := classDo(t, s, "POST", "/control/pause", `{}`, false, ""); w.Code != http.StatusForbidden {
		t.Errorf("pause from a student's device in class mode: %d, want 403", w.Code)
	}
	if w := classDo(t, s, "POST", "/class/reveal", `{}`, true, ""); w.Code != http.StatusConflict {
		t.Errorf("reveal before anyone joined: %d, want 409", w.Code)
	}
	if w := classDo(t, s, "GET", "/class/me", "", false, ""); w.Code != http.StatusNotFound {
		t.Errorf("me without joining: %d, want 404", w.Code)
	}
	ana := joined(t, s, "Ana", "hero", `{}`)
	bo := joined(t, s, "Bo", "p001", `{"location_off":true,"phone_off_night":true,"cash":true,"no_loyalty":true,"wifi_off":true,"no_autojoin":true,"mac_random":true,"no_wristband":true}`)
	if w := classDo(t, s, "GET", "/class/state", "", true, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"nickname":"Bo"`) {
		t.Errorf("the projector's state: %d %s", w.Code, w.Body)
	}
	w := classDo(t, s, "POST", "/class/reveal", `{}`, true, "")
	if w.Code != http.StatusOK {
		t.Fatalf("reveal: %d %s", w.Code, w.Body)
	}
	var rev struct {
		Results []classResult `json:"results"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &rev); err != nil {
		t.Fatal(err)
	}
	if len(rev.Results) != 2 || rev.Results[0].Nickname != "Ana" || rev.Results[1].Nickname != "Bo" {
		t.Fatalf("results: %+v", rev.Results)
	}
	a := rev.Results[0]
	if !a.Identified || a.Named != s.cfg.World.Person("hero").Name || len(a.Facts) == 0 || a.Score <= 0 || len(a.Kinds) == 0 {
		t.Errorf("the hero with her own settings: identified %v as %q, %d facts, score %v, kinds %v", a.Identified, a.Named, len(a.Facts), a.Score, a.Kinds)
	}
	for _, r := range rev.Results {
		if r.Named != "" && !slices.ContainsFunc(r.Facts, func(f facts.Fact) bool { return f.Name == facts.FactName }) {
			t.Errorf("%s is named %q without a name fact", r.Nickname, r.Named)
		}
	}
	if !rev.Results[1].Settings.Cash {
		t.Errorf("Bo's settings lost: %+v", rev.Results[1].Settings)
	}
	// Each student sees their own result, and only theirs.
	for _, c := range []struct{ cookie, persona string }{{ana, "hero"}, {bo, "p001"}} {
		w := classDo(t, s, "GET", "/class/me", "", false, c.cookie)
		var me struct {
			Revealed bool         `json:"revealed"`
			Result   *classResult `json:"result"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &me); err != nil || !me.Revealed || me.Result == nil || me.Result.Persona != c.persona {
			t.Errorf("me as %s: %d %s", c.persona, w.Code, w.Body)
		}
	}
	if w := classDo(t, s, "POST", "/class/join", `{"nickname":"Cy","persona":"p002","settings":{}}`, false, ""); w.Code != http.StatusConflict {
		t.Errorf("joining after the reveal: %d, want 409", w.Code)
	}
	if w := classDo(t, s, "POST", "/class/reveal", `{}`, true, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"Bo"`) {
		t.Errorf("a second reveal: %d %s", w.Code, w.Body)
	}

	// The demo ends: nothing is kept.
	_ = s.Close()
	if s.class.students != nil || s.class.order != nil || s.class.results != nil {
		t.Error("the registry survived Close")
	}
	for _, path := range []string{"/class/me", "/class/personas", "/class/state"} {
		if w := classDo(t, s, "GET", path, "", true, ana); w.Code != http.StatusGone {
			t.Errorf("GET %s after Close: %d, want 410", path, w.Code)
		}
	}
	if w := classDo(t, s, "POST", "/class/join", `{"nickname":"Cy","persona":"p002","settings":{}}`, false, ""); w.Code != http.StatusGone {
		t.Errorf("join after Close: %d, want 410", w.Code)
	}
}

func TestClassOff(t *testing.T) {
	r := newRun(t, 1, true, 240)
	for _, path := range []string{"/class", "/class/personas", "/class/state", "/class/qr.png"} {
		w := httptest.NewRecorder()
		r.page.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s without class mode: %d, want 404", path, w.Code)
		}
	}
}

func TestClassQR(t *testing.T) {
	s := newClassServer(t, 0)
	w := classDo(t, s, "GET", "/class/qr.png", "", false, "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" || !strings.HasPrefix(w.Body.String(), "\x89PNG") {
		t.Errorf("qr.png: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	w = classDo(t, s, "GET", "/class", "", false, "")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "class.js") {
		t.Errorf("the student page: %d %.300s", w.Code, w.Body)
	}
}

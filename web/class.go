package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

// ClassConfig turns class mode on: students join the day from their own
// devices, each as a persona of the city with their own privacy switches,
// and the projector reveals what the beast made of each of them.
type ClassConfig struct {
	// Cap is the most students who may join (0: DefaultClassCap).
	Cap int
	// URL is the address students open (the student page, /class), shown
	// on the projector and encoded in its QR code.
	URL string
}

// DefaultClassCap is the class size when ClassConfig.Cap is 0.
const DefaultClassCap = 30

// MaxNickname is the longest nickname a student may choose, in characters.
const MaxNickname = 20

// classCookie holds a student's token: the only thing that tells one
// student from another. There are no accounts.
const classCookie = "exhaust_class"

// Class mode's errors, which the handlers turn into statuses.
var (
	errClassFull     = errors.New("the class is full")
	errPersonaTaken  = errors.New("this persona is taken")
	errClassRevealed = errors.New("the day is over: the results are revealed")
	errClassClosed   = errors.New("the class is over: the demo has ended and nothing was kept")
	errNoStudents    = errors.New("no student has joined yet")
)

// classPersona is one person of the city a student may play.
type classPersona struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Defaults Settings `json:"defaults"` // their own privacy in the city
}

// student is one student who joined.
type student struct {
	token    string
	Nickname string   `json:"nickname"`
	Persona  string   `json:"persona"`
	Name     string   `json:"name"` // the persona's name
	Settings Settings `json:"settings"`
}

// classResult is what the beast made of one student's persona.
type classResult struct {
	Nickname string `json:"nickname"`
	Persona  string `json:"persona"`
	Name     string `json:"name"`
	// Identified: the beast holds a profile whose truth is the persona (the
	// one holding most of their identifiers). Named is the name the beast
	// gave that profile, "" if it found none.
	Identified bool         `json:"identified"`
	Named      string       `json:"named"`
	Profile    string       `json:"profile"`
	Kinds      []string     `json:"kinds"` // their identifiers it linked, by kind
	Linked     int          `json:"linked"`
	Facts      []facts.Fact `json:"facts"`
	Score      float64      `json:"score"`
	Settings   Settings     `json:"settings"`
}

// classroom is class mode's registry, in memory only: who joined, as whom,
// with which switches, and after the reveal what the beast made of each.
// Close drops it.
type classroom struct {
	cap      int
	url      string
	personas []classPersona
	byID     map[string]int // persona id -> index in personas

	revealMu sync.Mutex // one reveal at a time

	mu       sync.Mutex
	students map[string]*student // by token
	order    []*student          // in joining order
	taken    map[string]bool     // persona ids
	results  map[string]*classResult
	closed   bool
}

// newClassroom lists the personas: the people in the city on day 1, the
// replayed day.
func newClassroom(cc ClassConfig, w *world.World) *classroom {
	c := &classroom{cap: cc.Cap, url: cc.URL, byID: map[string]int{}, students: map[string]*student{}, taken: map[string]bool{}}
	if c.cap <= 0 {
		c.cap = DefaultClassCap
	}
	for _, p := range w.People {
		if !p.InCity(1) {
			continue
		}
		c.byID[p.ID] = len(c.personas)
		c.personas = append(c.personas, classPersona{ID: p.ID, Name: p.Name, Defaults: settingsOf(p.Privacy)})
	}
	return c
}

// validNickname checks a nickname: 1 to MaxNickname letters, digits or
// spaces, not only spaces. It answers the trimmed nickname.
func validNickname(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("choose a nickname (1 to 20 letters, digits or spaces)")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxNickname {
		return "", fmt.Errorf("a nickname has at most %d letters, digits or spaces", MaxNickname)
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' {
			return "", fmt.Errorf("a nickname has only letters, digits and spaces, not %q", r)
		}
	}
	return s, nil
}

// join registers a student and answers their token.
func (c *classroom) join(nickname, personaID string, st Settings) (*student, error) {
	i, ok := c.byID[personaID]
	if !ok {
		return nil, fmt.Errorf("unknown persona %q: pick one of /class/personas", personaID)
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := &student{token: hex.EncodeToString(b[:]), Nickname: nickname, Persona: personaID, Name: c.personas[i].Name, Settings: st}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, errClassClosed
	case c.results != nil:
		return nil, errClassRevealed
	case c.taken[personaID]:
		return nil, errPersonaTaken
	case len(c.order) >= c.cap:
		return nil, errClassFull
	}
	c.students[s.token] = s
	c.order = append(c.order, s)
	c.taken[personaID] = true
	return s, nil
}

// reveal replays day 1 with every student's switches on their persona and
// keeps what the beast made of each student. A second reveal answers the
// first one's results.
func (c *classroom) reveal(cfg Config) ([]*classResult, error) {
	c.revealMu.Lock()
	defer c.revealMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClassClosed
	}
	if c.results != nil {
		defer c.mu.Unlock()
		return c.resultsLocked(), nil
	}
	set := map[string]Settings{}
	for _, s := range c.order {
		set[s.Persona] = s.Settings
	}
	c.mu.Unlock()
	if len(set) == 0 {
		return nil, errNoStudents
	}
	outs, err := replayDay(cfg, set)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errClassClosed
	}
	c.results = map[string]*classResult{}
	for _, s := range c.order {
		r, ok := outs[s.Persona]
		if !ok {
			// Joined while the replay ran: played with their persona's
			// own settings, so not shown as theirs.
			continue
		}
		o := r.out
		named := "" // the profile's name, if the beast found one (else it is a pseudonym)
		for _, f := range o.Facts {
			if f.Name == facts.FactName {
				named = o.Name
			}
		}
		c.results[s.token] = &classResult{
			Nickname: s.Nickname, Persona: s.Persona, Name: s.Name,
			Identified: o.Profile != "", Named: named, Profile: o.Profile,
			Kinds: o.Kinds, Linked: o.Linked, Facts: o.Facts, Score: o.Score, Settings: s.Settings,
		}
	}
	return c.resultsLocked(), nil
}

func (c *classroom) resultsLocked() []*classResult {
	out := []*classResult{}
	for _, s := range c.order {
		if r := c.results[s.token]; r != nil {
			out = append(out, r)
		}
	}
	return out
}

// close forgets everything: students, tokens, results.
func (c *classroom) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.students, c.order, c.taken, c.results = nil, nil, nil, nil
}

// isTeacher reports whether r comes from the machine the demo runs on: the
// projector. Students' devices reach it over the network.
func isTeacher(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) classRoutes(m *http.ServeMux) {
	page, _ := assetFS.ReadFile("assets/class.html")
	m.HandleFunc("GET /class", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	})
	m.HandleFunc("GET /class/qr.png", s.classQR)
	m.HandleFunc("GET /class/personas", s.classPersonas)
	m.HandleFunc("POST /class/join", s.classJoin)
	m.HandleFunc("GET /class/me", s.classMe)
	m.HandleFunc("GET /class/state", s.classState)
	m.HandleFunc("POST /class/reveal", s.classReveal)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// classQR answers the students' address as a QR code.
func (s *Server) classQR(w http.ResponseWriter, _ *http.Request) {
	png, err := qrcode.Encode(s.class.url, qrcode.Medium, 320)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot draw the QR code: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
}

// classPersonas answers the personas a student may pick, which are taken,
// and the switches.
func (s *Server) classPersonas(w http.ResponseWriter, _ *http.Request) {
	c := s.class
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		writeError(w, http.StatusGone, errClassClosed.Error())
		return
	}
	type entry struct {
		classPersona
		Taken bool `json:"taken"`
	}
	list := make([]entry, len(c.personas))
	for i, p := range c.personas {
		list[i] = entry{p, c.taken[p.ID]}
	}
	writeJSON(w, http.StatusOK, map[string]any{"personas": list, "toggles": toggles, "cap": c.cap,
		"joined": len(c.order), "revealed": c.results != nil})
}

// classJoin registers a student: {"nickname", "persona", "settings"}.
func (s *Server) classJoin(w http.ResponseWriter, r *http.Request) {
	if err := sameOriginJSON(r); err != nil {
		writeError(w, err.status, err.msg)
		return
	}
	if ck, err := r.Cookie(classCookie); err == nil {
		s.class.mu.Lock()
		st := s.class.students[ck.Value]
		s.class.mu.Unlock()
		if st != nil {
			writeError(w, http.StatusConflict, fmt.Sprintf("you have already joined as %s", st.Nickname))
			return
		}
	}
	var req struct {
		Nickname string    `json:"nickname"`
		Persona  string    `json:"persona"`
		Settings *Settings `json:"settings"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, `the body must be {"nickname": "…", "persona": "p001", "settings": {"cash": true, …}}: `+err.Error())
		return
	}
	nick, err := validNickname(req.Nickname)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.Settings == nil {
		writeError(w, http.StatusBadRequest, `choose the privacy settings: "settings": {"cash": true, …} ({} keeps none)`)
		return
	}
	st, err := s.class.join(nick, req.Persona, *req.Settings)
	switch {
	case errors.Is(err, errClassClosed):
		writeError(w, http.StatusGone, err.Error())
		return
	case errors.Is(err, errClassFull):
		writeError(w, http.StatusConflict, fmt.Sprintf("the class is full (%d students): ask your teacher", s.class.cap))
		return
	case errors.Is(err, errPersonaTaken), errors.Is(err, errClassRevealed):
		writeError(w, http.StatusConflict, err.Error()+": pick another")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: classCookie, Value: st.token, Path: "/class", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusCreated, map[string]any{"student": st, "revealed": false})
}

// classMe answers the student's choices and, once revealed, their result.
func (s *Server) classMe(w http.ResponseWriter, r *http.Request) {
	c := s.class
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		writeError(w, http.StatusGone, errClassClosed.Error())
		return
	}
	var st *student
	if ck, err := r.Cookie(classCookie); err == nil {
		st = c.students[ck.Value]
	}
	if st == nil {
		writeError(w, http.StatusNotFound, "you have not joined: pick a persona and join")
		return
	}
	msg := map[string]any{"student": st, "revealed": c.results != nil}
	if res := c.results[st.token]; res != nil {
		msg["result"] = res
	}
	writeJSON(w, http.StatusOK, msg)
}

// classState is the projector's view: who joined and, once revealed, every
// student's result. Teacher only.
func (s *Server) classState(w http.ResponseWriter, r *http.Request) {
	if !isTeacher(r) {
		writeError(w, http.StatusForbidden, "only the projector (the demo's own machine) sees the class")
		return
	}
	c := s.class
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		writeError(w, http.StatusGone, errClassClosed.Error())
		return
	}
	students := []*student{}
	students = append(students, c.order...)
	msg := map[string]any{"url": c.url, "cap": c.cap, "students": students, "revealed": c.results != nil}
	if c.results != nil {
		msg["results"] = c.resultsLocked()
	}
	writeJSON(w, http.StatusOK, msg)
}

// classReveal replays the day with every student's switches and answers
// the results. Teacher only.
func (s *Server) classReveal(w http.ResponseWriter, r *http.Request) {
	if !isTeacher(r) {
		writeError(w, http.StatusForbidden, "only the projector (the demo's own machine) may reveal the results")
		return
	}
	if err := sameOriginJSON(r); err != nil {
		writeError(w, err.status, err.msg)
		return
	}
	res, err := s.class.reveal(s.cfg)
	switch {
	case errors.Is(err, errClassClosed):
		writeError(w, http.StatusGone, err.Error())
		return
	case errors.Is(err, errNoStudents):
		writeError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		s.log.Error("class reveal failed", "err", err)
		writeError(w, http.StatusInternalServerError, "the replay failed: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
}

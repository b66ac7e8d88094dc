package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"exhaust/world"
)

// The live stream is server-sent events (text/event-stream): one named
// event per message, its data one line of JSON.
//
//	hello       once: the personas (hero first), the hero's day-1 moments,
//	            the challenge's switches and defaults, the exposure weights
//	person      the selected person's day: its groups (moments or plan
//	            segments), true home and work; again after a reset or a new day
//	timeline    new events of that person, in order, from index "from"
//	beast       what the beast infers about the profile matching the person
//	population  every profile, accuracy and unicity
//	promos      promotions shops pushed (all persons)
//	faults      the plan of faults in force and the faults done (when the
//	            runner can change them: the dirty-data panel)
//	clock       simulated time, speed, pause, day, the hero's moment and the
//	            selected person's true position
//
// Updates are sent when the session changes, at most every Throttle, and
// the clock at least every heartbeat.

// heartbeat is how often the clock is sent when nothing else changes, so
// the true position moves on the map and a dead connection is noticed.
const heartbeat = time.Second

// helloMsg is the first message of a stream.
type helloMsg struct {
	Personas  []persona          `json:"personas"`
	Moments   []moment           `json:"moments"`
	Toggles   []toggle           `json:"toggles"`
	Defaults  Settings           `json:"defaults"`
	Weights   map[string]float64 `json:"weights"`
	IDWeight  float64            `json:"id_weight"`
	PromoM    float64            `json:"promo_radius_m"`
	Person    string             `json:"person"`
	Producers []string           `json:"producers"`
}

// moment is one of the hero's day-1 moments, as the page gets it.
type moment struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// personMsg describes the selected person's day.
type personMsg struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	Hero   bool           `json:"hero"`
	Day    int            `json:"day"`
	Date   time.Time      `json:"date"`
	Groups []group        `json:"groups"`
	Home   *world.Point   `json:"home,omitempty"`
	Work   *placeBrief    `json:"work,omitempty"`
	IDs    map[string]int `json:"ids"` // the person's identifiers by kind (truth)
}

type placeBrief struct {
	ID    string  `json:"id,omitempty"`
	Name  string  `json:"name,omitempty"`
	Lat   float64 `json:"lat"`
	Lon   float64 `json:"lon"`
	Kind  string  `json:"kind,omitempty"`
	Place string  `json:"place,omitempty"`
	// InMall marks the mall's shops, labelled when the map zooms on it.
	InMall bool `json:"in_mall,omitempty"`
	// Minor marks the city's many everyday places (offices, local shops,
	// cafés, gyms, hotels): drawn small, so the story's places stand out.
	Minor bool `json:"minor,omitempty"`
}

type timelineMsg struct {
	From    int     `json:"from"`
	Entries []entry `json:"entries"`
}

type clockMsg struct {
	Now    time.Time   `json:"now"`
	Speed  float64     `json:"speed"`
	Paused bool        `json:"paused"`
	Fast   bool        `json:"fast"`
	Day    int         `json:"day"`
	Moment string      `json:"moment,omitempty"`
	Where  *placeBrief `json:"where,omitempty"` // the selected person's true position
}

// stream is one page's live connection.
type stream struct {
	w      http.ResponseWriter
	flush  func()
	buf    bytes.Buffer
	person string

	gen       uint64
	day       int
	cursor    int
	promos    int
	beastAt   [2]uint64 // gen, engine version last sent
	beastSent time.Time
	lastBeast []byte
	popSeq    uint64
	lastClock []byte
	lastFault []byte
}

func (st *stream) send(name string, v any) error {
	b, err := json.Marshal(v) // escapes <, > and & as \u003c…: never markup
	if err != nil {
		return err
	}
	st.raw(name, b)
	return nil
}

// raw queues one message whose data is JSON already (one line: encoding/json
// never writes a raw newline).
func (st *stream) raw(name string, data []byte) {
	st.buf.WriteString("event: ")
	st.buf.WriteString(name)
	st.buf.WriteString("\ndata: ")
	st.buf.Write(data)
	st.buf.WriteString("\n\n")
}

func (st *stream) commit() error {
	if st.buf.Len() == 0 {
		return nil
	}
	_, err := st.w.Write(st.buf.Bytes())
	st.buf.Reset()
	st.flush()
	return err
}

// live serves the stream of one page, for the person it asks about.
func (s *Server) live(w http.ResponseWriter, r *http.Request) {
	person := r.URL.Query().Get("person")
	if person == "" {
		person = world.HeroID
	}
	if s.cfg.World.Person(person) == nil {
		http.Error(w, fmt.Sprintf("unknown person %q: use one of the ids in the hello message (hero, p001, …)", person), http.StatusNotFound)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, person: person, flush: func() { _ = rc.Flush() }}
	st.buf.WriteString("retry: 2000\n\n")
	if err := st.send("hello", s.hello(person)); err != nil {
		return
	}
	ctx := r.Context()
	var last time.Time
	for {
		changed := s.session.changes()
		if err := s.update(st); err != nil {
			return
		}
		if err := st.commit(); err != nil {
			return
		}
		last = time.Now()
		select {
		case <-ctx.Done():
			return
		case <-s.ctx.Done():
			return
		case <-changed:
		case <-time.After(heartbeat):
		}
		// Throttle: a few updates a second at most, however busy the run.
		if wait := s.cfg.Throttle - time.Since(last); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-s.ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

func (s *Server) hello(person string) helloMsg {
	var names []string
	for _, p := range s.cfg.Producers {
		names = append(names, p.Spec().Name)
	}
	moments := make([]moment, 0, len(s.session.moments))
	for _, m := range s.session.moments {
		moments = append(moments, moment{Name: m.Name, Start: m.Start, End: m.End})
	}
	return helloMsg{
		Personas: personas(s.cfg.World), Moments: moments, Toggles: toggles, Defaults: s.whatif.defaults,
		Weights: exposureWeights, IDWeight: identifierWeight, PromoM: promoRadiusM, Person: person, Producers: names,
	}
}

// update queues what changed for this stream since its last update.
func (s *Server) update(st *stream) error {
	sn := s.session.read(st.person, st.cursor, st.promos)
	dayIdx := 0
	if sn.day != nil {
		dayIdx = sn.day.Index
	}
	if sn.gen != st.gen || dayIdx != st.day {
		// A reset or a new day: start the person's day over.
		if sn.gen != st.gen {
			st.promos, st.beastAt, st.popSeq = 0, [2]uint64{}, 0
		}
		st.gen, st.day, st.cursor = sn.gen, dayIdx, 0
		sn = s.session.read(st.person, 0, st.promos)
		if err := st.send("person", s.personMsg(st.person, sn)); err != nil {
			return err
		}
	}
	if len(sn.entries) > 0 {
		if err := st.send("timeline", timelineMsg{From: st.cursor, Entries: sn.entries}); err != nil {
			return err
		}
		st.cursor += len(sn.entries)
	}
	if v := sn.engine.Version(); [2]uint64{sn.gen, v} != st.beastAt && time.Since(st.beastSent) >= s.cfg.Throttle {
		b, err := json.Marshal(s.session.beast(sn.engine, st.person))
		if err != nil {
			return err
		}
		if !bytes.Equal(b, st.lastBeast) {
			st.raw("beast", b)
			st.lastBeast = b
		}
		st.beastAt, st.beastSent = [2]uint64{sn.gen, v}, time.Now()
	}
	if sn.pop != nil && sn.popSeq != st.popSeq {
		st.raw("population", sn.pop)
		st.popSeq = sn.popSeq
	}
	if len(sn.promos) > 0 {
		if err := st.send("promos", sn.promos); err != nil {
			return err
		}
		st.promos += len(sn.promos)
	}
	if fm, ok := s.faultsMsg(); ok {
		b, err := json.Marshal(fm)
		if err != nil {
			return err
		}
		if !bytes.Equal(b, st.lastFault) {
			st.raw("faults", b)
			st.lastFault = b
		}
	}
	b, err := json.Marshal(s.clockMsg(st.person, sn.day))
	if err != nil {
		return err
	}
	if !bytes.Equal(b, st.lastClock) || st.buf.Len() > 0 {
		st.raw("clock", b)
		st.lastClock = b
	}
	return nil
}

func (s *Server) personMsg(person string, sn snapshot) personMsg {
	p := s.cfg.World.Person(person)
	m := personMsg{ID: p.ID, Name: p.Name, Hero: p.ID == world.HeroID, Groups: sn.groups, IDs: map[string]int{}}
	if m.Groups == nil {
		m.Groups = []group{}
	}
	if sn.day != nil {
		m.Day, m.Date = sn.day.Index, sn.day.Date
	}
	if p.Home != nil {
		pt := p.Home.Point
		m.Home = &pt
	}
	if p.Work != nil {
		m.Work = &placeBrief{ID: p.Work.ID, Name: p.Work.Name, Lat: p.Work.Point.Lat, Lon: p.Work.Point.Lon, Kind: string(p.Work.Kind)}
	}
	for _, id := range p.Identifiers(s.cfg.World.City) {
		m.IDs[string(id.Kind)]++
	}
	return m
}

func (s *Server) clockMsg(person string, day *world.Day) clockMsg {
	c := s.cfg.Clock
	m := clockMsg{Now: c.Now(), Speed: c.Speed(), Paused: c.Paused(), Fast: c.Fast()}
	if day == nil {
		return m
	}
	m.Day = day.Index
	for _, mo := range day.Moments {
		if !m.Now.Before(mo.Start) && m.Now.Before(mo.End) {
			m.Moment = mo.Name
		}
	}
	if pl := day.Plan(person); pl != nil && !m.Now.Before(day.Date) {
		pt, place := pl.Where(m.Now)
		m.Where = &placeBrief{Lat: pt.Lat, Lon: pt.Lon}
		if place != nil {
			m.Where.Place, m.Where.Name, m.Where.Kind = place.ID, place.Name, string(place.Kind)
		}
	}
	return m
}

package web

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/world"
)

// session is the classroom session: the page's own beast (an Engine fed
// from the run's Tap), and the narrator's files of who emitted what.
type session struct {
	cfg       Config
	validator *event.Validator
	shops     []*world.Place // the shops that push promotions
	moments   []world.Moment // the hero's day-1 moments
	// blind plays the session without the narrator's truth: no owner
	// table, no SetTruth. The beast's side (profiles, facts, links,
	// promotions) must not change; tests use it to prove so.
	blind bool

	mu           sync.RWMutex
	gen          uint64 // bumped by every reset
	engine       *aggregator.Engine
	day          *world.Day
	owner        map[event.ID]string          // identifier -> person (truth)
	owned        map[string]map[event.ID]bool // person -> identifiers, over the days played
	logs         map[string]*personLog        // person -> the current day's exhaust
	sightings    map[sightKey]*sighting       // pending promotion checks
	promos       []Promo
	promoSent    map[sentKey]bool
	resetPending bool
	pauseAt      time.Time // pause the clock once the run reaches it (jump while paused)
	events       uint64
	rejected     uint64
	pop          []byte // last population view, JSON
	popAt        [2]uint64
	popSeq       uint64
	changed      chan struct{}
}

// personLog is one person's exhaust of the current day, grouped by what
// they were doing.
type personLog struct {
	groups  []group
	entries []entry
}

// group is a stretch of a person's day: one of the hero's seed moments, or
// a segment of anyone's plan (at a place, or moving).
type group struct {
	Kind      string    `json:"kind"` // "moment" or "segment"
	Name      string    `json:"name"` // moment name, or the segment's activity
	Place     string    `json:"place,omitempty"`
	PlaceName string    `json:"place_name,omitempty"`
	PlaceKind string    `json:"place_kind,omitempty"`
	Mode      string    `json:"mode,omitempty"` // moving: metro or walk
	To        string    `json:"to,omitempty"`   // moving: where to
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
}

// entry is one event in a person's timeline. Data is the event's data as
// published: the page formats it, always as text, never as markup.
type entry struct {
	N     int             `json:"n"`
	ID    string          `json:"id"`
	T     time.Time       `json:"t"`
	Type  string          `json:"type"`
	Group int             `json:"g"`
	Data  json.RawMessage `json:"data"`
}

func newSession(cfg Config, v *event.Validator) *session {
	s := &session{cfg: cfg, validator: v, changed: make(chan struct{})}
	for _, id := range []string{world.FnacID, world.StarbucksID} {
		if p := cfg.World.City.Place(id); p != nil {
			s.shops = append(s.shops, p)
		}
	}
	s.moments = cfg.World.Day(1).Moments
	s.resetLocked()
	return s
}

// resetLocked empties the session: a fresh beast, no files. Call with mu held.
func (s *session) resetLocked() {
	s.gen++
	s.engine = aggregator.New(*s.cfg.Engine)
	s.day = nil
	s.owner, s.owned = map[event.ID]string{}, map[string]map[event.ID]bool{}
	s.logs = map[string]*personLog{}
	s.sightings = map[sightKey]*sighting{}
	s.promos, s.promoSent = nil, map[sentKey]bool{}
	s.events, s.rejected = 0, 0
	s.pop, s.popAt = nil, [2]uint64{}
	s.resetPending = false
}

// notifyLocked wakes everyone waiting for a change. Call with mu held.
func (s *session) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// notify wakes everyone waiting for a change (the clock changed).
func (s *session) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyLocked()
}

// generation returns the session's generation, bumped by every reset.
func (s *session) generation() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gen
}

// changes returns a channel closed at the next change.
func (s *session) changes() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// requestReset makes the next day that starts playing start a new session:
// the teacher restarted the day or jumped to a moment. pauseAt, if set,
// pauses the clock once the run has caught up with it.
func (s *session) requestReset(pauseAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetPending, s.pauseAt = true, pauseAt
}

// cancelReset undoes requestReset when the restart failed.
func (s *session) cancelReset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetPending, s.pauseAt = false, time.Time{}
}

// onDay starts a day: after a restart (or a day played again) a new
// session; in any case the day's truth (unless blind), and empty timelines.
func (s *session) onDay(d *world.Day) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resetPending || (s.day != nil && d.Index <= s.day.Index) {
		pauseAt := s.pauseAt
		s.resetLocked()
		s.pauseAt = pauseAt
	}
	s.day = d
	s.logs = map[string]*personLog{}
	for k := range s.promoSent { // the shops remember yesterday's, for sightings still pending
		if k.day < d.Index-1 {
			delete(s.promoSent, k)
		}
	}
	if !s.blind {
		s.learnTruthLocked(d)
	}
	s.notifyLocked()
}

// learnTruthLocked files the day's truth: who owns which identifier, for
// the narrator, and for the beast's scoring (SetTruth), never its linking.
// Call with mu held for writing.
func (s *session) learnTruthLocked(d *world.Day) {
	truth := d.Truth()
	for _, pl := range d.Present() { // a visitor's truth from their arrival
		p := pl.Person
		set := s.owned[p.ID]
		if set == nil {
			set = map[event.ID]bool{}
			s.owned[p.ID] = set
		}
		for _, id := range truth[p.ID] {
			set[id] = true
			s.owner[id] = p.ID
		}
		ids := make([]event.ID, 0, len(set))
		for id := range set {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, compareIDs)
		s.engine.SetTruth(aggregator.Truth{Person: p.ID, Name: p.Name, IDs: ids})
	}
}

func compareIDs(a, b event.ID) int {
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	switch {
	case a.Value < b.Value:
		return -1
	case a.Value > b.Value:
		return 1
	}
	return 0
}

// tap validates and applies one published event, and files it under the
// person who emitted it.
func (s *session) tap(payload []byte) error {
	ev, err := s.validator.Validate(payload)
	if err != nil {
		s.mu.Lock()
		s.rejected++
		s.mu.Unlock()
		return err
	}
	raw, _ := ev.Data.(json.RawMessage)
	var common event.Common
	if err := json.Unmarshal(raw, &common); err != nil {
		return fmt.Errorf("decode the data of %s: %w", ev.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.engine.Apply(0, ev)
	if err != nil {
		return err
	}
	if res == aggregator.Duplicate {
		// A repeat of an event already applied (a fault of the sensor's):
		// the beast ignores it and counts it (Stats.Duplicates); it is the
		// same event, already filed.
		s.notifyLocked()
		return nil
	}
	s.events++
	// The narrator files the event under whoever really emitted it: the
	// left column, never the beast's side.
	var persons []string
	for _, id := range common.IDs {
		if p, ok := s.owner[id]; ok && !slices.Contains(persons, p) {
			persons = append(persons, p)
		}
	}
	for _, p := range persons {
		lg := s.logLocked(p)
		if lg == nil {
			continue
		}
		lg.entries = append(lg.entries, entry{N: len(lg.entries), ID: ev.ID, T: ev.Time, Type: ev.Type,
			Group: groupAt(lg.groups, ev.Time), Data: raw})
	}
	if common.Where != nil {
		s.sightLocked(ev.Type, common.IDs, common.Where, ev.Time)
	}
	if !s.pauseAt.IsZero() && !ev.Time.Before(s.pauseAt) {
		s.cfg.Clock.Pause()
		s.pauseAt = time.Time{}
	}
	s.notifyLocked()
	return nil
}

// logLocked returns person's log of the current day, creating it. Call
// with mu held for writing.
func (s *session) logLocked(person string) *personLog {
	if lg, ok := s.logs[person]; ok {
		return lg
	}
	if s.day == nil {
		return nil
	}
	pl := s.day.Plan(person)
	if pl == nil {
		return nil
	}
	lg := &personLog{groups: groupsOf(s.day, pl)}
	s.logs[person] = lg
	return lg
}

// groupsOf splits a person's day: the hero's seed moments on a day that has
// them, else the plan's segments (consecutive segments of one activity at
// one place merged).
func groupsOf(d *world.Day, pl *world.Plan) []group {
	var out []group
	if pl.Person.ID == world.HeroID && len(d.Moments) > 0 {
		for _, m := range d.Moments {
			out = append(out, group{Kind: "moment", Name: m.Name, Start: m.Start, End: m.End})
		}
		return out
	}
	for _, sg := range pl.Segments {
		g := group{Kind: "segment", Name: sg.Activity, Start: sg.Start, End: sg.End}
		if sg.Place != nil {
			g.Place, g.PlaceName, g.PlaceKind = sg.Place.ID, sg.Place.Name, string(sg.Place.Kind)
		}
		if sg.Trip != nil {
			g.Mode = sg.Trip.Mode
			if sg.Trip.To != nil {
				g.To = sg.Trip.To.Name
				if sg.Trip.To.Kind == world.KindHome {
					g.To = ""
				}
			}
		}
		if n := len(out); n > 0 && out[n-1].Name == g.Name && out[n-1].Place == g.Place && g.Place != "" {
			out[n-1].End = g.End
			continue
		}
		out = append(out, g)
	}
	return out
}

// groupAt returns the index of the group t falls in (the first or last one
// for times outside the day).
func groupAt(gs []group, t time.Time) int {
	i := sort.Search(len(gs), func(i int) bool { return gs[i].Start.After(t) }) - 1
	return max(0, min(i, len(gs)-1))
}

// snapshot is what a live stream reads of the session at one instant.
type snapshot struct {
	gen     uint64
	engine  *aggregator.Engine
	day     *world.Day
	groups  []group
	entries []entry // from the cursor on
	promos  []Promo // from the promo cursor on
	pop     []byte
	popSeq  uint64
	events  uint64
}

// read returns the session's state for person from the given cursors.
func (s *session) read(person string, entryFrom, promoFrom int) snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sn := snapshot{gen: s.gen, engine: s.engine, day: s.day, pop: s.pop, popSeq: s.popSeq, events: s.events}
	if lg, ok := s.logs[person]; ok {
		sn.groups = lg.groups
		if entryFrom < len(lg.entries) {
			sn.entries = slices.Clone(lg.entries[entryFrom:])
		}
	} else if s.day != nil {
		if pl := s.day.Plan(person); pl != nil {
			sn.groups = groupsOf(s.day, pl)
		}
	}
	if promoFrom < len(s.promos) {
		sn.promos = slices.Clone(s.promos[promoFrom:])
	}
	return sn
}

// ownersOf maps identifiers to their owners in one lock.
func (s *session) ownersOf(ids []aggregator.Identifier) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = s.owner[event.ID{Kind: id.Kind, Value: id.Value}]
	}
	return out
}

// ownedCount returns how many identifiers person owns so far.
func (s *session) ownedCount(person string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.owned[person])
}

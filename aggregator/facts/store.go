package facts

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Paris must resolve on machines without a zoneinfo database

	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// maxTypes is how many event types a store tells apart as evidence
// sources: a type's bit in sample.Types is its place in Store.types, in
// the order the store first saw it. Later types still count as evidence,
// without a source.
const maxTypes = 32

// typeBit returns the bit of event type typ, assigning the next one to a
// type seen for the first time.
func (s *Store) typeBit(typ string) uint32 {
	if i, ok := s.typeAt[typ]; ok {
		return 1 << i
	}
	if len(s.types) == maxTypes {
		return 0
	}
	s.typeAt[typ] = uint8(len(s.types))
	s.types = append(s.types, typ)
	return 1 << (len(s.types) - 1)
}

// sources names the event types of a bit set, sorted.
func (s *Store) sources(bits uint32) []string {
	var out []string
	for i, t := range s.types {
		if bits&(1<<i) != 0 {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Zone returns the time zone of the simulated city, Europe/Paris: nights
// and working hours are local, and the times facts carry are in it.
func Zone() *time.Location { return paris() }

// paris is the time zone of the simulated city: nights and working hours
// are local.
var paris = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil { // impossible with time/tzdata embedded
		panic(err)
	}
	return loc
})

// dayKey numbers the local calendar day of t (days since 1970-01-01).
func dayKey(t time.Time) int32 {
	y, m, d := t.In(paris()).Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time classes of location reports, local time.
const (
	nightFrom = 22 * 60 // minutes after midnight
	nightTo   = 7 * 60
	// The night of date D runs from 22:00 on D-1 to 07:00 on D: shifting
	// by two hours puts it all on D.
	nightShift = 2 * time.Hour
)

// workHours are the weekday stretches taken as working hours: lunch and
// commutes are left out.
var workHours = [][2]int{{9*60 + 30, 12 * 60}, {14 * 60, 16*60 + 30}}

// timeClass tells whether t is at night (with the dayKey of that night) or
// in working hours (with the dayKey of that day).
func timeClass(t time.Time) (night, work bool, day int32) {
	lt := t.In(paris())
	m := lt.Hour()*60 + lt.Minute()
	if m >= nightFrom || m < nightTo {
		return true, false, dayKey(t.Add(nightShift))
	}
	if wd := lt.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false, false, 0
	}
	for _, h := range workHours {
		if m >= h[0] && m < h[1] {
			return false, true, dayKey(t)
		}
	}
	return false, false, 0
}

// towerPos is the position of a tower (as the operator registered it) or of
// a place (as its events give it).
type towerPos struct {
	T        int32
	Lat, Lon float64
}

// Store accumulates what events reveal, per identifier. The zero Store is
// not usable: call New.
type Store struct {
	strs   []string
	strIdx map[string]int32

	// types are the event types seen, in that order (see typeBit); bit
	// is the current event's, while Observe runs.
	types  []string
	typeAt map[string]uint8
	bit    uint32

	towers  []towerPos // in the order they were learned
	towerAt map[int32]int

	names map[int32]int32 // place → readable name (station name, merchant)

	places  []towerPos // place positions, in the order they were learned
	placeAt map[int32]int

	// unplaced are the stations a gate named before any event placed
	// them, placedLate how many such have been placed since: a station's
	// position can then give a home to identifiers its later events do
	// not touch (see Version).
	unplaced   map[int32]bool
	placedLate int

	appCat map[int32]int32 // app → category

	heads    map[key]head
	cells    map[key]*cellPart    // imsi: phone.cell
	gps      map[key]*gpsPart     // adid: phone.gps
	apps     map[key]*appPart     // adid: phone.app, phone.search
	msgs     map[key]*msgPart     // msisdn: phone.sms, phone.call
	wifi     map[key]*wifiPart    // mac: wifi.*
	bands    map[key]*bandPart    // wristband: wristband.*
	pays     map[key]*payPart     // card: card.payment
	transits map[key]*transitPart // pass: transit.*
	tickets  map[key]*ticketPart  // ticket: transit.*
	baskets  map[key]*basketPart  // loyalty: loyalty.basket
	regs     map[key]*regPart     // loyalty, email: loyalty.registration, wifi.portal
	attrs    map[key]*attrPart    // any: facts the producers declare (meaning.Attribute)

	// byHash maps the operator's hash of a phone number (its first 64
	// bits) back to the number, for every number seen as an identifier.
	byHash map[uint64]string

	// radio is the path-loss model fitted to the phones' nights (zero
	// before the first fit), radioPlaces how many nights have become
	// stable places, radioNext how many the next fit waits for (see
	// noteNight).
	radio                  radioModel
	radioPlaces, radioNext int

	// areas keeps the areas already solved (a cache, not state).
	areas *locateMemo
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		strIdx:   map[string]int32{},
		typeAt:   map[string]uint8{},
		towerAt:  map[int32]int{},
		names:    map[int32]int32{},
		placeAt:  map[int32]int{},
		unplaced: map[int32]bool{},
		areas:    &locateMemo{m: map[[2]uint64]located{}},
		appCat:   map[int32]int32{},
		heads:    map[key]head{},
		cells:    map[key]*cellPart{},
		gps:      map[key]*gpsPart{},
		apps:     map[key]*appPart{},
		msgs:     map[key]*msgPart{},
		wifi:     map[key]*wifiPart{},
		bands:    map[key]*bandPart{},
		pays:     map[key]*payPart{},
		transits: map[key]*transitPart{},
		tickets:  map[key]*ticketPart{},
		baskets:  map[key]*basketPart{},
		regs:     map[key]*regPart{},
		attrs:    map[key]*attrPart{},
		byHash:   map[uint64]string{},
	}
}

// intern returns the index of s in the string table, adding it if needed.
func (s *Store) intern(v string) int32 {
	if i, ok := s.strIdx[v]; ok {
		return i
	}
	i := int32(len(s.strs))
	s.strs = append(s.strs, v)
	s.strIdx[v] = i
	return i
}

// str returns the interned string i.
func (s *Store) str(i int32) string {
	if i < 0 || int(i) >= len(s.strs) {
		return ""
	}
	return s.strs[i]
}

// hashNumber is how the operator "anonymises" a correspondent: the first 16
// hex digits of the unsalted SHA-256 of the number, here as the number they
// spell.
func hashNumber(msisdn string) uint64 {
	h := sha256.Sum256([]byte(msisdn))
	return binary.BigEndian.Uint64(h[:8])
}

// appendSmall appends to a small list growing it two at a time: lists of
// a few entries, kept for months, must not carry the spare half that
// append's doubling leaves.
func appendSmall[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		n := make([]T, len(s), len(s)+2)
		copy(n, s)
		s = n
	}
	return append(s, v)
}

// parseHash reads a correspondent as the operator writes it.
func parseHash(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	var b [8]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return 0, false
	}
	return binary.BigEndian.Uint64(b[:]), true
}

// Observe adds one decoded event to the store. Events of unknown types
// still count as sightings of their identifiers.
func (s *Store) Observe(r *obs.Record) {
	if r == nil || len(r.IDs) == 0 {
		return
	}
	t := toStamp(r.Time)
	for _, id := range r.IDs {
		k := keyOf(id)
		h, ok := s.heads[k]
		if !ok {
			h.First = t
			if id.Kind == event.MSISDN {
				s.byHash[hashNumber(id.Value)] = id.Value
			}
		}
		h.First, h.Last = min(h.First, t), max(h.Last, t)
		h.Seen++
		s.heads[k] = h
	}
	s.bit = s.typeBit(r.Type)
	// What the event means, as its producer declared it (see package
	// meaning): each meaning feeds the accumulators of its identifiers.
	for _, m := range r.Means {
		switch m := m.(type) {
		case meaning.Served:
			s.learnTower(r, m)
		case meaning.Radio:
			s.observeRadio(r, m)
		case meaning.Position:
			s.observePosition(r, m)
		case meaning.AppUse:
			s.observeApp(r, m)
		case meaning.Interest:
			s.observeInterest(r, m)
		case meaning.Contact:
			s.observeContact(r, m)
		case meaning.Presence:
			s.observePresence(r, m)
		case meaning.SignUp:
			s.observeSignUp(r, m)
		case meaning.Sync:
			s.observeSync(r, m)
		case meaning.Sleep:
			s.observeSleep(r, m)
		case meaning.Activity:
			s.observeActivity(r, m)
		case meaning.Workout:
			s.observeWorkout(r, m)
		case meaning.Payment:
			s.observePayment(r, m)
		case meaning.Gate:
			s.observeGate(r, m)
		case meaning.Fare:
			s.observeFare(r, m)
		case meaning.Basket:
			s.observeBasket(r, m)
		case meaning.Registration:
			s.observeRegistration(r, m)
		case meaning.Attribute:
			s.observeAttribute(r, m)
		}
	}
}

// learnTower records the position of the emitter serving an event: the
// operator's own tower register, rebuilt from its events.
func (s *Store) learnTower(r *obs.Record, m meaning.Served) {
	if r.Where == nil {
		return
	}
	id, ok := strings.CutPrefix(r.Where.Place, m.Prefix)
	if !ok || id == "" {
		return
	}
	i := s.intern(id)
	if _, known := s.towerAt[i]; known {
		return
	}
	s.towerAt[i] = len(s.towers)
	s.towers = append(s.towers, towerPos{T: i, Lat: r.Where.Lat, Lon: r.Where.Lon})
}

// nameOf records a readable name for a place: the first one given, unless
// override (a station's own name beats its ticket machines' merchant name).
func (s *Store) nameOf(place, name string, override bool) {
	if place == "" || name == "" {
		return
	}
	p := s.intern(place)
	if _, ok := s.names[p]; !ok || override {
		s.names[p] = s.intern(name)
	}
}

// placeNameOf returns the readable name of a place id, or the id.
func (s *Store) placeNameOf(place string) string {
	if p, ok := s.strIdx[place]; ok {
		return s.placeName(p)
	}
	return place
}

// learnPlace records the position of a place, the first one given.
func (s *Store) learnPlace(place string, w *event.Where) {
	if place == "" || w == nil {
		return
	}
	p := s.intern(place)
	if _, ok := s.placeAt[p]; !ok {
		s.placeAt[p] = len(s.places)
		s.places = append(s.places, towerPos{T: p, Lat: w.Lat, Lon: w.Lon})
		if s.unplaced[p] {
			delete(s.unplaced, p)
			s.placedLate++
		}
	}
}

// placeName returns the readable name of place p, or its id.
func (s *Store) placeName(p int32) string {
	if n, ok := s.names[p]; ok {
		return s.str(n)
	}
	return s.str(p)
}

// add counts r, of type bit, as supporting evidence.
func (e *sample) add(r *obs.Record, bit uint32) {
	t := toStamp(r.Time)
	if e.N == 0 || t < e.First {
		e.First = t
	}
	if t > e.Last {
		e.Last = t
	}
	e.N++
	e.Types |= bit
	// Event ids are UUIDs (the envelope schema says so): 16 bytes instead
	// of a 36-character string. A non-canonical spelling could not be
	// given back as it came, so it is counted but not sampled.
	u, ok := parseUUID(r.ID)
	if !ok {
		return
	}
	e.Refs[e.Next] = ref{ID: u, T: t}
	e.Next = (e.Next + 1) % sampleCap
}

// parseUUID reads a UUID in its canonical form (lower-case hex, 8-4-4-4-12)
// and nothing else, so that formatting it gives the same string back.
func parseUUID(s string) ([16]byte, bool) {
	var u [16]byte
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			i++
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return u, true
}

// formatUUID writes a UUID in its canonical form.
func formatUUID(u [16]byte) string {
	var b [36]byte
	const digits = "0123456789abcdef"
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = digits[c>>4], digits[c&15]
		j += 2
	}
	return string(b[:])
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// where returns the place of r, or "".
func where(r *obs.Record) string {
	if r.Where == nil {
		return ""
	}
	return r.Where.Place
}

// keys returns the keys of r's identifiers of kind k.
func keys(r *obs.Record, k event.IDKind) []key {
	out := make([]key, 0, 2) // events carry one or two of a kind: no allocation
	for _, id := range r.IDs {
		if id.Kind == k {
			out = append(out, keyOf(id))
		}
	}
	return out
}

// part returns m[k], creating it.
func part[P any](m map[key]*P, k key) *P {
	p := m[k]
	if p == nil {
		p = new(P)
		m[k] = p
	}
	return p
}

// Version changes whenever what the store knows of the city changes in a
// way that can give an identifier a fact it did not have, or take one
// away, without any event of its own: a tower learned (a phone's area is
// weighed against the towers it did not hear too), the radio model
// refitted, a station placed after a gate named it (see unplaced). Which
// facts a cluster has, and the person's name, depend on its identifiers'
// own evidence and on these only, so a reader may keep them while both
// stay the same: the Engine keeps each profile's summary so.
//
// What else the store learns of the city changes how facts read, not
// which there are: a place's position or name, an app's category. Their
// first event names them, so the facts that read them change with it. At
// 1,000 people a day's new places changed the version once every 700
// events, so that a listing while events flowed derived every profile
// again (docs/performance.md, "Listings while events flow").
func (s *Store) Version() uint64 {
	return maphash.Comparable(versionSeed, struct {
		towers, placedLate int
		radio              radioModel
	}{len(s.towers), s.placedLate, s.radio})
}

var versionSeed = maphash.MakeSeed()

// compareIDs orders identifiers by kind, then value.
func compareIDs(a, b event.ID) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.Value, b.Value)
}

// Len returns the number of identifiers the store knows.
func (s *Store) Len() int { return len(s.heads) }

package world

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"exhaust/event"
)

// newWorld builds a small world for tests.
func newWorld(t testing.TB, persons int, adjust func(*Person)) *World {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Persons = persons
	cfg.Adjust = adjust
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return w
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		persons int
		wantErr bool
	}{
		{"no one", 0, true},
		{"negative", -3, true},
		{"hero alone", 1, false},
		{"default", DefaultPersons, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Persons = tt.persons
			w, err := New(cfg)
			if tt.wantErr {
				if !errors.Is(err, ErrNoPersons) {
					t.Fatalf("New(%d persons) error = %v, want ErrNoPersons", tt.persons, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if len(w.People) != tt.persons || w.People[0].ID != HeroID {
				t.Fatalf("got %d people, first %q", len(w.People), w.People[0].ID)
			}
			if w.Person(HeroID) != w.People[0] || w.Person("p999") != nil {
				t.Error("Person lookup is wrong")
			}
		})
	}
}

func TestDefaultStartIsSunday(t *testing.T) {
	w := newWorld(t, 1, nil)
	if d := w.Day(1).Date; d.Weekday() != time.Sunday || d.Hour() != 0 || d.Location() != Paris() {
		t.Fatalf("day 1 starts %v (%v), want a Sunday midnight in Paris", d, d.Weekday())
	}
}

func TestDeterminism(t *testing.T) {
	a, b := newWorld(t, 12, nil), newWorld(t, 12, nil)
	for _, day := range []int{1, 2, 6} {
		if !reflect.DeepEqual(a.Day(day), b.Day(day)) {
			t.Errorf("day %d differs between two worlds of the same config", day)
		}
	}
	cfg := DefaultConfig()
	cfg.Persons, cfg.Seed = 12, 99
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Day(2).Plans[3], c.Day(2).Plans[3]) {
		t.Error("a different seed gave the same plan")
	}
	if reflect.DeepEqual(a.People[3].Identifiers(a.City), c.People[3].Identifiers(c.City)) {
		t.Error("a different seed gave the same identifiers")
	}
}

func TestPopulationSizeDoesNotChangeOthers(t *testing.T) {
	small, large := newWorld(t, 10, nil), newWorld(t, 40, nil)
	for _, day := range []int{1, 2, 3} {
		ps, pl := small.Day(day).Plan("p005"), large.Day(day).Plan("p005")
		if ps == nil || pl == nil {
			t.Fatal("p005 missing")
		}
		if !reflect.DeepEqual(ps, pl) {
			t.Errorf("day %d: p005's plan depends on the population size", day)
		}
	}
}

// forPlans runs f over every plan of the first days of a small world.
func forPlans(t *testing.T, w *World, days int, f func(t *testing.T, d *Day, p *Plan)) {
	t.Helper()
	for i := 1; i <= days; i++ {
		d := w.Day(i)
		for _, p := range d.Plans {
			f(t, d, p)
		}
	}
}

func TestSegmentsCoverTheDay(t *testing.T) {
	w := newWorld(t, 15, nil)
	forPlans(t, w, 8, func(t *testing.T, d *Day, p *Plan) {
		segs := p.Segments
		if !p.Person.InCity(d.Index) {
			if len(segs) != 0 || p.Sleep != nil {
				t.Errorf("%s day %d: away, but the plan has %d segments", p.Person.ID, d.Index, len(segs))
			}
			return
		}
		if len(segs) == 0 {
			t.Fatalf("%s day %d: no segments", p.Person.ID, d.Index)
		}
		if !segs[0].Start.Equal(d.Date) || !segs[len(segs)-1].End.Equal(w.Date(d.Index+1)) {
			t.Errorf("%s day %d: segments span %v–%v", p.Person.ID, d.Index, segs[0].Start, segs[len(segs)-1].End)
		}
		for i, s := range segs {
			if !s.End.After(s.Start) {
				t.Errorf("%s day %d: empty segment %d", p.Person.ID, d.Index, i)
			}
			if i > 0 && !segs[i-1].End.Equal(s.Start) {
				t.Errorf("%s day %d: gap before segment %d", p.Person.ID, d.Index, i)
			}
			if (s.Trip == nil) == (s.Place == nil) {
				t.Errorf("%s day %d: segment %d has place %v and trip %v", p.Person.ID, d.Index, i, s.Place, s.Trip)
			}
		}
		// Night workers start or end some days at work, mid-shift.
		atHome := func(pl *Place) bool {
			return pl == p.Person.Home || (p.Person.Occupation == OccNight && pl == p.Person.Work)
		}
		if !atHome(segs[0].Place) || !atHome(segs[len(segs)-1].Place) {
			t.Errorf("%s day %d: the day does not start and end at home", p.Person.ID, d.Index)
		}
		if p.Sleep == nil || !p.Sleep.Wake.After(p.Sleep.Bed) {
			t.Errorf("%s day %d: bad sleep %+v", p.Person.ID, d.Index, p.Sleep)
		}
	})
}

func TestConsecutiveNightsAgree(t *testing.T) {
	w := newWorld(t, 10, nil)
	for i := 1; i < 5; i++ {
		today, tomorrow := w.Day(i), w.Day(i+1)
		for k, p := range today.Plans {
			bed := tomorrow.Plans[k].Sleep.Bed
			if bed.Before(w.Date(i + 1)) {
				last := p.Segments[len(p.Segments)-1]
				if last.Activity != ActSleep || !last.Start.Equal(bed) {
					t.Errorf("%s: day %d ends with %s from %v, day %d says bed at %v", p.Person.ID, i, last.Activity, last.Start, i+1, bed)
				}
			}
		}
	}
}

func TestTripsFollowLines(t *testing.T) {
	w := newWorld(t, 15, nil)
	c := w.City
	metro := 0
	forPlans(t, w, 7, func(t *testing.T, d *Day, p *Plan) {
		for _, s := range p.Segments {
			tr := s.Trip
			if tr == nil || tr.Mode != "metro" {
				continue
			}
			metro++
			if len(tr.Legs) == 0 {
				t.Fatalf("%s: metro trip without legs", p.Person.ID)
			}
			prev := s.Start
			for i, l := range tr.Legs {
				if stops := c.Stops(l); len(stops) < 2 {
					t.Errorf("%s: leg %d %s→%s is not a ride on line %s", p.Person.ID, i, l.From.Name, l.To.Name, l.Line)
				}
				if i > 0 && tr.Legs[i-1].To != l.From {
					t.Errorf("%s: legs %d and %d do not connect", p.Person.ID, i-1, i)
				}
				if l.Board.Before(prev) || !l.Alight.After(l.Board) || l.Alight.After(s.End) {
					t.Errorf("%s: leg %d times %v–%v outside order (segment %v–%v)", p.Person.ID, i, l.Board, l.Alight, s.Start, s.End)
				}
				prev = l.Alight
			}
			if (tr.Ticket == "") != (p.Person.PassID != "") {
				t.Errorf("%s: pass %q but ticket %q", p.Person.ID, p.Person.PassID, tr.Ticket)
			}
		}
	})
	if metro == 0 {
		t.Fatal("nobody took the metro")
	}
}

func TestRoute(t *testing.T) {
	c := NewCity()
	tests := []struct {
		name     string
		from, to string
		lines    []string
	}{
		{"hero to the mall", "station:alexandre-dumas", "station:chatelet", []string{"2", "1"}},
		{"mall to the hero", "station:chatelet", "station:alexandre-dumas", []string{"1", "2"}},
		{"one stop", "station:chatelet", "station:les-halles", []string{"4"}},
		{"express", "station:saint-lazare", "station:gare-de-lyon", []string{"14"}},
		{"same station", "station:nation", "station:nation", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := c.Station(tt.from), c.Station(tt.to)
			if from == nil || to == nil {
				t.Fatalf("unknown station %s or %s", tt.from, tt.to)
			}
			legs := c.Route(from, to)
			var lines []string
			for _, l := range legs {
				lines = append(lines, l.Line)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Fatalf("Route lines = %v, want %v", lines, tt.lines)
			}
			if len(legs) > 0 && (legs[0].From != from || legs[len(legs)-1].To != to) {
				t.Error("route does not join the stations")
			}
			// The cached answer is the same.
			if again := c.Route(from, to); !reflect.DeepEqual(again, legs) {
				t.Error("cached route differs")
			}
		})
	}
}

func TestMetroNetwork(t *testing.T) {
	c := NewCity()
	if len(c.Lines) < 4 {
		t.Errorf("%d lines, want at least 4", len(c.Lines))
	}
	for _, s := range c.Stations {
		if len(s.Lines) == 0 {
			t.Errorf("station %s is on no line", s.Name)
		}
		if p := c.Place(s.ID); p == nil || p.Station != s || p.Kind != KindStation || s.Place != p {
			t.Errorf("station %s is not registered as a place", s.ID)
		}
	}
	if s := c.Station("station:chatelet"); s == nil || len(s.Lines) < 3 {
		t.Error("Châtelet should be an interchange")
	}
	// Every pair of stations is connected.
	for _, s := range c.Stations {
		if s != c.Stations[0] && c.Route(c.Stations[0], s) == nil {
			t.Errorf("no route from %s to %s", c.Stations[0].Name, s.Name)
		}
	}
}

func TestMallShops(t *testing.T) {
	c := NewCity()
	var shops []*Place
	for _, p := range c.Places {
		if p.Mall != nil {
			shops = append(shops, p)
			if p.Merchant == "" || len(p.MCC) != 4 {
				t.Errorf("%s lacks merchant data", p.ID)
			}
		}
	}
	if len(shops) < 6 {
		t.Errorf("%d shops in the mall, want ≥ 6", len(shops))
	}
	tests := []struct{ id, mcc, chain, ssid string }{
		{FnacID, "5942", "fnac", MallSSID},
		{StarbucksID, "5814", "starbucks", CafeSSID},
	}
	for _, tt := range tests {
		p := c.Place(tt.id)
		if p == nil || p.MCC != tt.mcc || p.Chain != tt.chain || p.Mall == nil {
			t.Errorf("%s: %+v", tt.id, p)
			continue
		}
		if len(p.APs) == 0 || p.APs[0].SSID != tt.ssid {
			t.Errorf("%s: no %s access point", tt.id, tt.ssid)
		}
	}
	// Two mall APs cross at the café.
	cafe := c.Place(StarbucksID)
	near := 0
	for _, ap := range c.APs {
		if ap.SSID == MallSSID && Distance(ap.Point, cafe.Point) < 60 {
			near++
		}
		if ap.BSSID == "" {
			t.Errorf("AP without BSSID at %s", ap.Place.ID)
		}
	}
	if near < 2 {
		t.Errorf("%d mall APs near the café, want ≥ 2", near)
	}
}

func TestHomesSpread(t *testing.T) {
	w := newWorld(t, 60, nil)
	arr := map[int]bool{}
	for _, p := range w.People {
		arr[p.Home.Arrondissement] = true
		if p.Occupation == OccVisitor {
			if p.Home.Kind != KindHotel || w.City.Place(p.Home.ID) != p.Home {
				t.Errorf("%s: a visitor staying at %s, not a hotel of the city", p.ID, p.Home.ID)
			}
			continue
		}
		if w.City.Place(p.Home.ID) != p.Home || p.Home.ID != "home:"+p.ID {
			t.Errorf("%s: home %s not in the city", p.ID, p.Home.ID)
		}
	}
	if len(arr) < 6 {
		t.Errorf("homes in %d arrondissements, want ≥ 6", len(arr))
	}
	if h := w.People[0].Home.Arrondissement; h != 11 && h != 20 {
		t.Errorf("hero lives in the %de", h)
	}
}

func TestTowersDenserDowntown(t *testing.T) {
	c := NewCity()
	minLat, maxLat, minLon, maxLon := 90.0, -90.0, 180.0, -180.0
	inner := 0
	for _, tw := range c.Towers {
		minLat, maxLat = min(minLat, tw.Point.Lat), max(maxLat, tw.Point.Lat)
		minLon, maxLon = min(minLon, tw.Point.Lon), max(maxLon, tw.Point.Lon)
		if Distance(tw.Point, Chatelet) <= 1500 {
			inner++
		}
	}
	box := Distance(Point{minLat, minLon}, Point{maxLat, minLon}) * Distance(Point{minLat, minLon}, Point{minLat, maxLon}) / 1e6
	disc := 3.14159 * 1.5 * 1.5
	innerD, outerD := float64(inner)/disc, float64(len(c.Towers)-inner)/(box-disc)
	if innerD < 2*outerD {
		t.Errorf("downtown %.1f towers/km², elsewhere %.1f: want at least twice as dense", innerD, outerD)
	}
	seen := map[string]bool{}
	for i, tw := range c.Towers {
		if tw.ID != "T"+pad3(i+1) || seen[tw.ID] {
			t.Errorf("tower %d has id %s", i, tw.ID)
		}
		seen[tw.ID] = true
	}
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func TestEveryPlaceCanBeTriangulated(t *testing.T) {
	w := newWorld(t, 60, nil)
	for _, p := range w.City.Places {
		ts := w.City.TowersNear(p.Point, 3)
		if len(ts) != 3 || ts[2].DistanceM > 2000 {
			t.Errorf("%s: fewer than 3 towers within 2 km", p.ID)
			continue
		}
		if ts[0].DistanceM > ts[1].DistanceM || ts[1].DistanceM > ts[2].DistanceM {
			t.Errorf("%s: towers not nearest first", p.ID)
		}
	}
}

func TestTowersNearMatchesSort(t *testing.T) {
	c := NewCity()
	p := c.Place(FnacID).Point
	got := c.TowersNear(p, 10)
	all := c.TowersNear(p, len(c.Towers))
	if len(all) != len(c.Towers) || !reflect.DeepEqual(got, all[:10]) {
		t.Fatal("TowersNear(n) is not the first n of the full ordering")
	}
	if c.TowersNear(p, 0) != nil {
		t.Error("TowersNear(0) should be empty")
	}
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"490154203237518", true},
		{"490154203237517", false},
		{"79927398713", true},
		{"7992739871x", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := LuhnValid(tt.in); got != tt.want {
				t.Errorf("LuhnValid(%q) = %v", tt.in, got)
			}
		})
	}
	w := newWorld(t, 80, nil)
	for _, p := range w.People {
		if len(p.Phone.IMEI) != 15 || !LuhnValid(p.Phone.IMEI) {
			t.Errorf("%s: IMEI %s", p.ID, p.Phone.IMEI)
		}
		if !strings.HasPrefix(p.Phone.IMSI, "20801") || len(p.Phone.IMSI) != 15 || !strings.HasPrefix(p.Phone.MSISDN, "+336") {
			t.Errorf("%s: IMSI %s MSISDN %s", p.ID, p.Phone.IMSI, p.Phone.MSISDN)
		}
		if !reservedEmail(p.Email) || !strings.HasPrefix(p.CardToken, "tok_") {
			t.Errorf("%s: email %s card %s", p.ID, p.Email, p.CardToken)
		}
	}
}

func TestIdentifiersUnique(t *testing.T) {
	w := newWorld(t, 300, func(p *Person) { p.Privacy.MACRandomisation = true })
	owner := map[string]string{}
	for _, p := range w.People {
		for _, id := range p.Identifiers(w.City) {
			if o, ok := owner[id.Value]; ok && o != p.ID {
				t.Errorf("%s %s belongs to %s and %s", id.Kind, id.Value, o, p.ID)
			}
			owner[id.Value] = p.ID
		}
	}
}

func TestIdentifiersComplete(t *testing.T) {
	tests := []struct {
		name      string
		randomise bool
	}{
		{"hardware MACs", false},
		{"randomised MACs", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, 3, func(p *Person) { p.Privacy.MACRandomisation = tt.randomise })
			h := w.People[0]
			ids := h.Identifiers(w.City)
			if !slices.IsSortedFunc(ids, func(a, b event.ID) int {
				return strings.Compare(string(a.Kind)+"\x00"+a.Value, string(b.Kind)+"\x00"+b.Value)
			}) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
				t.Error("identifiers not sorted or duplicated")
			}
			has := func(k event.IDKind, v string) bool { return slices.Contains(ids, event.ID{Kind: k, Value: v}) }
			want := []event.ID{
				{Kind: event.IMSI, Value: h.Phone.IMSI}, {Kind: event.IMEI, Value: h.Phone.IMEI},
				{Kind: event.MSISDN, Value: h.Phone.MSISDN}, {Kind: event.ADID, Value: h.Phone.ADID},
				{Kind: event.ADID, Value: h.Tablet.ADID}, {Kind: event.MAC, Value: h.Phone.MAC},
				{Kind: event.MAC, Value: h.Tablet.MAC}, {Kind: event.Wristband, Value: h.Wristband.Serial},
				{Kind: event.Card, Value: h.CardToken}, {Kind: event.Pass, Value: h.PassID},
				{Kind: event.Loyalty, Value: h.Loyalty["fnac"]}, {Kind: event.Loyalty, Value: h.Loyalty["starbucks"]},
				{Kind: event.Email, Value: h.Email},
			}
			for _, id := range want {
				if !has(id.Kind, id.Value) {
					t.Errorf("missing %s %s", id.Kind, id.Value)
				}
			}
			for _, ssid := range w.City.SSIDs() {
				for _, d := range []*Device{h.Phone, h.Tablet} {
					if got := has(event.MAC, d.WifiMAC(ssid, true)); got != tt.randomise {
						t.Errorf("%s MAC for %q listed = %v", d.Kind, ssid, got)
					}
				}
			}
			for _, id := range ids {
				if !id.Kind.Valid() || id.Value == "" {
					t.Errorf("bad identifier %+v", id)
				}
			}
		})
	}
}

func TestWifiMAC(t *testing.T) {
	d := &Device{MAC: "3c:22:fb:12:34:56"}
	if got := d.WifiMAC(MallSSID, false); got != d.MAC {
		t.Errorf("without randomisation got %s", got)
	}
	a, b := d.WifiMAC(MallSSID, true), d.WifiMAC(CafeSSID, true)
	if a == b || a == d.MAC || a != d.WifiMAC(MallSSID, true) {
		t.Errorf("randomised MACs %s %s should differ per SSID and be stable", a, b)
	}
	for _, m := range []string{a, b} {
		first, err := strconv.ParseUint(m[:2], 16, 8)
		if err != nil || len(m) != 17 {
			t.Fatalf("malformed MAC %q", m)
		}
		if first&0x02 == 0 || first&0x01 != 0 {
			t.Errorf("%s is not locally administered unicast", m)
		}
	}
}

func TestSocialGraph(t *testing.T) {
	w := newWorld(t, 30, nil)
	if n := len(w.People[0].Habits.Contacts); n < 3 {
		t.Errorf("hero has %d contacts", n)
	}
	for _, p := range w.People {
		for _, c := range p.Habits.Contacts {
			q := w.Person(c)
			if q == nil || q == p || !slices.Contains(q.Habits.Contacts, p.ID) {
				t.Errorf("%s → %s is not a symmetric contact", p.ID, c)
			}
		}
	}
}

func TestSleepPhases(t *testing.T) {
	w := newWorld(t, 10, nil)
	kinds := map[string]bool{"falling_asleep": true, "light": true, "deep": true, "rem": true, "awake": true}
	forPlans(t, w, 3, func(t *testing.T, d *Day, p *Plan) {
		s := p.Sleep
		if len(s.Phases) == 0 || s.Phases[0].Kind != "falling_asleep" || !s.Phases[0].Start.Equal(s.Bed) ||
			!s.Phases[len(s.Phases)-1].End.Equal(s.Wake) {
			t.Fatalf("%s day %d: phases do not run from bed to wake", p.Person.ID, d.Index)
		}
		seen := map[string]bool{}
		for i, ph := range s.Phases {
			seen[ph.Kind] = true
			if !kinds[ph.Kind] || !ph.End.After(ph.Start) || (i > 0 && !s.Phases[i-1].End.Equal(ph.Start)) {
				t.Errorf("%s day %d: bad phase %d %+v", p.Person.ID, d.Index, i, ph)
			}
		}
		if !seen["deep"] || !seen["light"] || !seen["rem"] {
			t.Errorf("%s day %d: phases %v", p.Person.ID, d.Index, seen)
		}
		if p.Awake(s.Wake.Add(-time.Minute)) || !p.Awake(s.Wake.Add(time.Minute)) {
			t.Errorf("%s day %d: Awake disagrees with the wake time", p.Person.ID, d.Index)
		}
	})
}

func TestWhere(t *testing.T) {
	w := newWorld(t, 1, nil)
	p := w.Day(1).Plan(HeroID)
	home := p.Person.Home
	if pt, pl := p.Where(w.Date(1).Add(3 * time.Hour)); pl != home || pt != home.Point {
		t.Errorf("at 03:00 she is at %v %v", pt, pl)
	}
	for _, s := range p.Segments {
		if s.Trip == nil {
			continue
		}
		mid := s.Start.Add(s.End.Sub(s.Start) / 2)
		pt, pl := p.Where(mid)
		if pl != nil {
			t.Errorf("moving at %v but at place %s", mid, pl.ID)
		}
		span := Distance(s.Trip.From.Point, s.Trip.To.Point)
		if Distance(pt, s.Trip.From.Point) > span+2000 || Distance(pt, s.Trip.To.Point) > span+2000 {
			t.Errorf("mid-trip point %v is far off the way", pt)
		}
		for _, l := range s.Trip.Legs {
			if pt, _ := p.Where(l.Board); Distance(pt, l.From.Point) > 1 {
				t.Errorf("at boarding on line %s she is %.0f m from %s", l.Line, Distance(pt, l.From.Point), l.From.Name)
			}
			if pt, _ := p.Where(l.Alight); Distance(pt, l.To.Point) > 1 {
				t.Errorf("at alighting on line %s she is %.0f m from %s", l.Line, Distance(pt, l.To.Point), l.To.Name)
			}
			if mid := l.Board.Add(l.Alight.Sub(l.Board) / 2); !p.Underground(mid) || p.Underground(l.Board.Add(-time.Second)) {
				t.Errorf("line %s: underground %v mid-leg, %v before boarding", l.Line, p.Underground(mid), p.Underground(l.Board.Add(-time.Second)))
			}
		}
	}
}

func TestTickets(t *testing.T) {
	w := newWorld(t, 12, func(p *Person) { p.PassID = "" })
	bought := 0
	forPlans(t, w, 3, func(t *testing.T, d *Day, p *Plan) {
		var used []string
		for _, s := range p.Segments {
			if s.Trip != nil && s.Trip.Mode == "metro" {
				used = append(used, s.Trip.Ticket)
			}
		}
		ids := p.TicketIDs()
		bought += len(ids)
		for _, pu := range p.Purchases {
			if pu.Tickets != len(pu.TicketIDs) {
				t.Errorf("%s: %d tickets, %d ids", p.Person.ID, pu.Tickets, len(pu.TicketIDs))
			}
		}
		for _, u := range used {
			if !slices.Contains(ids, u) {
				t.Errorf("%s used ticket %q not bought that day", p.Person.ID, u)
			}
		}
		truth := d.Truth()[p.Person.ID]
		for _, id := range ids {
			if !slices.Contains(truth, event.ID{Kind: event.Ticket, Value: id}) {
				t.Errorf("%s: ticket %s missing from the day's truth", p.Person.ID, id)
			}
		}
	})
	if bought == 0 {
		t.Fatal("nobody bought a ticket")
	}
	ids := map[string]bool{}
	for _, k := range []struct {
		seed   int64
		person string
		day, n int
	}{{1, "p001", 2, 0}, {1, "p001", 2, 1}, {1, "p001", 3, 0}, {1, "p002", 2, 0}, {2, "p001", 2, 0}} {
		id := TicketID(k.seed, k.person, k.day, k.n)
		if ids[id] || id != TicketID(k.seed, k.person, k.day, k.n) {
			t.Errorf("TicketID%v = %s is not a stable, distinct number", k, id)
		}
		ids[id] = true
	}
}

func TestAdjust(t *testing.T) {
	w := newWorld(t, 5, func(p *Person) { p.Privacy.PaysCash = true; p.Privacy.UsesLoyaltyCard = false })
	forPlans(t, w, 2, func(t *testing.T, d *Day, p *Plan) {
		for _, pu := range p.Purchases {
			if pu.Method != "cash" || pu.Loyalty != "" {
				t.Errorf("%s paid %s with loyalty %q despite Adjust", p.Person.ID, pu.Method, pu.Loyalty)
			}
		}
	})
}

func TestAppsWhileAwake(t *testing.T) {
	w := newWorld(t, 15, nil)
	forPlans(t, w, 4, func(t *testing.T, d *Day, p *Plan) {
		for _, a := range append(slices.Clone(p.Apps), p.TabletUse...) {
			if a.Device == nil || a.Duration <= 0 || !p.Awake(a.Start) || !p.Awake(a.Start.Add(a.Duration)) {
				t.Errorf("%s day %d: session %s at %v (%v) while asleep or malformed", p.Person.ID, d.Index, a.App, a.Start, a.Duration)
			}
		}
		for _, m := range p.Messages {
			if m.Peer == "" || m.Peer == p.Person.Phone.MSISDN || (m.Kind == "call") != (m.Duration > 0) {
				t.Errorf("%s day %d: bad message %+v", p.Person.ID, d.Index, m)
			}
		}
		for _, s := range p.Syncs() {
			if _, at := p.Where(s); at != p.Person.Home || !p.Awake(s) {
				t.Errorf("%s day %d: wristband sync at %v away from home or asleep", p.Person.ID, d.Index, s)
			}
		}
	})
}

func TestConcurrentDays(t *testing.T) {
	w := newWorld(t, 8, nil)
	want := make([]*Day, 5)
	for i := range want {
		want[i] = w.Day(i + 1)
	}
	got := make([]*Day, len(want))
	done := make(chan int)
	for i := range got {
		go func() { got[i] = w.Day(i + 1); done <- i }()
	}
	for range got {
		<-done
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("day %d differs when computed concurrently", i+1)
		}
	}
}

// TestTowersNearMatchesLinearScan checks the grid search against the plain
// definition: sort every tower by distance, ties by id.
func TestTowersNearMatchesLinearScan(t *testing.T) {
	c := NewCity()
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 2000; i++ {
		p := Point{Lat: 48.80 + rng.Float64()*0.13, Lon: 2.22 + rng.Float64()*0.25}
		n := 1 + rng.IntN(6)
		got := c.TowersNear(p, n)
		kx := math.Cos(p.Lat * math.Pi / 180)
		all := slices.Clone(c.Towers)
		d2 := func(t *Tower) float64 {
			dy, dx := t.Point.Lat-p.Lat, (t.Point.Lon-p.Lon)*kx
			return dy*dy + dx*dx
		}
		slices.SortStableFunc(all, func(a, b *Tower) int {
			if da, db := d2(a), d2(b); da != db {
				return cmp.Compare(da, db)
			}
			return strings.Compare(a.ID, b.ID)
		})
		for j := range got {
			if got[j].Tower != all[j] {
				t.Fatalf("point %v, n %d: tower %d is %s, want %s", p, n, j, got[j].Tower.ID, all[j].ID)
			}
		}
	}
}

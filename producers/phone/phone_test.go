package phone_test

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/producers/phone"
	"exhaust/producers/producertest"
	"exhaust/world"
)

var date = time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())

// at returns hh:mm on the test day.
func at(h, m int) time.Time {
	return date.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

var homePoint = world.Point{Lat: 48.8556, Lon: 2.3962}

// offset returns p moved by north and east metres.
func offset(p world.Point, north, east float64) world.Point {
	return world.Point{Lat: p.Lat + north/111_320, Lon: p.Lon + east/(111_320*math.Cos(p.Lat*math.Pi/180))}
}

// testCity is a home in the middle of a 9×9 grid of towers 500 m apart.
func testCity() (*world.City, *world.Place) {
	home := &world.Place{ID: "home:t1", Name: "Home", Kind: world.KindHome, Point: homePoint}
	c := &world.City{Places: []*world.Place{home}}
	for i := -4; i <= 4; i++ {
		for j := -4; j <= 4; j++ {
			// Off the grid a little, so no two towers are at the same distance.
			p := offset(homePoint, float64(i)*500+37, float64(j)*500-91)
			c.Towers = append(c.Towers, &world.Tower{ID: fmt.Sprintf("T%03d", len(c.Towers)+1), Point: p})
		}
	}
	return c, home
}

func testPerson(home *world.Place, priv world.Privacy) *world.Person {
	return &world.Person{
		ID: "t1", Name: "Test Person", Email: "test.person@example.net", Home: home,
		Phone: &world.Device{Kind: world.DevicePhone, MAC: "3c:22:fb:00:00:01", IMEI: "353976110000011",
			IMSI: "208010000000001", MSISDN: "+33600000001", ADID: "00000000-0000-4000-8000-000000000001"},
		Tablet:  &world.Device{Kind: world.DeviceTablet, MAC: "3c:22:fb:00:00:02", ADID: "00000000-0000-4000-8000-000000000002"},
		Privacy: priv,
	}
}

// homeDay is a day at home: asleep until 07:00 and from 23:00, a few app
// sessions, texts and a call, including a text that arrives at 03:00.
func homeDay(p *world.Person) *world.Plan {
	home := p.Home
	return &world.Plan{
		Person: p, Day: 1,
		Sleep: &world.Sleep{Bed: at(-1, 0), Wake: at(7, 0)},
		Segments: []world.Segment{
			{Start: at(0, 0), End: at(7, 0), Activity: "sleep", Place: home},
			{Start: at(7, 0), End: at(23, 0), Activity: "home", Place: home},
			{Start: at(23, 0), End: at(24, 0), Activity: "sleep", Place: home},
		},
		Apps: []world.AppSession{
			{Start: at(7, 1), Duration: 3 * time.Minute, App: "WhatsApp", Device: p.Phone},
			{Start: at(12, 0), Duration: 25 * time.Minute, App: "Le Monde", Device: p.Phone},
			{Start: at(21, 0), Duration: 40 * time.Minute, App: "Netflix", Device: p.Tablet},
		},
		Messages: []world.Message{
			{Time: at(3, 0), Kind: "sms", Peer: "+33600000002"},
			{Time: at(3, 30), Kind: "sms", Peer: "+33600000002", Outgoing: true}, // impossible with the phone off
			{Time: at(9, 0), Kind: "sms", Peer: "+33600000002", Outgoing: true},
			{Time: at(18, 0), Kind: "call", Peer: "+33600000003", Duration: 4 * time.Minute},
		},
		Searches: []world.Search{{Time: at(12, 5), Topic: "recette", Device: p.Phone}},
	}
}

func collect(t *testing.T, day *world.Day) []event.Event {
	t.Helper()
	evs, err := producers.Collect(phone.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func kinds(evs []event.Event, kind string) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind() == kind {
			out = append(out, e)
		}
	}
	return out
}

func cellEvents(evs []event.Event, kind string) []phone.Cell {
	var out []phone.Cell
	for _, e := range kinds(evs, phone.KindCell) {
		if c := e.Data.(phone.Cell); kind == "" || c.Event == kind {
			out = append(out, c)
		}
	}
	return out
}

func TestLocationServices(t *testing.T) {
	tests := []struct {
		name    string
		on      bool
		wantGPS bool
	}{
		{"on: apps get GPS fixes", true, true},
		{"off: no GPS, the network still sees the phone", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, home := testCity()
			p := testPerson(home, world.Privacy{LocationServices: tc.on})
			evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
			if got := len(kinds(evs, phone.KindGPS)) > 0; got != tc.wantGPS {
				t.Errorf("gps events: got %v, want %v", got, tc.wantGPS)
			}
			night := 0
			for _, e := range kinds(evs, phone.KindCell) {
				if e.Time.Before(at(7, 0)) {
					night++
				}
			}
			// Seven hours of periodic updates every 30 to 60 minutes.
			if night < 7 || night > 15 {
				t.Errorf("%d cell events during the night at home, want 7 to 15", night)
			}
		})
	}
}

func TestGPSNoise(t *testing.T) {
	c, home := testCity()
	p := testPerson(home, world.Privacy{LocationServices: true})
	evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
	fixes := kinds(evs, phone.KindGPS)
	// One fix when each phone app opens and every 10 minutes while open;
	// the tablet has no GPS.
	if len(fixes) != 4 {
		t.Errorf("%d fixes, want 4 (WhatsApp at 07:01, Le Monde at 12:00, 12:10, 12:20)", len(fixes))
	}
	for _, e := range fixes {
		g := e.Data.(phone.GPS)
		d := world.Distance(world.Point{Lat: g.Where.Lat, Lon: g.Where.Lon}, homePoint)
		if g.Where.AccuracyM < 5 || g.Where.AccuracyM > 20 {
			t.Errorf("accuracy %v m, want 5 to 20", g.Where.AccuracyM)
		}
		if d > 4*g.Where.AccuracyM {
			t.Errorf("fix %.0f m from the truth with a %v m accuracy", d, g.Where.AccuracyM)
		}
		if g.Where.Place != "" {
			t.Errorf("a GPS fix knows coordinates, not places: got place %q", g.Where.Place)
		}
	}
}

func TestPhoneOffAtNight(t *testing.T) {
	tests := []struct {
		name    string
		off     bool
		attach  []time.Time
		detach  []time.Time
		smsIn   time.Time // when the 03:00 text reaches the phone
		smsOuts int
	}{
		{"left on", false, nil, nil, at(3, 0), 2},
		{"switched off", true, []time.Time{at(7, 0)}, []time.Time{at(23, 0)}, at(7, 0), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, home := testCity()
			p := testPerson(home, world.Privacy{LocationServices: true, PhoneOffAtNight: tc.off})
			evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
			var attach, detach []time.Time
			for _, e := range kinds(evs, phone.KindCell) {
				switch e.Data.(phone.Cell).Event {
				case phone.EventAttach:
					attach = append(attach, e.Time)
				case phone.EventDetach:
					detach = append(detach, e.Time)
				}
			}
			if !slices.EqualFunc(attach, tc.attach, time.Time.Equal) || !slices.EqualFunc(detach, tc.detach, time.Time.Equal) {
				t.Errorf("attach %v, detach %v; want %v, %v", attach, detach, tc.attach, tc.detach)
			}
			for _, e := range evs {
				// Asleep from 00:00 to 07:00 and from 23:00: an attach at
				// 07:00 and a detach at 23:00 are the edges.
				asleep := e.Time.Before(at(7, 0)) || e.Time.After(at(23, 0))
				if tc.off && asleep {
					t.Errorf("%s at %s while the phone is off", e.Type, e.Time.In(world.Paris()).Format("15:04:05"))
				}
			}
			var in, out []time.Time
			for _, e := range kinds(evs, phone.KindSMS) {
				if e.Data.(phone.SMS).Direction == "in" {
					in = append(in, e.Time)
				} else {
					out = append(out, e.Time)
				}
			}
			if len(in) != 1 || !in[0].Equal(tc.smsIn) {
				t.Errorf("incoming texts at %v, want one at %v (held by the operator while the phone is off)", in, tc.smsIn)
			}
			if len(out) != tc.smsOuts {
				t.Errorf("%d outgoing texts, want %d", len(out), tc.smsOuts)
			}
		})
	}
}

// TestTriangulation checks what the seed's narrator says: the towers alone
// show where she slept. A weighted centroid of the measured towers, as a
// student would compute it, lands near home.
func TestTriangulation(t *testing.T) {
	c, home := testCity()
	p := testPerson(home, world.Privacy{})
	evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
	towers := map[string]world.Point{}
	for _, tw := range c.Towers {
		towers[tw.ID] = tw.Point
	}
	var lat, lon, wsum float64
	cells := cellEvents(evs, "")
	if len(cells) == 0 {
		t.Fatal("no cell events")
	}
	for _, cl := range cells {
		if len(cl.Measurements) < 3 {
			t.Errorf("%d measurements, want at least 3 to triangulate", len(cl.Measurements))
		}
		if !slices.ContainsFunc(cl.Measurements, func(m phone.Measurement) bool { return m.Tower == cl.Tower }) {
			t.Errorf("serving tower %s missing from the measurements %v", cl.Tower, cl.Measurements)
		}
		if want := "tower:" + cl.Tower; cl.Where.Place != want || math.Abs(cl.Where.Lat-towers[cl.Tower].Lat) > 1e-6 {
			t.Errorf("where %+v, want the serving tower %s", cl.Where, want)
		}
		for i, m := range cl.Measurements {
			if i > 0 && m.RSSIdBm > cl.Measurements[i-1].RSSIdBm && m.Tower != cl.Tower {
				t.Errorf("measurements not strongest first: %v", cl.Measurements)
			}
			w := math.Pow(10, float64(m.RSSIdBm)/10) // linear power
			lat, lon, wsum = lat+w*towers[m.Tower].Lat, lon+w*towers[m.Tower].Lon, wsum+w
		}
	}
	guess := world.Point{Lat: lat / wsum, Lon: lon / wsum}
	if d := world.Distance(guess, homePoint); d > 300 {
		t.Errorf("weighted centroid of the towers is %.0f m from home, want under 300 m", d)
	}
}

func TestPathLoss(t *testing.T) {
	c, home := testCity()
	p := testPerson(home, world.Privacy{})
	evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
	towers := map[string]world.Point{}
	for _, tw := range c.Towers {
		towers[tw.ID] = tw.Point
	}
	// Averaged over the day, nearer towers are heard louder.
	sum, n := map[string]float64{}, map[string]float64{}
	for _, cl := range cellEvents(evs, "") {
		for _, m := range cl.Measurements {
			sum[m.Tower] += float64(m.RSSIdBm)
			n[m.Tower]++
		}
	}
	var ids []string
	for id := range sum {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return int(world.Distance(homePoint, towers[a]) - world.Distance(homePoint, towers[b]))
	})
	nearest, farthest := ids[0], ids[len(ids)-1]
	if sum[nearest]/n[nearest] <= sum[farthest]/n[farthest] {
		t.Errorf("nearest tower %s (%.0f m) heard at %.1f dBm, farthest %s (%.0f m) at %.1f dBm",
			nearest, world.Distance(homePoint, towers[nearest]), sum[nearest]/n[nearest],
			farthest, world.Distance(homePoint, towers[farthest]), sum[farthest]/n[farthest])
	}
	for id := range sum {
		if d := world.Distance(homePoint, towers[id]); d > 1500 {
			t.Errorf("tower %s measured from %.0f m away: only the strongest few should be reported", id, d)
		}
	}
}

func TestApps(t *testing.T) {
	c, home := testCity()
	p := testPerson(home, world.Privacy{})
	evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
	tests := []struct {
		app      string
		device   string
		category string
		ids      []event.ID
	}{
		{"WhatsApp", "phone", "messages", []event.ID{{Kind: event.ADID, Value: p.Phone.ADID}, {Kind: event.MSISDN, Value: p.Phone.MSISDN}}},
		{"Le Monde", "phone", "news", []event.ID{{Kind: event.ADID, Value: p.Phone.ADID}}},
		{"Netflix", "tablet", "video", []event.ID{{Kind: event.ADID, Value: p.Tablet.ADID}, {Kind: event.Email, Value: p.Email}}}, // signed in with an e-mail account
	}
	apps := kinds(evs, phone.KindApp)
	if len(apps) != len(tests) {
		t.Fatalf("%d app events, want %d", len(apps), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.app, func(t *testing.T) {
			i := slices.IndexFunc(apps, func(e event.Event) bool { return e.Data.(phone.App).App == tc.app })
			if i < 0 {
				t.Fatalf("no %s session", tc.app)
			}
			a := apps[i].Data.(phone.App)
			if a.Device != tc.device || a.Category != tc.category || !slices.Equal(a.IDs, tc.ids) {
				t.Errorf("got %+v, want device %s, category %s, ids %v", a, tc.device, tc.category, tc.ids)
			}
		})
	}
	s := kinds(evs, phone.KindSearch)
	if len(s) != 1 || s[0].Data.(phone.Search).Query == "" || s[0].Data.(phone.Search).Topic != "recette" {
		t.Errorf("searches: %+v, want one about recette with a query", s)
	}
}

func TestCorrespondent(t *testing.T) {
	c, home := testCity()
	p := testPerson(home, world.Privacy{})
	evs := collect(t, &world.Day{Index: 1, Date: date, City: c, Plans: []*world.Plan{homeDay(p)}})
	var texts []string
	for _, e := range kinds(evs, phone.KindSMS) {
		texts = append(texts, e.Data.(phone.SMS).Correspondent)
	}
	calls := kinds(evs, phone.KindCall)
	if len(texts) < 2 || len(calls) != 1 {
		t.Fatalf("%d texts and %d calls, want 2+ and 1", len(texts), len(calls))
	}
	call := calls[0].Data.(phone.Call)
	for _, h := range texts {
		if h != texts[0] {
			t.Errorf("texts with the same peer have correspondents %q and %q: the graph must link them", texts[0], h)
		}
		if h == call.Correspondent {
			t.Errorf("two peers share the correspondent %q", h)
		}
		if h == "+33600000002" || len(h) != 16 {
			t.Errorf("correspondent %q: want a 16-hex-digit hash, not the number", h)
		}
	}
	if call.DurationS != 240 || call.Direction != "in" || call.Where == nil {
		t.Errorf("call %+v: want 240 s, incoming, located at a tower", call)
	}
}

// TestHandoversAlongTrips looks at the hero's metro ride of the seed Sunday:
// the serving tower changes along the way and always stays near her.
func TestHandoversAlongTrips(t *testing.T) {
	day := producertest.Day(t, 1)
	plan := day.Plan(world.HeroID)
	ride := day.Moment(world.MomentLateMorning)
	evs := collect(t, day)
	towers := map[string]world.Point{}
	for _, tw := range day.City.Towers {
		towers[tw.ID] = tw.Point
	}
	handovers := 0
	for _, e := range kinds(evs, phone.KindCell) {
		cl := e.Data.(phone.Cell)
		if cl.IDs[0].Value != plan.Person.Phone.IMSI {
			continue
		}
		truth, _ := plan.Where(e.Time)
		if d := world.Distance(truth, towers[cl.Tower]); d > 1500 {
			t.Errorf("%s at %s: serving tower %s is %.0f m away", cl.Event, e.Time, cl.Tower, d)
		}
		if cl.Event == phone.EventHandover && !e.Time.Before(ride.Start) && e.Time.Before(ride.End) {
			handovers++
		}
	}
	// A 6 km ride through 350 to 800 m cells.
	if handovers < 5 {
		t.Errorf("%d handovers during the ride, want at least 5", handovers)
	}
}

// TestHeroDay checks the seed's moments on the hero's day 1.
func TestHeroDay(t *testing.T) {
	day := producertest.Day(t, 1)
	hero := day.Plan(world.HeroID).Person
	evs := collect(t, day)
	mine := func(e event.Event) bool {
		for _, id := range event.IDsOf(&e) {
			if id.Value == hero.Phone.IMSI || id.Value == hero.Phone.ADID || id.Value == (hero.Tablet).ADID {
				return true
			}
		}
		return false
	}
	count := map[string]map[string]int{}
	for _, e := range evs {
		if !mine(e) {
			continue
		}
		for _, m := range day.Moments {
			if !e.Time.Before(m.Start) && e.Time.Before(m.End) {
				if count[m.Name] == nil {
					count[m.Name] = map[string]int{}
				}
				count[m.Name][e.Kind()]++
			}
		}
		if e.Kind() == phone.KindCell && e.Time.Before(day.Moment(world.MomentNight).End) {
			cl := e.Data.(phone.Cell)
			for _, m := range cl.Measurements {
				tw := slices.IndexFunc(day.City.Towers, func(x *world.Tower) bool { return x.ID == m.Tower })
				if d := world.Distance(day.City.Towers[tw].Point, hero.Home.Point); d > 1500 {
					t.Errorf("night: tower %s measured %.0f m from home", m.Tower, d)
				}
			}
		}
	}
	tests := []struct {
		moment string
		kind   string
		min    int
	}{
		{world.MomentNight, phone.KindCell, 7},
		{world.MomentWakeUp, phone.KindApp, 4},
		{world.MomentWakeUp, phone.KindSMS, 2},
		{world.MomentWakeUp, phone.KindCall, 1},
		{world.MomentWakeUp, phone.KindSearch, 2},
		{world.MomentLateMorning, phone.KindCell, 5},
		{world.MomentStarbucks, phone.KindApp, 2},
	}
	for _, tc := range tests {
		if got := count[tc.moment][tc.kind]; got < tc.min {
			t.Errorf("%s: %d %s events, want at least %d", tc.moment, got, tc.kind, tc.min)
		}
	}
	for m, c := range count {
		if c[phone.KindGPS] > 0 {
			t.Errorf("%s: %d GPS fixes, but her location services are off", m, c[phone.KindGPS])
		}
	}
}

// TestVolume keeps the stream readable: a hundred or two events per person
// and day.
func TestVolume(t *testing.T) {
	for _, i := range []int{1, 2} {
		day := producertest.Day(t, i)
		evs := collect(t, day)
		per := float64(len(evs)) / float64(len(day.Plans))
		if per < 50 || per > 300 {
			t.Errorf("day %d: %.0f phone events per person, want 50 to 300", i, per)
		}
	}
}

// TestWorkersDoNotChangeTheEvents: people are observed in parallel, yet the
// day's events, ids included, are the same with one processor or several.
func TestWorkersDoNotChangeTheEvents(t *testing.T) {
	day := producertest.Day(t, 1)
	run := func(procs int) []producers.Encoded {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		evs, err := producers.CollectEncoded(phone.New(), 1, day)
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	one, four := run(1), run(4)
	if len(one) == 0 || len(one) != len(four) {
		t.Fatalf("%d events with one processor, %d with four", len(one), len(four))
	}
	for i := range one {
		if one[i].ID != four[i].ID || !bytes.Equal(one[i].Payload, four[i].Payload) {
			t.Fatalf("event %d differs: %s vs %s", i, one[i].Payload, four[i].Payload)
		}
	}
}

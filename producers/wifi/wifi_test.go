package wifi_test

import (
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/producers/producertest"
	"exhaust/producers/wifi"
	"exhaust/world"
)

var date = time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())

// at returns hh:mm on the test day.
func at(h, m int) time.Time {
	return date.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

var cafePoint = world.Point{Lat: 48.8626, Lon: 2.3484}

// offset returns p moved by north and east metres.
func offset(p world.Point, north, east float64) world.Point {
	return world.Point{Lat: p.Lat + north/111_320, Lon: p.Lon + east/(111_320*math.Cos(p.Lat*math.Pi/180))}
}

// fixture is a café with its own AP, a mall AP 40 m away, and places at
// various distances.
type fixture struct {
	city                   *world.City
	cafe, mall, near, home *world.Place
	cafeAP, mallAP         *world.AccessPoint
}

func newFixture() *fixture {
	f := &fixture{
		cafe: &world.Place{ID: "cafe:t", Kind: world.KindCafe, Point: cafePoint},
		mall: &world.Place{ID: "mall:t", Kind: world.KindMall, Point: offset(cafePoint, 0, 40)},
		// 100 m from the café's AP, 130 m from the mall's: out of range.
		near: &world.Place{ID: "shop:t", Kind: world.KindShop, Point: offset(cafePoint, 0, -100)},
		home: &world.Place{ID: "home:t1", Kind: world.KindHome, Point: offset(cafePoint, -2000, 500)},
	}
	f.cafeAP = &world.AccessPoint{BSSID: "00:1a:1e:00:00:01", SSID: "Cafe WiFi", Place: f.cafe, Point: offset(cafePoint, 3, 4), Portal: true}
	f.mallAP = &world.AccessPoint{BSSID: "00:1a:1e:00:00:02", SSID: "Mall WiFi", Place: f.mall, Point: f.mall.Point, Portal: true}
	f.cafe.APs = []*world.AccessPoint{f.cafeAP}
	f.mall.APs = []*world.AccessPoint{f.mallAP}
	f.city = &world.City{Places: []*world.Place{f.cafe, f.mall, f.near, f.home}, APs: []*world.AccessPoint{f.cafeAP, f.mallAP}}
	return f
}

func testPerson(home *world.Place, priv world.Privacy) *world.Person {
	return &world.Person{
		ID: "t1", Name: "Test Person", Email: "test.person@example.net", Home: home,
		Phone:   &world.Device{Kind: world.DevicePhone, MAC: "3c:22:fb:00:00:01", ADID: "00000000-0000-4000-8000-000000000001"},
		Tablet:  &world.Device{Kind: world.DeviceTablet, MAC: "3c:22:fb:00:00:02", ADID: "00000000-0000-4000-8000-000000000002"},
		Privacy: priv,
	}
}

var everything = world.Privacy{WifiEnabled: true, WifiAutoJoin: true}

// outing is a day at home with a stay at pl from 10:00 for d, working on the
// tablet from 10:10 when the stay is long enough.
func outing(p *world.Person, pl *world.Place, d time.Duration) *world.Plan {
	end := at(10, 0).Add(d)
	plan := &world.Plan{
		Person: p, Day: 1,
		Segments: []world.Segment{
			{Start: at(0, 0), End: at(7, 0), Activity: "sleep", Place: p.Home},
			{Start: at(7, 0), End: at(10, 0), Activity: "home", Place: p.Home},
			{Start: at(10, 0), End: end, Activity: "cafe", Place: pl},
			{Start: end, End: at(23, 0), Activity: "home", Place: p.Home},
			{Start: at(23, 0), End: at(24, 0), Activity: "sleep", Place: p.Home},
		},
	}
	if d > 20*time.Minute {
		plan.TabletUse = []world.AppSession{{Start: at(10, 10), Duration: d - 15*time.Minute, App: "Google Docs", Device: p.Tablet}}
	}
	return plan
}

func collect(t *testing.T, f *fixture, plans ...*world.Plan) []event.Event {
	t.Helper()
	evs, err := producers.Collect(wifi.New(), 1, &world.Day{Index: 1, Date: date, City: f.city, Plans: plans})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func count(evs []event.Event) map[string]int {
	n := map[string]int{}
	for _, e := range evs {
		n[e.Kind()]++
	}
	return n
}

func macs(evs []event.Event, kind string) []string {
	var out []string
	for _, e := range evs {
		if e.Kind() == kind && !slices.Contains(out, event.IDsOf(&e)[0].Value) {
			out = append(out, event.IDsOf(&e)[0].Value)
		}
	}
	sort.Strings(out)
	return out
}

func TestWhatTheAPsSee(t *testing.T) {
	tests := []struct {
		name      string
		priv      world.Privacy
		place     func(*fixture) *world.Place
		stay      time.Duration
		probes    bool
		assocMACs int // devices that joined
		portals   int
	}{
		{"an hour at the café: phone and tablet join", everything, func(f *fixture) *world.Place { return f.cafe }, time.Hour, true, 2, 2},
		{"Wi-Fi off: nothing at all", world.Privacy{WifiAutoJoin: true}, func(f *fixture) *world.Place { return f.cafe }, time.Hour, false, 0, 0},
		{"auto-join off: seen, not joined", world.Privacy{WifiEnabled: true}, func(f *fixture) *world.Place { return f.cafe }, time.Hour, true, 0, 0},
		{"eight minutes: too short to join", everything, func(f *fixture) *world.Place { return f.cafe }, 8 * time.Minute, true, 0, 0},
		{"100 m away: out of range", everything, func(f *fixture) *world.Place { return f.near }, time.Hour, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			p := testPerson(f.home, tc.priv)
			evs := collect(t, f, outing(p, tc.place(f), tc.stay))
			n := count(evs)
			if got := n[wifi.KindProbe] > 0; got != tc.probes {
				t.Errorf("probes: %v, want %v", got, tc.probes)
			}
			if got := len(macs(evs, wifi.KindAssociation)); got != tc.assocMACs {
				t.Errorf("%d devices associated, want %d", got, tc.assocMACs)
			}
			if n[wifi.KindPortal] != tc.portals {
				t.Errorf("%d portal logins, want %d (one per device)", n[wifi.KindPortal], tc.portals)
			}
			for _, e := range evs {
				if e.Time.Before(at(10, 0)) || e.Time.After(at(10, 2).Add(tc.stay)) {
					t.Errorf("%s at %s, away from the APs", e.Type, e.Time.In(world.Paris()).Format("15:04:05"))
				}
			}
		})
	}
}

func TestAssociation(t *testing.T) {
	f := newFixture()
	p := testPerson(f.home, everything)
	evs := collect(t, f, outing(p, f.cafe, time.Hour))
	for _, e := range evs {
		switch d := e.Data.(type) {
		case wifi.Association:
			if d.AP != f.cafeAP.BSSID || d.Where.Place != f.cafe.ID {
				t.Errorf("associated with %s at %s, want the café's AP, the strongest", d.AP, d.Where.Place)
			}
			if !e.Time.Equal(d.End) || d.DurationS != int(d.End.Sub(d.Start).Seconds()) {
				t.Errorf("association %+v logged at %s: want it logged when it ends", d, e.Time)
			}
			if d.DurationS < 30*60 {
				t.Errorf("association of %d s during an hour's stay", d.DurationS)
			}
			if d.RSSIdBm < -75 || d.RSSIdBm > -40 {
				t.Errorf("average signal %d dBm a few metres from the AP", d.RSSIdBm)
			}
		case wifi.Portal:
			if d.IDs[1] != (event.ID{Kind: event.Email, Value: p.Email}) {
				t.Errorf("portal ids %v, want the MAC and the e-mail typed", d.IDs)
			}
		}
	}
}

// TestTwoAPsCross: every AP in range hears the same probe request, so the
// café's and the mall's APs together place the device.
func TestTwoAPsCross(t *testing.T) {
	f := newFixture()
	p := testPerson(f.home, everything)
	evs := collect(t, f, outing(p, f.cafe, time.Hour))
	heard := map[time.Time][]string{}
	for _, e := range evs {
		if pr, ok := e.Data.(wifi.Probe); ok && pr.IDs[0].Value == p.Phone.MAC {
			heard[e.Time] = append(heard[e.Time], pr.AP)
		}
	}
	if len(heard) < 3 {
		t.Errorf("%d probe bursts from the phone during an hour, want a few", len(heard))
	}
	for tm, aps := range heard {
		if len(aps) != 2 {
			t.Errorf("burst at %s heard by %v, want both APs", tm.In(world.Paris()).Format("15:04:05"), aps)
		}
	}
}

// TestMACRandomisation: what a phone shows depends on its OS and on its
// owner's setting. Probe requests sent while not associated carry a random
// scan address on every phone since iOS 8 and Android 8, the hardware MAC on
// older ones; joining a network (association, portal) shows the network's
// private address when randomising, the hardware MAC otherwise; probes sent
// while associated carry the connection's address, whichever AP hears them.
func TestMACRandomisation(t *testing.T) {
	tests := []struct {
		name          string
		phone, tablet string // models
		randomise     bool
		scans         bool // unassociated probes carry a scan address
	}{
		{"old phone: the hardware MAC everywhere", "Wiko View", "", false, false},
		{"modern phone, private addresses off: random probes, hardware MAC on joining", "Apple iPhone 15", "Apple iPad Air", false, true},
		{"modern phone, private addresses: one MAC per network", "Apple iPhone 15", "Apple iPad Air", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			priv := everything
			priv.MACRandomisation = tc.randomise
			p := testPerson(f.home, priv)
			p.Phone.Model, p.Tablet.Model = tc.phone, tc.tablet
			evs := collect(t, f, outing(p, f.cafe, time.Hour))
			devs := []*world.Device{p.Phone, p.Tablet}
			joins := func(mac, ssid string) bool { // a device joins ssid with mac
				return slices.ContainsFunc(devs, func(d *world.Device) bool { return p.MACFor(d, ssid) == mac })
			}
			probeOK := map[string]bool{}
			for _, d := range devs {
				for _, ssid := range []string{f.cafeAP.SSID, f.mallAP.SSID} {
					probeOK[p.MACFor(d, ssid)] = true
				}
				probeOK[p.ProbeMAC(d, 1)] = true
			}
			hardware := map[string]bool{p.Phone.MAC: true, p.Tablet.MAC: true}
			seen := map[string]bool{}
			for _, e := range evs {
				mac := event.IDsOf(&e)[0].Value
				seen[mac] = true
				if tc.randomise && hardware[mac] {
					t.Errorf("%s shows the hardware MAC %s despite randomisation", e.Type, mac)
				}
				switch d := e.Data.(type) {
				case wifi.Probe:
					if !probeOK[mac] {
						t.Errorf("probe on %q shows %s, neither a scan address nor one of the device's", d.SSID, mac)
					}
				case wifi.Association:
					if !joins(mac, d.SSID) {
						t.Errorf("association with %q shows %s, not a device's MAC for it", d.SSID, mac)
					}
				case wifi.Portal:
					if !joins(mac, d.SSID) {
						t.Errorf("portal login on %q shows %s, not a device's MAC for it", d.SSID, mac)
					}
				}
			}
			scan := p.ProbeMAC(p.Phone, 1)
			if got := seen[scan] && !hardware[scan]; got != tc.scans {
				t.Errorf("phone's scan address %s seen: %v, want %v", scan, got, tc.scans)
			}
			if joined := p.MACFor(p.Phone, f.cafeAP.SSID); !seen[joined] {
				t.Errorf("the phone's MAC for the café, %s, never seen", joined)
			}
		})
	}
}

// TestPhoneOffAtNight: someone living above the café. A phone switched off
// at night sends nothing while its owner sleeps; left on, it keeps probing.
func TestPhoneOffAtNight(t *testing.T) {
	tests := []struct {
		name     string
		off      bool
		wantNite bool
	}{
		{"left on", false, true},
		{"switched off", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			flat := &world.Place{ID: "home:t1", Kind: world.KindHome, Point: offset(cafePoint, 8, 0)}
			priv := everything
			priv.PhoneOffAtNight = tc.off
			p := testPerson(flat, priv)
			plan := outing(p, flat, time.Hour)
			evs := collect(t, f, plan)
			night := 0
			for _, e := range evs {
				if !plan.Awake(e.Time) {
					night++
				}
				if a, ok := e.Data.(wifi.Association); ok && tc.off && a.End.After(at(23, 1)) {
					t.Errorf("association ends %s, after the phone was switched off at 23:00", a.End.In(world.Paris()))
				}
			}
			if got := night > 0; got != tc.wantNite {
				t.Errorf("%d events while asleep", night)
			}
			if count(evs)[wifi.KindProbe] == 0 {
				t.Error("no probes during the day")
			}
		})
	}
}

// TestHeroAtTheCafe: the seed's Starbucks moment. Her phone and her tablet
// join the café's network, each logging in with her e-mail, and the mall's
// APs next to the café hear them too.
func TestHeroAtTheCafe(t *testing.T) {
	day := producertest.Day(t, 1)
	hero := day.Plan(world.HeroID).Person
	m := day.Moment(world.MomentStarbucks)
	evs, err := producers.Collect(wifi.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	ownMAC := map[string]bool{}
	for _, d := range []*world.Device{hero.Phone, hero.Tablet} {
		for _, ssid := range day.City.SSIDs() {
			ownMAC[hero.MACFor(d, ssid)] = true
		}
		ownMAC[hero.ProbeMAC(d, day.Index)] = true
	}
	during := func(tm time.Time) bool { return !tm.Before(m.Start) && tm.Before(m.End) }
	joined := map[string]bool{}
	portals := map[string]bool{}
	ssidsAt := map[time.Time]map[string]bool{}
	for _, e := range evs {
		mac := event.IDsOf(&e)[0].Value
		if !ownMAC[mac] {
			continue
		}
		switch d := e.Data.(type) {
		case wifi.Association:
			if d.Where.Place == world.StarbucksID && during(d.Start) {
				joined[mac] = true
			}
		case wifi.Portal:
			if during(e.Time) && d.SSID == world.CafeSSID && d.IDs[1].Value == hero.Email {
				portals[mac] = true
			}
		case wifi.Probe:
			if during(e.Time) {
				if ssidsAt[e.Time] == nil {
					ssidsAt[e.Time] = map[string]bool{}
				}
				ssidsAt[e.Time][d.SSID] = true
			}
		}
	}
	if len(joined) != 2 || len(portals) != 2 {
		t.Errorf("at the café, %d of her devices joined and %d logged in at the portal, want 2 and 2", len(joined), len(portals))
	}
	crossed := 0
	for _, s := range ssidsAt {
		if s[world.CafeSSID] && s[world.MallSSID] {
			crossed++
		}
	}
	if crossed == 0 {
		t.Error("no probe of hers heard by both the café's and the mall's APs at once")
	}
}

// TestNothingHeardUnderground: no access point hears a device on a metro
// train, however near the tunnel runs to a café.
func TestNothingHeardUnderground(t *testing.T) {
	day := producertest.Day(t, 1)
	evs, err := producers.Collect(wifi.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]*world.Plan{}
	for _, pl := range day.Plans {
		for _, d := range []*world.Device{pl.Person.Phone, pl.Person.Tablet} {
			if d == nil {
				continue
			}
			owner[d.MAC] = pl
			owner[pl.Person.ProbeMAC(d, day.Index)] = pl
			for _, ssid := range day.City.SSIDs() {
				owner[pl.Person.MACFor(d, ssid)] = pl
			}
		}
	}
	checked := 0
	for _, ev := range evs {
		if ev.Type == "wifi.association" {
			continue // reported when the session ends, as the device leaves
		}
		for _, id := range event.IDsOf(&ev) {
			if pl := owner[id.Value]; pl != nil {
				checked++
				if pl.Underground(ev.Time) {
					t.Errorf("%s at %v: %s heard on a train", ev.Type, ev.Time, pl.Person.ID)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Wi-Fi event of anyone to check")
	}
}

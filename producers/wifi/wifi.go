package wifi

import (
	"embed"
	"math"
	"math/rand/v2"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// Name is the producer's name: subjects are exhaust.wifi.<kind>.
const Name = "wifi"

// accessPoints is who notices a device, as the places fact says it.
const accessPoints = "Wi-Fi access points"

// The Wi-Fi operators' event kinds.
const (
	KindProbe       = "probe"
	KindAssociation = "association"
	KindPortal      = "portal"
)

// Probe is the data of a wifi.probe event: an access point heard a device
// looking for networks.
type Probe struct {
	event.Common
	AP      string `json:"ap"`
	SSID    string `json:"ssid"`
	RSSIdBm int    `json:"rssi_dbm"`
}

// Association is the data of a wifi.association event: a device's session
// on an access point, logged when it ends.
type Association struct {
	event.Common
	AP        string    `json:"ap"`
	SSID      string    `json:"ssid"`
	RSSIdBm   int       `json:"rssi_dbm"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	DurationS int       `json:"duration_s"`
}

// Portal is the data of a wifi.portal event: a device's user typed an e-mail
// address into the network's captive portal.
type Portal struct {
	event.Common
	SSID string `json:"ssid"`
	AP   string `json:"ap"`
}

//go:embed schemas/*.json
var schemas embed.FS

func schema(kind string) []byte { return producers.SchemaFS(schemas, kind) }

// WiFi is the Wi-Fi operators of the city's access points.
type WiFi struct{}

var _ producers.Producer = (*WiFi)(nil)

func init() { producers.Register(New()) }

// New returns the Wi-Fi producer.
func New() *WiFi { return &WiFi{} }

// Spec describes the Wi-Fi producer.
func (*WiFi) Spec() producers.Spec {
	return producers.Spec{
		Name:    Name,
		Summary: "The mall's and the café's Wi-Fi access points: devices passing by, joining, and logging in at the captive portal.",
		Kinds: []producers.KindSpec{
			{Name: KindProbe, Summary: "An access point heard a device's probe request, with its signal strength.",
				Reveals: "That a device is within a few tens of metres, and roughly how far: crossing two access points places it to a few metres.",
				IDKinds: []event.IDKind{event.MAC}, Schema: schema(KindProbe),
				Means: []meaning.Meaning{meaning.Presence{Of: event.MAC, How: meaning.Sighted, Label: "ssid", By: accessPoints}}},
			{Name: KindAssociation, Summary: "A device's session on an access point, logged when it ends.",
				Reveals: "Dwell time at a precise spot; several devices of one person joining side by side.",
				IDKinds: []event.IDKind{event.MAC}, Schema: schema(KindAssociation),
				Means: []meaning.Meaning{meaning.Presence{Of: event.MAC, How: meaning.Connected, Label: "ssid", Duration: "duration_s", Start: "start", End: "end", By: accessPoints}}},
			{Name: KindPortal, Summary: "A device's user logged in at the captive portal with an e-mail address.",
				Reveals: "Who owns the MAC address: a name, from now on, every time the device comes back.",
				IDKinds: []event.IDKind{event.MAC, event.Email}, Schema: schema(KindPortal),
				Means: []meaning.Meaning{
					meaning.Presence{Of: event.MAC, How: meaning.SignedIn, Label: "ssid", By: accessPoints},
					meaning.SignUp{Of: event.Email, Service: "ssid", Via: "captive portal"},
				}},
		},
		Privacy: []producers.PrivacyRule{
			{Setting: "Wi-Fi off", Apply: func(p *world.Privacy) { p.WifiEnabled = false },
				Suppresses: []string{KindProbe, KindAssociation, KindPortal}},
			{Setting: "Wi-Fi auto-join off", Apply: func(p *world.Privacy) { p.WifiAutoJoin = false },
				Suppresses: []string{KindAssociation, KindPortal}},
		},
	}
}

// Radio model: log-distance path loss indoors, RSSI(d) = RSSI(1 m) -
// 10·n·log10(d) + fading.
const (
	refRSSI     = -30.0 // dBm at 1 m
	pathLossExp = 3.0   // indoors, through shelves and people
	fadeSigma   = 3.0
	rangeM      = 60.0 // beyond this an AP no longer decodes a phone's frames
	sensitivity = -92  // dBm: weaker frames are lost
	// joinRSSI is the weakest signal a device accepts to join a network,
	// dropRSSI the one under which it gives up a connection, roamRSSI the
	// one under which it looks for a better AP of the same network.
	joinRSSI  = -78
	dropRSSI  = -89
	roamRSSI  = -75
	roamGapDB = 6
)

// Timing.
const (
	step = time.Minute
	// minStay is how long a stay must last for devices to join a network:
	// people passing by do not get through association and the portal.
	minStay = 10 * time.Minute
	// Probe bursts: often while looking for a network, rarely once
	// connected (background scans).
	probeSearchMin, probeSearchMax = 4 * time.Minute, 8 * time.Minute
	probeIdleMin, probeIdleMax     = 10 * time.Minute, 20 * time.Minute
)

// Observe emits what the access points saw of day.
func (*WiFi) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	if len(day.City.APs) == 0 {
		return nil
	}
	o := &observer{aps: day.City.APs, emit: emit, day: day.Index}
	o.bounds()
	for _, plan := range day.Plans {
		// Each person gets a generator of their own, drawn in population
		// order, so changing one person's settings leaves the others' events
		// untouched.
		prng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		p := plan.Person
		if !p.InCity(day.Index) || !p.Privacy.WifiEnabled {
			continue
		}
		w := window(day, plan)
		if p.Phone != nil && p.Phone.MAC != "" {
			on := func(t time.Time) bool { return !p.Privacy.PhoneOffAtNight || plan.Awake(t) }
			o.device(prng, plan, w, p.Phone, on)
		}
		if p.Tablet != nil && p.Tablet.MAC != "" {
			// The tablet's radio is only up while it is used; in the bag it
			// sleeps.
			sessions := tabletSessions(plan)
			if len(sessions) > 0 {
				on := func(t time.Time) bool {
					for _, s := range sessions {
						if !t.Before(s.Start) && t.Before(s.Start.Add(s.Duration)) {
							return true
						}
					}
					return false
				}
				o.device(prng, plan, w, p.Tablet, on)
			}
		}
	}
	return nil
}

// tabletSessions returns the plan's sessions on the person's tablet.
func tabletSessions(plan *world.Plan) []world.AppSession {
	tab := plan.Person.Tablet
	var out []world.AppSession
	for _, s := range plan.TabletUse {
		if s.Device == nil || s.Device == tab {
			out = append(out, s)
		}
	}
	for _, s := range plan.Apps {
		if s.Device == tab {
			out = append(out, s)
		}
	}
	return out
}

// interval is a stretch of time [start, end).
type interval struct{ start, end time.Time }

// window returns the stretch of time a plan covers.
func window(day *world.Day, plan *world.Plan) interval {
	if n := len(plan.Segments); n > 0 {
		return interval{plan.Segments[0].Start, plan.Segments[n-1].End}
	}
	return interval{day.Date, day.Date.AddDate(0, 0, 1)}
}

// observer holds what Observe shares between a day's people.
type observer struct {
	aps  []*world.AccessPoint
	emit producers.Emitter
	day  int // 1-based index of the day observed: scan addresses change daily
	// The half-sides of a box around each AP, twice its range: most of the
	// day most people are far from every AP, and this skips them cheaply.
	dLat, dLon float64
}

func (o *observer) bounds() {
	// Twice the range, as near is asked of where a person's place is and
	// they sit up to a few metres from its centre.
	const mPerDeg = 111_320.0
	o.dLat = 2 * rangeM / mPerDeg
	o.dLon = o.dLat
	for _, ap := range o.aps {
		o.dLon = math.Max(o.dLon, 2*rangeM/(mPerDeg*math.Cos(ap.Point.Lat*math.Pi/180)))
	}
}

// near reports whether an access point may hear a device at p: the city's
// APs are few and far apart (the mall, the cafés), so a box around each
// spares the distance computations almost everywhere.
func (o *observer) near(p world.Point) bool {
	for _, ap := range o.aps {
		if o.inBox(ap, p) {
			return true
		}
	}
	return false
}

func (o *observer) inBox(ap *world.AccessPoint, p world.Point) bool {
	return math.Abs(p.Lat-ap.Point.Lat) <= o.dLat && math.Abs(p.Lon-ap.Point.Lon) <= o.dLon
}

// hearing is an AP hearing a device.
type hearing struct {
	ap   *world.AccessPoint
	rssi int
}

// session is a device's association with an AP.
type session struct {
	ap       *world.AccessPoint
	start    time.Time
	lastSeen time.Time
	rssiSum  int
	samples  int
}

// radio is one device's Wi-Fi over the day.
type radio struct {
	o         *observer
	rng       *rand.Rand
	person    *world.Person
	dev       *world.Device
	cur       *session
	heardPrev bool
	nextBurst time.Time
	portalled map[string]bool // SSIDs whose portal this device went through today
	last      time.Time       // the day's last second: nothing is emitted after it
}

// device walks one device through the day, minute by minute, and emits what
// the APs saw of it. on tells when its radio is up.
func (o *observer) device(rng *rand.Rand, plan *world.Plan, w interval, dev *world.Device, on func(time.Time) bool) {
	r := &radio{o: o, rng: rng, person: plan.Person, dev: dev, portalled: map[string]bool{}, last: w.end.Add(-time.Second)}
	for i := range plan.Segments {
		s := &plan.Segments[i]
		start, end := s.Start, s.End
		if start.Before(w.start) {
			start = w.start
		}
		if end.After(w.end) {
			end = w.end
		}
		if !start.Before(end) {
			continue
		}
		var off world.Point // where in the place the person sits, relative to its centre
		if s.Place != nil {
			if p, _ := plan.Where(start); !o.near(p) {
				r.lose(start)
				continue
			}
			d, th := 2+8*rng.Float64(), 2*math.Pi*rng.Float64()
			off = world.Point{Lat: d * math.Cos(th), Lon: d * math.Sin(th)}
		}
		// A device joins only during a stay long enough, a little after
		// arriving (or after the tablet is opened).
		canJoin := s.Place != nil && s.End.Sub(s.Start) >= minStay && r.person.Privacy.WifiAutoJoin
		joinAfter := start.Add(time.Duration(1+rng.IntN(3)) * time.Minute)
		if dev.Kind == world.DeviceTablet {
			joinAfter = start
		}
		for t := start.Truncate(step); t.Before(end); t = t.Add(step) {
			if t.Before(start) {
				continue
			}
			// On a train no street-level access point hears the device
			// (what is heard in a minute is sent at any second of it).
			if !on(t) || plan.Underground(t) || plan.Underground(t.Add(step-time.Second)) {
				r.lose(t)
				continue
			}
			pos, _ := plan.Where(t)
			pos = shift(pos, off.Lat, off.Lon)
			if !o.near(pos) {
				r.lose(t)
				continue
			}
			r.step(t, o.hear(rng, pos), canJoin && !t.Before(joinAfter))
		}
	}
	r.lose(w.end.Add(-time.Second))
}

// hear returns the APs that decode a frame sent from p.
func (o *observer) hear(rng *rand.Rand, p world.Point) []hearing {
	var hs []hearing
	for _, ap := range o.aps {
		if !o.inBox(ap, p) {
			continue
		}
		d := world.Distance(p, ap.Point)
		if d > rangeM {
			continue
		}
		v := refRSSI - 10*pathLossExp*math.Log10(math.Max(d, 1)) + rng.NormFloat64()*fadeSigma
		rssi := int(math.Round(math.Min(v, -20)))
		if rssi >= sensitivity {
			hs = append(hs, hearing{ap, rssi})
		}
	}
	return hs
}

// step advances the device's radio to t, where heard are the APs in range.
func (r *radio) step(t time.Time, heard []hearing, canJoin bool) {
	if r.cur != nil {
		cur := r.cur
		h, ok := find(heard, cur.ap)
		switch {
		case ok && h.rssi >= dropRSSI:
			cur.lastSeen, cur.rssiSum, cur.samples = t, cur.rssiSum+h.rssi, cur.samples+1
			if h.rssi < roamRSSI {
				if b, ok := strongest(heard, cur.ap.SSID, cur.ap); ok && b.rssi >= h.rssi+roamGapDB {
					r.close(t)
					r.open(t, b)
				}
			}
		default:
			// Lost the AP: roam to another AP of the same network if one is
			// good enough, otherwise the connection drops.
			r.close(t)
			if b, ok := strongest(heard, cur.ap.SSID, nil); ok && b.rssi >= joinRSSI {
				r.open(t, b)
			}
		}
	}
	if r.cur == nil && canJoin {
		if b, ok := strongest(heard, "", nil); ok && b.rssi >= joinRSSI {
			r.open(t.Add(time.Duration(r.rng.IntN(50))*time.Second), b)
		}
	}
	if len(heard) == 0 {
		r.heardPrev = false
		return
	}
	if !r.heardPrev || !t.Before(r.nextBurst) {
		r.burst(t.Add(time.Duration(r.rng.IntN(60))*time.Second), heard)
		lo, hi := probeSearchMin, probeSearchMax
		if r.cur != nil {
			lo, hi = probeIdleMin, probeIdleMax
		}
		r.nextBurst = t.Add(lo + time.Duration(r.rng.Int64N(int64(hi-lo))))
	}
	r.heardPrev = true
}

// lose drops the device's connection and forgets what it heard: it is off,
// or out of range of every AP.
func (r *radio) lose(t time.Time) {
	if r.cur != nil {
		r.close(t)
	}
	r.heardPrev = false
}

// mac is the address the device shows to network ssid when it joins it.
func (r *radio) mac(ssid string) string {
	return r.person.MACFor(r.dev, ssid)
}

// probeMAC is the source address of the device's probe requests. One frame
// is heard by every AP in range, so they all see the same address: while
// associated, the connection's (the network's private address, or the
// hardware MAC); otherwise a random scan address on every phone since iOS 8
// and Android 8, the hardware MAC on older ones.
func (r *radio) probeMAC() string {
	if r.cur != nil {
		return r.mac(r.cur.ap.SSID)
	}
	return r.person.ProbeMAC(r.dev, r.o.day)
}

// burst emits one probe request as every AP in range heard it.
func (r *radio) burst(t time.Time, heard []hearing) {
	mac := r.probeMAC()
	for _, h := range heard {
		r.o.emit.Emit(KindProbe, t, Probe{
			Common:  event.Common{IDs: []event.ID{{Kind: event.MAC, Value: mac}}, Where: apWhere(h.ap, h.rssi)},
			AP:      h.ap.BSSID,
			SSID:    h.ap.SSID,
			RSSIdBm: h.rssi,
		})
	}
}

// open starts a session with h's AP at t, through the captive portal the
// first time today this device joins a portal network.
func (r *radio) open(t time.Time, h hearing) {
	r.cur = &session{ap: h.ap, start: t, lastSeen: t, rssiSum: h.rssi, samples: 1}
	ssid := h.ap.SSID
	if h.ap.Portal && !r.portalled[ssid] && r.person.Email != "" {
		r.portalled[ssid] = true
		// Typing an e-mail address on a phone takes a little while.
		at := t.Add(time.Duration(20+r.rng.IntN(70)) * time.Second)
		if at.After(r.last) {
			at = r.last
		}
		r.o.emit.Emit(KindPortal, at, Portal{
			Common: event.Common{
				IDs: []event.ID{
					{Kind: event.MAC, Value: r.mac(ssid)},
					{Kind: event.Email, Value: r.person.Email},
				},
				Where: apWhere(h.ap, h.rssi),
			},
			SSID: ssid,
			AP:   h.ap.BSSID,
		})
	}
}

// close ends the current session somewhere between the last time the AP
// heard the device and t, and emits its record.
func (r *radio) close(t time.Time) {
	s := r.cur
	r.cur = nil
	end := s.lastSeen
	if gap := t.Sub(s.lastSeen); gap > 0 {
		end = end.Add(time.Duration(r.rng.Int64N(int64(gap/time.Second)+1)) * time.Second)
	}
	if end.Before(s.start) {
		end = s.start
	}
	rssi := int(math.Round(float64(s.rssiSum) / float64(s.samples)))
	r.o.emit.Emit(KindAssociation, end, Association{
		Common:    event.Common{IDs: []event.ID{{Kind: event.MAC, Value: r.mac(s.ap.SSID)}}, Where: apWhere(s.ap, rssi)},
		AP:        s.ap.BSSID,
		SSID:      s.ap.SSID,
		RSSIdBm:   rssi,
		Start:     s.start.UTC(),
		End:       end.UTC(),
		DurationS: int(end.Sub(s.start) / time.Second),
	})
}

// apWhere is where the operator places a device it heard at rssi: at the AP,
// within the distance the signal strength suggests.
func apWhere(ap *world.AccessPoint, rssi int) *event.Where {
	w := &event.Where{Lat: ap.Point.Lat, Lon: ap.Point.Lon, AccuracyM: estimateDistance(rssi)}
	if ap.Place != nil {
		w.Place = ap.Place.ID
	}
	return w
}

// estimateDistance inverts the path-loss model, as Wi-Fi analytics do to
// turn a signal strength into a distance.
func estimateDistance(rssi int) float64 {
	d := math.Pow(10, (refRSSI-float64(rssi))/(10*pathLossExp))
	return math.Max(1, math.Min(rangeM, math.Round(d)))
}

// find returns how the AP ap heard the device.
func find(heard []hearing, ap *world.AccessPoint) (hearing, bool) {
	for _, h := range heard {
		if h.ap == ap {
			return h, true
		}
	}
	return hearing{}, false
}

// strongest returns the strongest AP heard, of network ssid if not "",
// other than except.
func strongest(heard []hearing, ssid string, except *world.AccessPoint) (hearing, bool) {
	var best hearing
	found := false
	for _, h := range heard {
		if h.ap == except || (ssid != "" && h.ap.SSID != ssid) {
			continue
		}
		if !found || h.rssi > best.rssi {
			best, found = h, true
		}
	}
	return best, found
}

// shift returns p moved by north and east metres.
func shift(p world.Point, north, east float64) world.Point {
	const mPerDeg = 111_320.0
	return world.Point{Lat: p.Lat + north/mPerDeg, Lon: p.Lon + east/(mPerDeg*math.Cos(p.Lat*math.Pi/180))}
}

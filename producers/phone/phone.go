package phone

import (
	"embed"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// Name is the producer's name: subjects are exhaust.phone.<kind>.
const Name = "phone"

// The phone's event kinds.
const (
	KindCell   = "cell"
	KindGPS    = "gps"
	KindApp    = "app"
	KindSMS    = "sms"
	KindCall   = "call"
	KindSearch = "search"
)

// The values of Cell.Event.
const (
	EventAttach   = "attach"   // the phone was switched on and registered
	EventHandover = "handover" // the phone moved to a stronger tower
	EventPeriodic = "periodic" // an idle phone confirmed its location
	EventDetach   = "detach"   // the phone was switched off
)

// SystemApp is the app name of GPS fixes the operating system takes on its
// own while the phone moves (significant-location-change tracking).
const SystemApp = "system"

// towerPlace starts the place id of a cell tower in where: "tower:T042".
const towerPlace = "tower:"

// Measurement is one tower in a phone's measurement report.
type Measurement struct {
	Tower   string `json:"tower"`
	RSSIdBm int    `json:"rssi_dbm"`
}

// Cell is the data of a phone.cell event: the network saw the phone through
// a tower.
type Cell struct {
	event.Common
	Event        string        `json:"event"`
	Tower        string        `json:"tower"`
	Measurements []Measurement `json:"measurements"`
}

// GPS is the data of a phone.gps event: a location fix an app received.
type GPS struct {
	event.Common
	App string `json:"app"`
}

// App is the data of a phone.app event: an app session, as the app's
// analytics report it.
type App struct {
	event.Common
	App       string `json:"app"`
	Category  string `json:"category"`
	Device    string `json:"device"`
	DurationS int    `json:"duration_s"`
}

// SMS is the data of a phone.sms event: the operator's record of a text
// message.
type SMS struct {
	event.Common
	Direction     string `json:"direction"`
	Correspondent string `json:"correspondent"`
}

// Call is the data of a phone.call event: the operator's call detail record.
type Call struct {
	event.Common
	Direction     string `json:"direction"`
	Correspondent string `json:"correspondent"`
	DurationS     int    `json:"duration_s"`
}

// Search is the data of a phone.search event: a web search, as the search
// engine logs it against the device's advertising id.
type Search struct {
	event.Common
	Topic string `json:"topic"`
	Query string `json:"query"`
}

//go:embed schemas/*.json
var schemas embed.FS

func schema(kind string) []byte { return producers.SchemaFS(schemas, kind) }

// Phone is the mobile operator and the smartphone's OS and apps.
type Phone struct{}

var _ producers.Producer = (*Phone)(nil)

func init() { producers.Register(New()) }

// New returns the phone producer.
func New() *Phone { return &Phone{} }

// Spec describes the phone producer.
func (*Phone) Spec() producers.Spec {
	return producers.Spec{
		Name:    Name,
		Summary: "The mobile operator (cell towers, calls, SMS) and the phone's OS and apps (sessions, searches, GPS).",
		Kinds: []producers.KindSpec{
			{Name: KindCell, Summary: "The network saw the phone through a cell tower: attach, handover, periodic update or detach, with the signal of the strongest towers.",
				Reveals: "Where the phone is, to a few hundred metres by triangulation, day and night, even with location services off.",
				IDKinds: []event.IDKind{event.IMSI, event.IMEI}, Schema: schema(KindCell),
				Means: []meaning.Meaning{
					meaning.Served{Of: event.IMSI, Prefix: towerPlace},
					meaning.Radio{Of: event.IMSI, Emitter: "tower", List: "measurements", EmitterKey: "tower", StrengthKey: "rssi_dbm",
						Moving: meaning.Match{Field: "event", Value: "handover"}, Leaving: meaning.Match{Field: "event", Value: "detach"}},
				}},
			{Name: KindGPS, Summary: "A GPS fix handed to an app or to the OS while moving.",
				Reveals: "Where the person is, to a few metres.",
				IDKinds: []event.IDKind{event.ADID}, Schema: schema(KindGPS),
				Means: []meaning.Meaning{meaning.Position{Of: event.ADID, Moving: meaning.Match{Field: "app", Value: SystemApp}}}},
			{Name: KindApp, Summary: "An app session on the phone or the tablet.",
				Reveals: "Habits and interests, and when the person is awake; messaging and social apps add the phone number.",
				IDKinds: []event.IDKind{event.ADID, event.MSISDN, event.Email}, Schema: schema(KindApp),
				Means: []meaning.Meaning{meaning.AppUse{Of: event.ADID, App: "app", Category: "category", Device: "device", Duration: "duration_s", PhoneValue: "phone"}}},
			{Name: KindSMS, Summary: "An SMS sent or received, as the operator records it.",
				Reveals: "The social graph: who, when, how often, and where the phone was.",
				IDKinds: []event.IDKind{event.MSISDN, event.IMSI}, Schema: schema(KindSMS),
				Means: []meaning.Meaning{
					meaning.Served{Of: event.IMSI, Prefix: towerPlace},
					meaning.Contact{Of: event.MSISDN, Correspondent: "correspondent", Direction: "direction", Incoming: "in"},
				}},
			{Name: KindCall, Summary: "A phone call made or received, as the operator records it.",
				Reveals: "The social graph with call lengths, and where the phone was.",
				IDKinds: []event.IDKind{event.MSISDN, event.IMSI}, Schema: schema(KindCall),
				Means: []meaning.Meaning{
					meaning.Served{Of: event.IMSI, Prefix: towerPlace},
					meaning.Contact{Of: event.MSISDN, Correspondent: "correspondent", Direction: "direction", Incoming: "in", Duration: "duration_s", Voice: true},
				}},
			{Name: KindSearch, Summary: "A web search made on the phone or the tablet.",
				Reveals: "Interests, worries and plans, tied to the advertising id.",
				IDKinds: []event.IDKind{event.ADID}, Schema: schema(KindSearch),
				Means: []meaning.Meaning{meaning.Interest{Of: event.ADID, Topic: "topic"}}},
		},
		Privacy: []producers.PrivacyRule{
			{Setting: "location services off", Apply: func(p *world.Privacy) { p.LocationServices = false },
				Suppresses: []string{KindGPS}},
		},
	}
}

// observer holds what Observe shares between a day's people.
type observer struct {
	city  *world.City
	radio *radio
	emit  producers.Emitter
}

// Observe emits what the operator and the phones' software saw of day.
//
// The phone is most of a day's events, so people are observed in parallel,
// a batch at a time, each worker with a radio of its own; every person's
// events are recorded and then emitted in population order, so the events
// and their ids are the same whatever the number of workers.
func (*Phone) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	plans := day.Plans
	// Each person gets a generator of their own, drawn in population
	// order, so changing one person's settings leaves the others' events
	// untouched.
	seeds := make([][2]uint64, len(plans))
	for i := range seeds {
		seeds[i] = [2]uint64{rng.Uint64(), rng.Uint64()}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	obs := make([]*observer, workers)
	for w := range obs {
		obs[w] = &observer{city: day.City, radio: newRadio(day.City)}
	}
	recs := make([]recorder, min(len(plans), workers*batchPerWorker))
	for start := 0; start < len(plans); start += len(recs) {
		n := min(len(recs), len(plans)-start)
		var wg sync.WaitGroup
		for w, o := range obs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < n; k += workers {
					plan := plans[start+k]
					recs[k] = recs[k][:0]
					if !plan.Person.InCity(day.Index) {
						continue // a visitor outside their stay: nothing to see
					}
					o.emit = &recs[k]
					s := seeds[start+k]
					o.person(rand.New(rand.NewPCG(s[0], s[1])), day, plan)
				}
			}()
		}
		wg.Wait()
		for k := range n {
			for _, e := range recs[k] {
				emit.Emit(e.kind, e.t, e.data)
			}
		}
	}
	return nil
}

// batchPerWorker is how many people each worker observes before their
// events are emitted: enough to keep the workers busy, few enough that a
// batch's events stay small.
const batchPerWorker = 64

// recorded is one event a worker observed, waiting for its turn.
type recorded struct {
	kind string
	t    time.Time
	data any
}

// recorder is an Emitter that keeps what it is given, in order.
type recorder []recorded

// Emit records an event.
func (r *recorder) Emit(kind string, t time.Time, data any) {
	*r = append(*r, recorded{kind, t, data})
}

// person emits everything about one person's day.
func (o *observer) person(rng *rand.Rand, day *world.Day, plan *world.Plan) {
	w := window(day, plan)
	on := onIntervals(plan, w)
	var log cellLog
	if plan.Person.Phone != nil {
		log = o.cell(rng, plan, w, on)
	}
	o.gps(rng, plan, on)
	o.apps(plan, w, on)
	o.searches(rng, plan, w, on)
	o.messages(plan, w, on, log)
}

// GPS timing.
const (
	gpsMovingEvery = 3 * time.Minute  // OS background fixes while on the move
	gpsAppEvery    = 10 * time.Minute // apps refresh the location while open
)

// gps emits the fixes apps and the OS received: only with location services
// on, only on the phone (the tablets here have no GPS), never underground.
func (o *observer) gps(rng *rand.Rand, plan *world.Plan, on []interval) {
	p := plan.Person
	if p.Phone == nil || !p.Privacy.LocationServices {
		return
	}
	type request struct {
		at  time.Time
		app string
	}
	var reqs []request
	for _, s := range plan.Apps {
		if s.Device != nil && s.Device != p.Phone {
			continue
		}
		for t := s.Start; t.Before(s.Start.Add(s.Duration)) || t.Equal(s.Start); t = t.Add(gpsAppEvery) {
			reqs = append(reqs, request{t, s.App})
		}
	}
	for _, s := range plan.Segments {
		if s.Place != nil {
			continue
		}
		for t := s.Start.Add(randDur(rng, 0, gpsMovingEvery)); t.Before(s.End); t = t.Add(gpsMovingEvery) {
			reqs = append(reqs, request{t.Truncate(time.Second), SystemApp})
		}
	}
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].at.Before(reqs[j].at) })
	for _, r := range reqs {
		if !isOn(on, r.at) || plan.Underground(r.at) {
			continue
		}
		truth, place := plan.Where(r.at)
		// Indoors the fix is worse: fewer satellites, reflections.
		acc := 5 + rng.Float64()*7
		if place != nil {
			acc = 10 + rng.Float64()*10
		}
		// The reported accuracy is a 68% radius; a 2-D Gaussian error puts
		// 68% of fixes within 1.515 sigma.
		sigma := acc / 1.515
		fix := offset(truth, rng.NormFloat64()*sigma, rng.NormFloat64()*sigma)
		o.emit.Emit(KindGPS, r.at, GPS{
			Common: event.Common{
				IDs:   []event.ID{{Kind: event.ADID, Value: p.Phone.ADID}},
				Where: &event.Where{Lat: round(fix.Lat, 6), Lon: round(fix.Lon, 6), AccuracyM: math.Round(acc)},
			},
			App: r.app,
		})
	}
}

// apps emits app sessions on the phone (while it is on) and the tablet,
// those that start within the day w.
func (o *observer) apps(plan *world.Plan, w interval, on []interval) {
	p := plan.Person
	type key struct {
		start time.Time
		app   string
		dev   *world.Device
	}
	seen := map[key]bool{}
	sessions := append(append([]world.AppSession(nil), plan.Apps...), plan.TabletUse...)
	for _, s := range sessions {
		dev := s.Device
		if dev == nil {
			dev = p.Phone
		}
		k := key{s.Start, s.App, dev}
		if dev == nil || dev.ADID == "" || seen[k] {
			continue
		}
		seen[k] = true
		if !w.contains(s.Start) || (dev == p.Phone && !isOn(on, s.Start)) {
			continue
		}
		ids := []event.ID{{Kind: event.ADID, Value: dev.ADID}}
		if logsInWithNumber(s.App) && p.Phone != nil && p.Phone.MSISDN != "" {
			ids = append(ids, event.ID{Kind: event.MSISDN, Value: p.Phone.MSISDN})
		}
		if logsInWithEmail(s.App) && p.Email != "" {
			ids = append(ids, event.ID{Kind: event.Email, Value: p.Email})
		}
		o.emit.Emit(KindApp, s.Start, App{
			Common:    event.Common{IDs: ids},
			App:       s.App,
			Category:  world.AppCategory(s.App),
			Device:    deviceKind(dev),
			DurationS: int(s.Duration.Round(time.Second) / time.Second),
		})
	}
}

func deviceKind(d *world.Device) string {
	if d.Kind == world.DeviceTablet {
		return string(world.DeviceTablet)
	}
	return string(world.DevicePhone)
}

// searches emits web searches, logged against the device's advertising id.
func (o *observer) searches(rng *rand.Rand, plan *world.Plan, w interval, on []interval) {
	p := plan.Person
	for _, s := range plan.Searches {
		dev := s.Device
		if dev == nil {
			dev = p.Phone
		}
		if dev == nil || dev.ADID == "" || !w.contains(s.Time) || (dev == p.Phone && !isOn(on, s.Time)) {
			continue
		}
		o.emit.Emit(KindSearch, s.Time, Search{
			Common: event.Common{IDs: []event.ID{{Kind: event.ADID, Value: dev.ADID}}},
			Topic:  s.Topic,
			Query:  query(rng, s.Topic),
		})
	}
}

// messages emits the operator's records of calls and SMS. A text sent to a
// switched-off phone waits at the operator and is delivered when it comes
// back; a call to it goes nowhere the network can place.
func (o *observer) messages(plan *world.Plan, w interval, on []interval, log cellLog) {
	ph := plan.Person.Phone
	if ph == nil {
		return
	}
	ids := []event.ID{{Kind: event.MSISDN, Value: ph.MSISDN}, {Kind: event.IMSI, Value: ph.IMSI}}
	for _, m := range plan.Messages {
		t := m.Time
		if !w.contains(t) {
			continue
		}
		if !isOn(on, t) {
			next, ok := nextOn(on, t)
			if m.Kind != "sms" || m.Outgoing || !ok {
				continue
			}
			t = next
		}
		common := event.Common{IDs: ids, Where: o.towerWhere(log.servingAt(t))}
		dir := "in"
		if m.Outgoing {
			dir = "out"
		}
		switch m.Kind {
		case "sms":
			o.emit.Emit(KindSMS, t, SMS{Common: common, Direction: dir, Correspondent: correspondent(m.Peer)})
		case "call":
			o.emit.Emit(KindCall, t, Call{Common: common, Direction: dir, Correspondent: correspondent(m.Peer),
				DurationS: int(m.Duration.Round(time.Second) / time.Second)})
		}
	}
}

// offset returns p moved by north and east metres.
func offset(p world.Point, north, east float64) world.Point {
	const mPerDeg = 111_320.0
	return world.Point{Lat: p.Lat + north/mPerDeg, Lon: p.Lon + east/(mPerDeg*math.Cos(p.Lat*math.Pi/180))}
}

func round(v float64, digits int) float64 {
	f := math.Pow(10, float64(digits))
	return math.Round(v*f) / f
}

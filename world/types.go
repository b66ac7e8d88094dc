package world

import "time"

// Point is a WGS84 position in degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// PlaceKind classifies places of the city.
type PlaceKind string

// Place kinds.
const (
	KindHome    PlaceKind = "home"
	KindOffice  PlaceKind = "office"
	KindShop    PlaceKind = "shop"
	KindCafe    PlaceKind = "cafe"
	KindMall    PlaceKind = "mall"
	KindGym     PlaceKind = "gym"
	KindPark    PlaceKind = "park"
	KindStation PlaceKind = "station"
)

// Place is somewhere people spend time. IDs are stable and readable
// ("shop:fnac-forum", "station:chatelet", "home:p007").
type Place struct {
	ID             string
	Name           string
	Kind           PlaceKind
	Point          Point
	Arrondissement int
	// Merchant fields, set for places that take payments.
	Merchant string // merchant name as printed on a bank statement
	MCC      string // ISO 18245 merchant category code, e.g. "5942" bookstores
	Chain    string // loyalty scheme this place belongs to ("" if none)
	// Mall is the mall a shop or café is in (nil otherwise).
	Mall *Place
	// APs are the Wi-Fi access points installed at this place.
	APs []*AccessPoint
	// Station is set when Kind is KindStation.
	Station *Station
}

// Tower is a cell tower (one sector, for simplicity).
type Tower struct {
	ID    string // "T042"
	Point Point
}

// AccessPoint is a Wi-Fi access point with a position.
type AccessPoint struct {
	BSSID string // hardware address of the AP
	SSID  string // network name; MAC randomisation derives one MAC per SSID
	Place *Place
	Point Point
	// Portal is true when joining requires a captive-portal login.
	Portal bool
}

// Station is a metro station served by one or more lines.
type Station struct {
	ID    string // same as its Place id, "station:chatelet"
	Name  string
	Point Point
	Lines []string
	Place *Place
}

// Line is a metro line: its stations in order.
type Line struct {
	Name     string // "1", "4", "7", "14"
	Stations []*Station
	// ExitGates is set for lines whose gates also read fares on the way
	// out. In Paris only the RER's do (its fares depend on the distance);
	// metro gates read on entry only, and exits are free turnstiles. No
	// line of the simulated network has them yet.
	ExitGates bool
}

// TowerSignal is a tower as a phone measures it.
type TowerSignal struct {
	Tower     *Tower
	DistanceM float64
}

// DeviceKind classifies devices.
type DeviceKind string

// Device kinds.
const (
	DevicePhone     DeviceKind = "phone"
	DeviceTablet    DeviceKind = "tablet"
	DeviceWristband DeviceKind = "wristband"
)

// Device is something a person carries that sensors can see.
type Device struct {
	Kind  DeviceKind
	Model string
	MAC   string // hardware Wi-Fi MAC (phone, tablet)
	IMEI  string // phone only
	IMSI  string // phone only: the SIM
	// MSISDN is the phone number (phone only).
	MSISDN string
	// ADID is the mobile advertising id (phone and tablet).
	ADID string
	// Serial is the wristband id (wristband only).
	Serial string
}

// Privacy holds a person's privacy settings: the switches of the seed's
// challenge, "could you spend a whole day without feeding the beast?".
type Privacy struct {
	LocationServices bool // GPS fixes reach apps; off does not stop the cell network
	PhoneOffAtNight  bool // phone switched off between bedtime and waking
	PaysCash         bool // cash instead of the bank card
	UsesLoyaltyCard  bool // shows the loyalty card at the till
	WifiEnabled      bool // Wi-Fi radio on at all (off: no probes, no joins)
	WifiAutoJoin     bool // devices join known/open Wi-Fi networks
	MACRandomisation bool // one random MAC per network instead of the hardware MAC
	WearsWristband   bool // wears (and syncs) the wristband
}

// Habits are the person's routines, from which daily plans are drawn.
type Habits struct {
	Wake        time.Duration // usual wake time after midnight
	Bed         time.Duration // usual bedtime after midnight (may exceed 24h for after midnight)
	Jitter      time.Duration // day-to-day variation of wake and bed times
	WeekendLate time.Duration // how much later weekends start
	PhoneDelay  time.Duration // how soon the phone is grabbed on waking (FOMO)
	CafeOrder   string        // usual café order
	OwnCup      bool          // brings their own cup
	CafeRate    float64       // chance of a café visit on a given day
	BookGenres  []string      // favourite book genres
	Apps        []string      // apps used
	Topics      []string      // web-search interests
	Sport       string        // "" if none
	SportDays   []time.Weekday
	Contacts    []string // person ids of frequent correspondents
}

// Occupation is what fills a person's weekdays; it shapes their routine.
type Occupation string

// Occupations, with their share of the population in docs/world.md.
const (
	OccOffice  Occupation = "office"  // office hours at a workplace
	OccShift   Occupation = "shift"   // early or late shifts (hospitals, shops, transport), weekends included
	OccNight   Occupation = "night"   // works at night, sleeps in the day
	OccStudent Occupation = "student" // lectures at a campus, irregular hours
	OccRetired Occupation = "retired" // no work; local errands, markets, parks
	OccRemote  Occupation = "remote"  // works from home, sometimes from a café
	OccVisitor Occupation = "visitor" // stays a few days in a hotel, sightseeing
)

// Occupations lists every occupation, in the order reports show them.
var Occupations = []Occupation{OccOffice, OccShift, OccNight, OccStudent, OccRetired, OccRemote, OccVisitor}

// Person is a simulated inhabitant. Only the simulator and the ground truth
// know who owns what; sensors see identifiers alone.
type Person struct {
	ID    string // "hero", "p001", …
	Name  string
	Email string
	Home  *Place
	Work  *Place // nil for people who do not commute

	// Occupation shapes the person's days.
	Occupation Occupation
	// Arrive and Leave are the first and last days (1-based) a visitor is
	// in the city; both are 0 for residents, who are always there.
	Arrive, Leave int

	Phone     *Device
	Tablet    *Device // nil if none
	Wristband *Device // nil if none

	CardToken string            // bank card token
	PassID    string            // transit pass ("" if none: buys tickets)
	Loyalty   map[string]string // chain -> loyalty account id

	Habits  Habits
	Privacy Privacy

	life life       // work rota and local places, drawn by settle
	ext  []extValue // the values of the world's person extensions (Extend)
}

// Segment is a stretch of a person's day at one place, or moving between
// places. Segments of a plan are contiguous and cover the whole day.
type Segment struct {
	Start, End time.Time
	Activity   string // "sleep", "home", "work", "shopping", "cafe", "gym", "park", "commute", "walk"
	Place      *Place // nil while moving
	Trip       *Trip  // set while moving
	Moment     string // the seed moment it belongs to (hero), "" otherwise
}

// Trip is a move between two places.
type Trip struct {
	Mode string // "metro" or "walk"
	From *Place
	To   *Place
	Legs []Leg // metro legs, in order; empty for walks
	// Ticket is the single ticket validated at the first gate of a metro
	// trip ("" when riding with a pass, and for walks).
	Ticket string
	// path is the timed polyline Where interpolates along.
	path []waypoint
}

// Leg is one ride on one metro line.
type Leg struct {
	Line   string
	From   *Station
	To     *Station
	Board  time.Time // tap-in or platform time
	Alight time.Time
}

// SleepPhase is one phase of a night's sleep.
type SleepPhase struct {
	Kind       string // "falling_asleep", "light", "deep", "rem", "awake"
	Start, End time.Time
}

// Sleep is one night: in bed, asleep, awake.
type Sleep struct {
	Bed    time.Time
	Wake   time.Time
	Phases []SleepPhase
}

// AppSession is the person using an app on a device.
type AppSession struct {
	Start    time.Time
	Duration time.Duration
	App      string
	Device   *Device
	Moment   string
}

// Message is a call or an SMS.
type Message struct {
	Time     time.Time
	Kind     string // "sms" or "call"
	Peer     string // correspondent's phone number (MSISDN)
	Outgoing bool
	Duration time.Duration // calls only
	Moment   string
}

// Search is a web search.
type Search struct {
	Time   time.Time
	Topic  string
	Device *Device
	Moment string
}

// Item is one line of a basket.
type Item struct {
	Name       string
	Category   string // "book", "drink", "food", "ticket", …
	Genre      string // books: "science fiction", "crime", …
	PriceCents int
	Qty        int
}

// Purchase is paying for something somewhere.
type Purchase struct {
	Time       time.Time
	Place      *Place
	Items      []Item
	TotalCents int
	Method     string // "card" or "cash"
	Loyalty    string // loyalty account shown at the till ("" if none)
	OwnCup     bool   // café only
	Tickets    int    // transit tickets bought (ticket machine)
	Moment     string
	// TicketIDs are the numbers of the tickets bought (len == Tickets).
	TicketIDs []string
	// Pass is the transit pass topped up at a ticket machine ("" otherwise).
	Pass string
}

// Workout is sport, as the wristband counts it.
type Workout struct {
	Start, End time.Time
	Sport      string
	Moment     string
}

// Plan is one person's simulated day: everything they did, the truth that
// producers observe slivers of.
type Plan struct {
	Person    *Person
	Day       int    // 1-based day index
	Sleep     *Sleep // the night that ended this morning (nil if none)
	Segments  []Segment
	Apps      []AppSession
	Messages  []Message
	Searches  []Search
	Purchases []Purchase
	Workouts  []Workout
	// TabletUse is set when the person works on the tablet (on Wi-Fi) somewhere.
	TabletUse []AppSession

	ext []extValue // the values of the world's day extensions (ExtendDay)
}

// Moment is a named stretch of the hero's day (DESIGN.md's table).
type Moment struct {
	Name       string
	Start, End time.Time
}

// Day is one simulated day of the whole population, or a part of it
// (World.Part): the plans of consecutive people, From on.
type Day struct {
	Index int       // 1-based
	Date  time.Time // local midnight (Europe/Paris) that starts the day
	City  *City
	Plans []*Plan // one per person, in population order
	// From is the population index of Plans[0]: 0 for a whole day and for
	// the first part of one.
	From int
	// Moments is the hero's day split into the seed's moments (day 1 only,
	// and in a part only the one holding the hero).
	Moments []Moment
	// everyone is the whole population when the day is a part of it; nil
	// for a whole day, whose people are those of Plans (see Everyone).
	everyone []*Person
}

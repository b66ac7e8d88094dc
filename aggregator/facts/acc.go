package facts

import (
	"math"
	"time"

	"exhaust/event"
)

// The per-identifier accumulators. Save writes them field by field
// (snapshot_parts.go): a field added here must be added there too, or it
// is lost across a restart (TestSaveLoadEveryField says which). Fields
// are capitalised, as when gob encoded them; the types are not, so they
// stay private to the package.
// Memory per person is the constraint (a city is hundreds of thousands of
// people), hence:
//   - identifiers are keyed by a 64-bit hash of kind and value, not by the
//     strings (the identity graph keeps those);
//   - strings that repeat across people (towers, places, apps,
//     categories…) are interned: an int32 index into the Store's table;
//   - times are stamps, 32-bit seconds since 2020;
//   - each kind of accumulator lives in its own map, so an identifier pays
//     only for the kinds of events it appears in;
//   - lists are slices kept small and bounded, searched linearly: cheaper
//     than maps for a handful of entries, and ordered, so saving is
//     deterministic.

// key identifies an identifier: FNV-1a of its kind and value. Two of the
// hundreds of millions of pairs among a million identifiers colliding has a
// probability of about 3·10⁻⁸.
type key uint64

func keyOf(id event.ID) key { return key(id.Hash()) }

// stamp is a time as seconds since 2020-01-01 UTC: 32 bits reach 2088.
type stamp int32

// stampEpoch is 2020-01-01T00:00:00Z in Unix seconds.
const stampEpoch = 1577836800

func toStamp(t time.Time) stamp {
	s := t.Unix() - stampEpoch
	return stamp(max(math.MinInt32+1, min(math.MaxInt32, s)))
}

// Time returns the time of s in the city's zone (Zone), the zone of the
// times of day facts give: a fact that says "in bed at 23:29" says
// 23:29:38+01:00 for the same night, never 22:29:38Z.
func (s stamp) Time() time.Time { return time.Unix(int64(s)+stampEpoch, 0).In(paris()) }

// sampleCap is how many supporting event ids each accumulator keeps.
const sampleCap = 2

// ref is one supporting event: its UUID and time.
type ref struct {
	ID [16]byte
	T  stamp
}

// sample is the evidence of one accumulator: how many events support it,
// of which types, when, and the ids of the most recent ones.
type sample struct {
	N           int32
	Types       uint32 // bit set over eventTypes
	First, Last stamp
	Refs        [sampleCap]ref
	Next        uint8 // ring position of the next ref
}

// head is what the store knows of every identifier: when and how often it
// was seen.
type head struct {
	First, Last stamp
	Seen        int32
}

// towerStat is one tower in the measurement reports of a time class.
type towerStat struct {
	T       int32 // tower id (interned)
	N       int32 // reports listing it
	Sum     int32 // sum of its RSSI, dBm
	Days    int32 // distinct days (nights) it was heard on
	LastDay int32
}

// cellClass accumulates a phone's measurement reports over one class of
// time (nights, or working hours).
type cellClass struct {
	Towers  []towerStat
	Days    int32 // distinct days (nights)
	LastDay int32
	Ev      sample
}

// cellPart is what the operator knows of a SIM's whereabouts.
type cellPart struct {
	Night, Work cellClass
}

// gpsClass sums GPS fixes over one class of time.
type gpsClass struct {
	N              int32
	SumLat, SumLon float64
	SumSq          float64 // of the fixes' offsets from the first, m²: their spread
	Lat0, Lon0     float64 // the first fix
	SumAcc         float64
	Ev             sample
}

// gpsPart is the GPS fixes apps received under an advertising id.
type gpsPart struct {
	Night, Work gpsClass
}

// appStat is one app's sessions on one kind of device.
type appStat struct {
	App    int32
	Device uint8 // devPhone or devTablet
	N      int32
	Secs   int32
}

// count is an interned name with a count.
type count struct {
	S int32
	N int32
}

// firstSession is the first phone app session of a morning.
type firstSession struct {
	Day int32
	T   stamp
	App int32
}

// maxMornings bounds appPart.Firsts and bandPart.Wakes.
const maxMornings = 7

// appPart is what app analytics and the search engine know of an
// advertising id.
type appPart struct {
	Device uint8 // deviceKind bits seen
	Apps   []appStat
	Topics []count
	Firsts []firstSession // per local day, at most maxMornings, by day
	Ev     sample
	Search sample
}

// The devices an advertising id can belong to (bits).
const (
	devPhone  uint8 = 1
	devTablet uint8 = 2
)

// contactStat is one correspondent of a phone number.
type contactStat struct {
	H               uint64 // the hashed number, as a number (see parseHash)
	Raw             int32  // the correspondent interned, when not such a hash; else -1
	SMSIn, SMSOut   uint16
	CallIn, CallOut uint16
	CallS           int32
}

// maxContacts bounds msgPart.Contacts; beyond it, messages are only counted.
const maxContacts = 32

// msgPart is the operator's call and SMS records of a phone number.
type msgPart struct {
	Contacts []contactStat
	Other    int32 // messages with correspondents beyond maxContacts
	Ev       sample
}

// wifiPlace is one Wi-Fi network at one place, as a MAC was seen there.
type wifiPlace struct {
	P, SSID   int32
	Probes    int32
	Visits    int32 // probe visits: bursts more than visitGap apart
	SpanS     int32 // time between first and last probe of each visit
	LastProbe stamp
	Assoc     int32
	DwellS    int32
	Portal    int32
}

// maxPlaces bounds the place lists of an identifier.
const maxPlaces = 24

// wifiPart is what Wi-Fi operators know of a MAC address.
type wifiPart struct {
	Places []wifiPlace
	Ev     sample
	// By names the sensors that noticed the identifier (meaning.Presence),
	// interned; 0 until one says.
	By int32
}

// workoutStat is one sport's sessions.
type workoutStat struct {
	Sport int32
	N     int32
	Secs  int32
	Kcal  int32
}

// bandPart is what the wristband vendor knows of a serial number.
type bandPart struct {
	// Sleep.
	Nights   int32
	SumDur   int64
	SumBed   int64 // minutes after 12:00 local of the evening before
	SumWake  int64 // minutes after 00:00 local
	LastBed  stamp
	LastWake stamp
	LastDur  int32
	LastTot  [len(phaseNames)]int32
	Wakes    []stamp // recent wake times, at most maxMornings, by time
	SleepEv  sample
	// Activity.
	Hours     int32
	Steps     int64
	Kcal      int64
	HRSum     int64
	Days      int32
	LastDay   int32
	DaySteps  int32 // steps of LastDay
	Workouts  []workoutStat
	ActEv     sample
	Syncs     int32
	SyncEv    sample
	WorkoutEv sample
}

// phaseNames are the sleep phases, in the order of bandPart.LastTot.
var phaseNames = [...]string{"falling_asleep", "light", "deep", "rem", "awake"}

// catStat is spending in one category or at one place.
type catStat struct {
	C     int32
	N     int32
	Cents int64
}

// payPart is what the bank knows of a card.
type payPart struct {
	Cats      []catStat
	Places    []catStat
	Cafe      []catStat // MCC 5814 payments, by place
	Ev        sample
	CafeEv    sample
	OtherPays int32 // payments at places beyond maxPlaces
}

// trip is one metro trip: in and out taps (a side is zero when unseen).
type trip struct {
	FromS, FromL int32
	In           stamp
	ToS, ToL     int32
	Out          stamp
}

// maxTrips bounds transitPart.Trips.
const maxTrips = 8

// stationStat is one station in a pass's taps.
type stationStat struct {
	S        int32
	In, Out  int32
	DayFirst int32 // days the first tap-in of the day was here
	DayLast  int32 // days the last tap-out of the day was here
}

// transitPart is what the metro operator knows of a pass.
type transitPart struct {
	Trips    []trip // most recent last, at most maxTrips
	NTrips   int32
	Open     trip // a tap-in waiting for its tap-out (In == 0: none)
	Stations []stationStat
	Lines    []count
	Products []count
	// The day being followed: its first tap-in and last tap-out, credited
	// to stationStat.DayFirst/DayLast when a later day starts.
	Day               int32
	FirstInS, LastOut int32
	FirstInT, LastT   stamp
	Ev                sample
	BuyEv             sample
}

// ticketPart is what the metro operator knows of a single ticket: sold
// once, read at the gates of one trip. Tickets are many and short-lived, so
// they get a part much smaller than a pass's.
type ticketPart struct {
	Trip   trip
	Bought bool
	Ev     sample
}

// basketPart is what a shop's loyalty scheme knows of an account.
type basketPart struct {
	Chain      int32
	Baskets    int32
	Cents      int64
	Items      int32
	Genres     []count
	Drinks     []count // café orders
	CafeVisits int32   // baskets with a drink
	OwnCup     int32
	Stores     []count
	Ev         sample
	CafeEv     sample
}

// registration is one member record of a loyalty scheme. Email is -1 when
// the record's e-mail is one of its identifiers (it always is).
type registration struct {
	Chain, Name, Email, Registered int32
}

// regPart is what someone typed in about themselves: loyalty member
// records (on loyalty accounts) and captive-portal logins (on e-mails).
type regPart struct {
	Regs    []registration
	Portals []count // SSID → logins
	Ev      sample
}

package facts

import "time"

// Fact is one thing a profile reveals, with the evidence behind it.
type Fact struct {
	// Name is a stable key, one of the Fact* constants.
	Name string `json:"name"`
	// Value is the fact as data: one of this package's *Value types.
	Value any `json:"value"`
	// Display is one readable line: "home: ±120 m around 48.8569, 2.3952".
	Display string `json:"display"`
	// Confidence is how sure the aggregator is, from 0 to 1.
	Confidence float64  `json:"confidence"`
	Evidence   Evidence `json:"evidence"`
	// FirstSeen and LastSeen bound the supporting events.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`

	types uint32 // the evidence's event types, while Derive names them
}

// Evidence is why a fact holds.
type Evidence struct {
	// Why is one sentence a teacher can read out loud: "your phone reported
	// towers T200/T212/T213 on 1 night between 22:00 and 07:00".
	Why string `json:"why"`
	// Count is the number of supporting events.
	Count int `json:"count"`
	// EventIDs is a sample of supporting event ids (at most MaxEventIDs),
	// most recent first.
	EventIDs []string `json:"event_ids"`
	// Sources are the event types used, sorted.
	Sources []string `json:"sources"`
}

// MaxEventIDs bounds Evidence.EventIDs.
const MaxEventIDs = 8

// The names of the facts, in the order Derive returns them.
const (
	FactHome        = "home"
	FactWork        = "work"
	FactSleep       = "sleep"
	FactWakeToPhone = "wake_to_phone"
	FactActivity    = "activity"
	FactTrips       = "trips"
	FactPlaces      = "places"
	FactSpending    = "spending"
	FactShopping    = "shopping"
	FactInterests   = "interests"
	FactCafe        = "cafe"
	FactApps        = "apps"
	FactDevices     = "devices"
	FactContacts    = "contacts"
	FactName        = "name"
	FactEmail       = "email"
)

// FactNames lists every fact name, in the order Derive returns facts.
var FactNames = []string{
	FactHome, FactWork, FactSleep, FactWakeToPhone, FactActivity, FactTrips, FactPlaces,
	FactSpending, FactShopping, FactInterests, FactCafe, FactApps, FactDevices, FactContacts,
	FactName, FactEmail,
}

// AreaValue is the value of the home and work facts: an area, as a centre
// and a radius.
type AreaValue struct {
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	RadiusM int     `json:"radius_m"` // about one standard deviation of the error
	// Days is the number of nights (home) or weekdays (work) observed.
	Days int `json:"days"`
	// Towers are the cell towers the estimate rests on, strongest first.
	Towers []string `json:"towers,omitempty"`
	// Reports is the number of measurement reports averaged.
	Reports int `json:"reports"`
	// GPSFixes is the number of GPS fixes used (location services on).
	GPSFixes int `json:"gps_fixes,omitempty"`
	// Station is the metro station where the day's trips start and end
	// (home only), when it agrees with the towers.
	Station     string `json:"station,omitempty"`
	StationName string `json:"station_name,omitempty"`
}

// SleepValue is the value of the sleep fact.
type SleepValue struct {
	LastBed       time.Time      `json:"last_bed"`
	LastWake      time.Time      `json:"last_wake"`
	LastDurationS int            `json:"last_duration_s"`
	LastPhasesS   map[string]int `json:"last_phases_s"` // seconds per phase
	Nights        int            `json:"nights"`
	AvgDurationS  int            `json:"avg_duration_s"`
	AvgBed        string         `json:"avg_bed"`  // local "15:04"
	AvgWake       string         `json:"avg_wake"` // local "15:04"
}

// WakeToPhoneValue is the value of the wake_to_phone fact: how soon after
// waking the phone is picked up.
type WakeToPhoneValue struct {
	LastDelayS   int    `json:"last_delay_s"`
	LastApp      string `json:"last_app"`
	MedianDelayS int    `json:"median_delay_s"`
	Mornings     int    `json:"mornings"`
}

// WorkoutValue is one sport in the activity fact.
type WorkoutValue struct {
	Sport    string `json:"sport"`
	Sessions int    `json:"sessions"`
	Minutes  int    `json:"minutes"`
	Kcal     int    `json:"kcal"`
}

// ActivityValue is the value of the activity fact.
type ActivityValue struct {
	Days          int            `json:"days"`
	Hours         int            `json:"hours"`
	StepsPerDay   int            `json:"steps_per_day"`
	KcalPerDay    int            `json:"kcal_per_day"`
	HeartRateAvg  int            `json:"heart_rate_avg_bpm"`
	LastDaySteps  int            `json:"last_day_steps"`
	Workouts      []WorkoutValue `json:"workouts,omitempty"`
	WristbandSync int            `json:"wristband_syncs"`
}

// TripValue is one metro trip: in at one station, out at another (read at
// an exit gate, or inferred from the next trip).
type TripValue struct {
	From     string    `json:"from,omitempty"` // station place id
	FromName string    `json:"from_name,omitempty"`
	FromLine string    `json:"from_line,omitempty"`
	In       time.Time `json:"in,omitzero"`
	To       string    `json:"to,omitempty"`
	ToName   string    `json:"to_name,omitempty"`
	ToLine   string    `json:"to_line,omitempty"`
	Out      time.Time `json:"out,omitzero"`
	// ToInferred is set when no gate read the way out (metro exits read
	// nothing) and To is the station of the next tap-in that day, or for
	// the day's last trip the day's first station: ToLine and Out are then
	// unknown.
	ToInferred bool `json:"to_inferred,omitempty"`
}

// Count is a name with a count, the building block of several values.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// TripsValue is the value of the trips fact: the itinerary.
type TripsValue struct {
	Trips     int         `json:"trips"`
	Recent    []TripValue `json:"recent"` // most recent last, at most maxTrips
	Stations  []Count     `json:"stations"`
	Lines     []Count     `json:"lines"`
	Purchases []Count     `json:"purchases,omitempty"`
}

// PlaceVisitValue is one place in the places fact.
type PlaceVisitValue struct {
	Place    string `json:"place"`
	Name     string `json:"name,omitempty"`
	DwellS   int    `json:"dwell_s,omitempty"`  // time spent, from Wi-Fi
	WiFi     int    `json:"wifi,omitempty"`     // Wi-Fi sessions and probe visits
	Payments int    `json:"payments,omitempty"` // card payments
	Taps     int    `json:"taps,omitempty"`     // metro gate taps
}

// PlacesValue is the value of the places fact.
type PlacesValue struct {
	Places []PlaceVisitValue `json:"places"`
}

// CategoryValue is one category of spending.
type CategoryValue struct {
	Category string `json:"category"`
	Payments int    `json:"payments"`
	Cents    int    `json:"cents"`
}

// SpendingValue is the value of the spending fact: the bank's view.
type SpendingValue struct {
	Payments   int             `json:"payments"`
	TotalCents int             `json:"total_cents"`
	ByCategory []CategoryValue `json:"by_category"`
}

// ChainValue is one loyalty scheme in the shopping fact.
type ChainValue struct {
	Chain   string `json:"chain"`
	Baskets int    `json:"baskets"`
	Cents   int    `json:"cents"`
	Items   int    `json:"items"`
}

// ShoppingValue is the value of the shopping fact: the loyalty schemes' view.
type ShoppingValue struct {
	Baskets    int          `json:"baskets"`
	TotalCents int          `json:"total_cents"`
	Chains     []ChainValue `json:"chains"`
}

// InterestsValue is the value of the interests fact.
type InterestsValue struct {
	BookGenres   []Count `json:"book_genres,omitempty"`
	SearchTopics []Count `json:"search_topics,omitempty"`
}

// CafeValue is the value of the cafe fact.
type CafeValue struct {
	Visits        int     `json:"visits"`
	Order         string  `json:"order,omitempty"` // the usual order
	Orders        []Count `json:"orders,omitempty"`
	OwnCup        int     `json:"own_cup"`       // visits with their own cup
	OwnCupShare   float64 `json:"own_cup_share"` // of itemised visits
	VisitsPerWeek float64 `json:"visits_per_week"`
	Places        []Count `json:"places"`
}

// AppValue is one app in the apps fact.
type AppValue struct {
	App      string `json:"app"`
	Category string `json:"category"`
	Device   string `json:"device"`
	Sessions int    `json:"sessions"`
	Seconds  int    `json:"seconds"`
}

// AppsValue is the value of the apps fact.
type AppsValue struct {
	Sessions int        `json:"sessions"`
	Apps     []AppValue `json:"apps"`
}

// DeviceValue is one identifier of a device in the devices fact.
type DeviceValue struct {
	Kind string `json:"kind"` // identifier kind
	ID   string `json:"id"`
	// Device is what it identifies: phone, sim, tablet, wristband, wifi.
	Device string `json:"device"`
	Seen   int    `json:"seen"`
	// Networks are the Wi-Fi places where a MAC was seen (wifi only).
	Networks []string `json:"networks,omitempty"`
}

// DevicesValue is the value of the devices fact.
type DevicesValue struct {
	Phones     int           `json:"phones"`
	Tablets    int           `json:"tablets"`
	Wristbands int           `json:"wristbands"`
	WiFi       int           `json:"wifi"` // distinct Wi-Fi MACs
	Items      []DeviceValue `json:"items"`
	// WiFiAt lists, per Wi-Fi place, the MACs seen there.
	WiFiAt map[string][]string `json:"wifi_at,omitempty"`
}

// ContactValue is one correspondent in the contacts fact.
type ContactValue struct {
	// Hash is the correspondent as the operator's records give it.
	Hash string `json:"hash"`
	// MSISDN is the number behind the hash when the store has seen it: an
	// unsalted hash of a phone number hides nothing from whoever holds the
	// numbers.
	MSISDN   string `json:"msisdn,omitempty"`
	SMSIn    int    `json:"sms_in"`
	SMSOut   int    `json:"sms_out"`
	CallsIn  int    `json:"calls_in"`
	CallsOut int    `json:"calls_out"`
	CallS    int    `json:"call_s"`
}

// ContactsValue is the value of the contacts fact.
type ContactsValue struct {
	Contacts []ContactValue `json:"contacts"`
}

// NameValue is the value of the name fact.
type NameValue struct {
	Name    string   `json:"name"`
	Sources []string `json:"sources"` // where it was given: "fnac loyalty registration"
}

// EmailValue is the value of the email fact.
type EmailValue struct {
	Emails  []string `json:"emails"`
	Sources []string `json:"sources"`
}

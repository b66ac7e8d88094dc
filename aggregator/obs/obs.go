// Package obs decodes a validated event into one flat Record, so that the
// aggregator's parts (linker, facts, scoring) share one decode per event
// instead of each parsing the JSON again.
package obs

import (
	"encoding/json"
	"fmt"
	"time"

	"exhaust/event"
)

// Measurement is one tower as a phone measured it (phone.cell).
type Measurement struct {
	Tower string `json:"tower"`
	RSSI  int    `json:"rssi_dbm"`
}

// Item is one line of a loyalty basket.
type Item struct {
	Name       string `json:"name"`
	Category   string `json:"category"`
	Genre      string `json:"genre,omitempty"`
	PriceCents int    `json:"price_cents"`
	Qty        int    `json:"qty"`
}

// Phase is one sleep phase (wristband.sleep).
type Phase struct {
	Phase string    `json:"phase"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Record is an event with its data decoded into the union of every event
// type's fields. Fields that a type does not have stay zero. Field names
// follow the JSON of docs/events.md.
type Record struct {
	// Envelope.
	ID   string    `json:"-"`
	Type string    `json:"-"`
	Time time.Time `json:"-"`

	IDs   []event.ID   `json:"ids"`
	Where *event.Where `json:"where,omitempty"`

	// phone.cell
	Event        string        `json:"event,omitempty"`
	Tower        string        `json:"tower,omitempty"`
	Measurements []Measurement `json:"measurements,omitempty"`
	// phone.app, phone.gps, phone.call
	App       string `json:"app,omitempty"`
	Category  string `json:"category,omitempty"` // app category, or card payment category
	Device    string `json:"device,omitempty"`
	DurationS int    `json:"duration_s,omitempty"`
	// phone.sms, phone.call; transit.tap (direction)
	Direction     string `json:"direction,omitempty"`
	Correspondent string `json:"correspondent,omitempty"`
	// phone.search
	Topic string `json:"topic,omitempty"`
	Query string `json:"query,omitempty"`

	// card.payment
	Merchant    string `json:"merchant,omitempty"`
	MCC         string `json:"mcc,omitempty"`
	AmountCents int    `json:"amount_cents,omitempty"`
	Currency    string `json:"currency,omitempty"`
	Terminal    string `json:"terminal,omitempty"`

	// loyalty.basket, loyalty.registration
	Chain      string `json:"chain,omitempty"`
	Store      string `json:"store,omitempty"`
	Items      []Item `json:"items,omitempty"`
	TotalCents int    `json:"total_cents,omitempty"`
	Points     int    `json:"points,omitempty"`
	OwnCup     bool   `json:"own_cup,omitempty"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Registered string `json:"registered,omitempty"`

	// transit.tap, transit.purchase
	Station     string `json:"station,omitempty"`
	StationName string `json:"station_name,omitempty"`
	Line        string `json:"line,omitempty"`
	Product     string `json:"product,omitempty"`
	Count       int    `json:"count,omitempty"`
	Payment     string `json:"payment,omitempty"`

	// wifi.probe, wifi.association, wifi.portal
	AP   string `json:"ap,omitempty"`
	SSID string `json:"ssid,omitempty"`
	RSSI int    `json:"rssi_dbm,omitempty"`

	// wifi.association, wristband.activity, wristband.workout
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`

	// wristband.*
	Records    int            `json:"records,omitempty"`
	BatteryPct int            `json:"battery_pct,omitempty"`
	Bed        time.Time      `json:"bed,omitzero"`
	Wake       time.Time      `json:"wake,omitzero"`
	Phases     []Phase        `json:"phases,omitempty"`
	TotalsS    map[string]int `json:"totals_s,omitempty"`
	Steps      int            `json:"steps,omitempty"`
	HeartRate  int            `json:"heart_rate_avg_bpm,omitempty"`
	Calories   int            `json:"calories_kcal,omitempty"`
	Sport      string         `json:"sport,omitempty"`
}

// Decode returns the Record of ev, whose Data must be a json.RawMessage (as
// event.Validator returns it) or a Record decoded already (a consumer may
// decode on parallel workers; see Predecode). The Record, or the error, is
// always the one json.Unmarshal gives; a hand-written decoder gives it
// without reflection for well-formed events (see decode.go).
func Decode(ev *event.Event) (*Record, error) {
	if r, ok := ev.Data.(*Record); ok {
		return r, nil
	}
	raw, ok := ev.Data.(json.RawMessage)
	if !ok {
		return nil, fmt.Errorf("event %s: data is %T, want json.RawMessage", ev.ID, ev.Data)
	}
	r := decodeFast(raw)
	if r == nil {
		// Left to the reference (see decode.go).
		var err error
		if r, err = decodeReference(raw); err != nil {
			return nil, fmt.Errorf("event %s (%s): decode data: %w", ev.ID, ev.Type, err)
		}
	}
	r.ID, r.Type, r.Time = ev.ID, ev.Type, ev.Time
	return r, nil
}

// decodeReference decodes data with encoding/json: the reference the fast
// decoder is held to, and its fallback.
func decodeReference(raw []byte) (*Record, error) {
	r := &Record{}
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Has reports whether r carries an identifier of kind k, and returns the first.
func (r *Record) Has(k event.IDKind) (event.ID, bool) {
	for _, id := range r.IDs {
		if id.Kind == k {
			return id, true
		}
	}
	return event.ID{}, false
}

// Predecode replaces ev's raw data with its Record, so that the decoding can
// happen off the goroutine that applies events. On error ev is unchanged:
// Decode will report it again where it is applied.
func Predecode(ev *event.Event) {
	if r, err := Decode(ev); err == nil {
		ev.Data = r
	}
}

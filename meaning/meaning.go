// Package meaning is the vocabulary in which a producer declares what its
// events mean, so that the aggregator can derive facts from any producer
// without knowing it.
//
// A producer's kind lists its meanings in its spec (producers.KindSpec.Means).
// Each meaning names the identifier kind it is about (Of: the facts it feeds
// are kept per identifier of that kind) and the fields of the event's data
// that hold each of its roles, by their JSON names. The aggregator reads
// events through these declarations only: it never switches on an event
// type, and a seventh producer that declares a Payment feeds the spending
// facts exactly as the bank card does.
//
// The vocabulary is small and closed, like the identifier kinds: a meaning
// is something the aggregator knows how to learn from. What a producer sees
// that none of them says can still become a fact of its own through
// Attribute, declared in the producer's package.
//
// Field names are top-level keys of the event's data, except the roles of
// list elements (Radio's emitters, Basket's items), which are keys of the
// list's objects. The event's ids and where are in every event and need no
// field.
package meaning

import (
	"fmt"
	"strings"

	"exhaust/event"
)

// Meaning is one declared meaning of an event kind. The set of meanings is
// closed: the aggregator understands each of the types in this package.
type Meaning interface {
	// About is the identifier kind the meaning is about.
	About() event.IDKind
	// Uses lists the data fields the declaration names, top-level ones
	// first, then list elements' as "list[].key".
	Uses() []string
	// Kind names the meaning: "payment", "presence", …
	Kind() string
	sealed()
}

// Match is a condition on a string field: it holds when the field's value
// is Value. The zero Match never holds.
type Match struct {
	Field string
	Value string
}

// Set reports whether the condition is declared.
func (m Match) Set() bool { return m.Field != "" }

func (m Match) fields() []string {
	if m.Field == "" {
		return nil
	}
	return []string{m.Field}
}

// Served says the event's where is the radio emitter (a cell tower) that
// served the device, at the position its operator registered: the
// aggregator rebuilds the operator's tower register from these.
type Served struct {
	Of event.IDKind
	// Prefix starts the place ids of the emitters ("tower:"); what follows
	// names the emitter as Radio's measurements do.
	Prefix string
}

// Radio says the device measured the signal of nearby emitters: where it
// stays, nights and working hours, is located from them.
type Radio struct {
	Of event.IDKind
	// Emitter names the serving emitter (optional).
	Emitter string
	// List is the field listing the measurements; EmitterKey and
	// StrengthKey (dBm) are keys of its objects.
	List, EmitterKey, StrengthKey string
	// Moving holds when the device is on the move (a handover): such an
	// event says nothing of where it stays.
	Moving Match
	// Leaving holds when the device leaves the network (switched off).
	Leaving Match
}

// Position says the event's where is the device's own measured position
// (satellite positioning), with its accuracy.
type Position struct {
	Of event.IDKind
	// Moving holds for fixes taken on the move, which say nothing of
	// where the person stays.
	Moving Match
}

// Presence says the identifier was at the event's where, a place the
// sensor knows (an access point, a station, a shop). Label names the place
// as the person saw it (a network name); Duration, in seconds, how long.
type Presence struct {
	Of event.IDKind
	// How: Sighted (the sensor noticed the device), Connected (the device
	// used the place's service) or SignedIn (the person identified
	// themselves to it).
	How             How
	Label, Duration string
	// By names the sensors, for a person to read: "Wi-Fi access points".
	By string
	// Start and End, when set, are the times the presence spans.
	Start, End string
}

// How a Presence was observed.
type How int

// The ways a sensor notices a presence.
const (
	Sighted How = iota
	Connected
	SignedIn
)

// AppUse says the person used an app on a device.
type AppUse struct {
	Of                              event.IDKind
	App, Category, Device, Duration string
	// PhoneValue is the Device value of a phone (other devices are
	// tablets, computers…): the first session of a morning on the phone
	// tells when its owner woke up.
	PhoneValue string
}

// Interest says the person showed interest in a topic (a search, a page).
type Interest struct {
	Of    event.IDKind
	Topic string
}

// Contact says the person exchanged with a correspondent, as the operator
// records it (the correspondent's number hashed). Voice is true for a call,
// false for a message.
type Contact struct {
	Of                                 event.IDKind
	Correspondent, Direction, Duration string
	// Incoming is the Direction value of an incoming exchange.
	Incoming string
	Voice    bool
}

// Payment says the identifier paid: Amount in cents, at Merchant (a name
// for the event's place), of Category; Code is the merchant's ISO 18245
// category code when the sensor knows it.
type Payment struct {
	Of                               event.IDKind
	Amount, Merchant, Category, Code string
}

// Basket says the identifier bought a basket of items at a shop of a chain:
// Total in cents; Items lists objects with the keys ItemName, ItemCategory,
// ItemGenre and ItemQty. Reusable holds when the person brought their own
// cup.
type Basket struct {
	Of                                         event.IDKind
	Chain, Store, Total, Items                 string
	ItemName, ItemCategory, ItemGenre, ItemQty string
	// DrinkCategory is the ItemCategory value of a drink: baskets with a
	// drink are café visits.
	DrinkCategory string
	Reusable      string
}

// Gate says the identifier passed a gate at a station: Direction is
// Entering or not. A SingleUse identifier (a ticket) makes one trip.
type Gate struct {
	Of                                    event.IDKind
	Station, StationName, Line, Direction string
	Entering                              string
	SingleUse                             bool
}

// Fare says the identifier bought a travel product: Product, Count of it
// (when the product is Unit, each unit counts).
type Fare struct {
	Of                   event.IDKind
	Product, Count, Unit string
	// SingleUse is true when the identifier is the product itself (a
	// ticket): buying it is all there is to count.
	SingleUse bool
}

// SignUp says the person gave the identifier to sign in to a service named
// by Service; Via says what the person signed in at, for a person to read
// ("captive portal", "customer area"): the e-mail fact says "at the
// <service> <via>".
type SignUp struct {
	Of           event.IDKind
	Service, Via string
}

// Registration says the person registered with a chain, giving Name and
// Email (fields of the data) on the date in Registered. Or, when the event
// carries none of the meaning's identifiers, the registration is kept on
// Fallback's.
type Registration struct {
	Of                             event.IDKind
	Fallback                       event.IDKind
	Chain, Name, Email, Registered string
}

// Sleep is a night as a sleep tracker scored it: Bed and Wake times,
// Duration asleep in seconds, Totals an object of seconds per stage.
type Sleep struct {
	Of                          event.IDKind
	Bed, Wake, Duration, Totals string
}

// Activity is an hour of activity: steps, kcal, mean heart rate.
type Activity struct {
	Of                                event.IDKind
	Start, Steps, Calories, HeartRate string
}

// Workout is a recorded workout.
type Workout struct {
	Of                        event.IDKind
	Sport, Duration, Calories string
}

// Sync is a device handing its records to its vendor: the aggregator counts
// them as the device's life signs.
type Sync struct {
	Of event.IDKind
}

// Attribute is a fact of the producer's own: the values of Fields (joined
// by a space), counted per identifier, shown as a fact named Fact (a
// lower-case key, "vehicle"), its value the most frequent one. Say is the
// sentence that explains it, with %s for the value ("drives a %s").
type Attribute struct {
	Of     event.IDKind
	Fact   string
	Fields []string
	Say    string
}

func (m Served) About() event.IDKind       { return m.Of }
func (m Radio) About() event.IDKind        { return m.Of }
func (m Position) About() event.IDKind     { return m.Of }
func (m Presence) About() event.IDKind     { return m.Of }
func (m AppUse) About() event.IDKind       { return m.Of }
func (m Interest) About() event.IDKind     { return m.Of }
func (m Contact) About() event.IDKind      { return m.Of }
func (m Payment) About() event.IDKind      { return m.Of }
func (m Basket) About() event.IDKind       { return m.Of }
func (m Gate) About() event.IDKind         { return m.Of }
func (m Fare) About() event.IDKind         { return m.Of }
func (m Registration) About() event.IDKind { return m.Of }
func (m Sleep) About() event.IDKind        { return m.Of }
func (m Activity) About() event.IDKind     { return m.Of }
func (m Workout) About() event.IDKind      { return m.Of }
func (m SignUp) About() event.IDKind       { return m.Of }
func (m Sync) About() event.IDKind         { return m.Of }
func (m Attribute) About() event.IDKind    { return m.Of }

func (Served) Kind() string       { return "served" }
func (Radio) Kind() string        { return "radio" }
func (Position) Kind() string     { return "position" }
func (Presence) Kind() string     { return "presence" }
func (AppUse) Kind() string       { return "app_use" }
func (Interest) Kind() string     { return "interest" }
func (Contact) Kind() string      { return "contact" }
func (Payment) Kind() string      { return "payment" }
func (Basket) Kind() string       { return "basket" }
func (Gate) Kind() string         { return "gate" }
func (Fare) Kind() string         { return "fare" }
func (Registration) Kind() string { return "registration" }
func (Sleep) Kind() string        { return "sleep" }
func (Activity) Kind() string     { return "activity" }
func (Workout) Kind() string      { return "workout" }
func (SignUp) Kind() string       { return "sign_up" }
func (Sync) Kind() string         { return "sync" }
func (Attribute) Kind() string    { return "attribute" }

func (Served) sealed()       {}
func (Radio) sealed()        {}
func (Position) sealed()     {}
func (Presence) sealed()     {}
func (AppUse) sealed()       {}
func (Interest) sealed()     {}
func (Contact) sealed()      {}
func (Payment) sealed()      {}
func (Basket) sealed()       {}
func (Gate) sealed()         {}
func (Fare) sealed()         {}
func (Registration) sealed() {}
func (Sleep) sealed()        {}
func (Activity) sealed()     {}
func (Workout) sealed()      {}
func (SignUp) sealed()       {}
func (Sync) sealed()         {}
func (Attribute) sealed()    {}

func (m Served) Uses() []string { return nil }
func (m Radio) Uses() []string {
	f := nonEmpty(m.Emitter, m.List)
	f = append(f, m.Moving.fields()...)
	if !m.Moving.Set() || m.Leaving.Field != m.Moving.Field {
		f = append(f, m.Leaving.fields()...)
	}
	return append(f, sub(m.List, m.EmitterKey, m.StrengthKey)...)
}
func (m Position) Uses() []string { return m.Moving.fields() }
func (m Presence) Uses() []string { return nonEmpty(m.Label, m.Duration, m.Start, m.End) }
func (m AppUse) Uses() []string   { return nonEmpty(m.App, m.Category, m.Device, m.Duration) }
func (m Interest) Uses() []string { return nonEmpty(m.Topic) }
func (m Contact) Uses() []string {
	return nonEmpty(m.Correspondent, m.Direction, m.Duration)
}
func (m Payment) Uses() []string { return nonEmpty(m.Amount, m.Merchant, m.Category, m.Code) }
func (m Basket) Uses() []string {
	f := nonEmpty(m.Chain, m.Store, m.Total, m.Items, m.Reusable)
	return append(f, sub(m.Items, m.ItemName, m.ItemCategory, m.ItemGenre, m.ItemQty)...)
}
func (m Gate) Uses() []string {
	return nonEmpty(m.Station, m.StationName, m.Line, m.Direction)
}
func (m Fare) Uses() []string { return nonEmpty(m.Product, m.Count) }
func (m Registration) Uses() []string {
	return nonEmpty(m.Chain, m.Name, m.Email, m.Registered)
}
func (m Sleep) Uses() []string    { return nonEmpty(m.Bed, m.Wake, m.Duration, m.Totals) }
func (m Activity) Uses() []string { return nonEmpty(m.Start, m.Steps, m.Calories, m.HeartRate) }
func (m Workout) Uses() []string  { return nonEmpty(m.Sport, m.Duration, m.Calories) }
func (m SignUp) Uses() []string   { return nonEmpty(m.Service) }
func (Sync) Uses() []string       { return nil }
func (m Attribute) Uses() []string {
	return nonEmpty(m.Fields...)
}

func nonEmpty(fs ...string) []string {
	var out []string
	for _, f := range fs {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func sub(list string, keys ...string) []string {
	if list == "" {
		return nil
	}
	var out []string
	for _, k := range keys {
		if k != "" {
			out = append(out, list+"[]."+k)
		}
	}
	return out
}

// Check reports the first mistake in a kind's meanings: an identifier kind
// the kind does not carry, or a meaning without its required roles.
func Check(ms []Meaning, idKinds []event.IDKind) error {
	for _, m := range ms {
		if !carries(idKinds, m.About()) {
			return fmt.Errorf("meaning %s is about %q, which the kind does not carry (%v)", m.Kind(), m.About(), idKinds)
		}
		if err := required(m); err != nil {
			return fmt.Errorf("meaning %s: %w", m.Kind(), err)
		}
	}
	return nil
}

func carries(ks []event.IDKind, k event.IDKind) bool {
	for _, v := range ks {
		if v == k {
			return true
		}
	}
	return false
}

func required(m Meaning) error {
	need := func(role, field string) error {
		if field == "" {
			return fmt.Errorf("%s names no field", role)
		}
		return nil
	}
	switch m := m.(type) {
	case Radio:
		if m.List == "" || m.EmitterKey == "" || m.StrengthKey == "" {
			return fmt.Errorf("the roles List, EmitterKey and StrengthKey are required")
		}
	case AppUse:
		return need("App", m.App)
	case Interest:
		return need("Topic", m.Topic)
	case Served:
		return need("Prefix", m.Prefix)
	case SignUp:
		return need("Service", m.Service)
	case Contact:
		return need("Correspondent", m.Correspondent)
	case Payment:
		return need("Amount", m.Amount)
	case Basket:
		return need("Total", m.Total)
	case Gate:
		return need("Direction", m.Direction)
	case Fare:
		return need("Product", m.Product)
	case Sleep:
		if m.Bed == "" || m.Wake == "" {
			return fmt.Errorf("the roles Bed and Wake are required")
		}
	case Activity:
		return need("Steps", m.Steps)
	case Workout:
		return need("Sport", m.Sport)
	case Attribute:
		if m.Fact == "" || len(m.Fields) == 0 || m.Say == "" {
			return fmt.Errorf("the roles Fact, Fields and Say are required")
		}
	}
	return nil
}

// Describe says m in a few words for the docs: its kind, the identifier
// kind it is about and the fields it reads, "payment of card (amount_cents,
// merchant)".
func Describe(m Meaning) string {
	s := m.Kind() + " of " + string(m.About())
	if f := m.Uses(); len(f) > 0 {
		s += " (" + strings.Join(f, ", ") + ")"
	}
	return s
}

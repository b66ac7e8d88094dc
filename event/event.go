package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SpecVersion is the CloudEvents version every envelope declares.
const SpecVersion = "1.0"

// SubjectRoot is the first token of every exhaust subject. Everything that is
// not exhaust (ground truth, control, rejects) lives outside SubjectRoot+".>"
// so the EXHAUST stream never captures it.
const SubjectRoot = "exhaust"

// SchemaVersion is the version of the event schemas this build writes and reads.
const SchemaVersion = 1

// IDKind names a kind of identifier a sensor can see. The vocabulary is
// the built-in kinds below plus those producers declare (Declare); see
// Kinds.
type IDKind string

// The built-in identifier vocabulary. No event ever carries a person's true
// id.
const (
	IMSI      IDKind = "imsi"      // SIM subscriber identity, seen by the mobile network
	IMEI      IDKind = "imei"      // handset identity, seen by the mobile network
	MSISDN    IDKind = "msisdn"    // phone number, seen by the network and by apps that log in with it
	ADID      IDKind = "adid"      // mobile advertising id, seen by apps and the OS vendor
	MAC       IDKind = "mac"       // Wi-Fi hardware address (possibly randomised per network)
	Wristband IDKind = "wristband" // fitness wristband serial
	Card      IDKind = "card"      // bank card token (never the full card number)
	Pass      IDKind = "pass"      // transit pass number
	Ticket    IDKind = "ticket"    // single transit ticket number
	Loyalty   IDKind = "loyalty"   // shop loyalty account number
	Email     IDKind = "email"     // e-mail address, given at a registration or a captive portal
)

// ID is one identifier as a sensor saw it.
type ID struct {
	Kind  IDKind `json:"kind"`
	Value string `json:"value"`
}

// Hash is FNV-1a (64 bits) over the identifier's kind, a zero byte and its
// value: a compact key for tables of a city's identifiers. Among the
// million identifiers of a city of 100,000, two colliding has a
// probability of about 3·10⁻⁸. Saved state holds these hashes, so the
// function must not change.
func (id ID) Hash() uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(id.Kind); i++ {
		h = (h ^ uint64(id.Kind[i])) * prime
	}
	h *= prime // the separator, a zero byte
	for i := 0; i < len(id.Value); i++ {
		h = (h ^ uint64(id.Value[i])) * prime
	}
	return h
}

// Where is the place a sensor located an observation at. Place is a stable
// place id from the simulated city ("station:chatelet", "tower:T042") when the
// sensor knows one; Lat/Lon are WGS84 degrees; AccuracyM is the radius of
// uncertainty in metres.
type Where struct {
	Place     string  `json:"place,omitempty"`
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	AccuracyM float64 `json:"accuracy_m,omitempty"`
}

// Common holds the fields every event's data starts with. Producers embed it
// in their per-kind data structs.
type Common struct {
	IDs   []ID   `json:"ids"`
	Where *Where `json:"where,omitempty"`
}

// Event is the envelope of every event, with CloudEvents 1.0 attribute names
// so any CloudEvents tool can read it.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	DataSchema      string    `json:"dataschema"`
	// Data is the kind-specific payload: a producer's struct when emitting,
	// json.RawMessage after decoding.
	Data any `json:"data"`
}

// Type returns the event type of a producer's kind: "<producer>.<kind>".
func Type(producer, kind string) string { return producer + "." + kind }

// Subject returns the NATS subject of a producer's kind:
// "exhaust.<producer>.<kind>".
func Subject(producer, kind string) string { return SubjectRoot + "." + producer + "." + kind }

// Source returns the CloudEvents source of a producer: "exhaust/<producer>".
func Source(producer string) string { return SubjectRoot + "/" + producer }

// SchemaURI returns the dataschema URI of an event type at a version.
func SchemaURI(typ string, version int) string {
	return fmt.Sprintf("urn:exhaust:schema:%s:v%d", typ, version)
}

// Subject returns the subject e is published on.
func (e *Event) Subject() string { return SubjectRoot + "." + e.Type }

// Producer returns the producer part of e's type.
func (e *Event) Producer() string {
	p, _, _ := strings.Cut(e.Type, ".")
	return p
}

// Kind returns the kind part of e's type.
func (e *Event) Kind() string {
	_, k, _ := strings.Cut(e.Type, ".")
	return k
}

// New builds an envelope for a producer's kind. The id must come from the
// run's seeded generator so that runs replay exactly.
func New(id, producer, kind string, t time.Time, data any) Event {
	typ := Type(producer, kind)
	return Event{
		SpecVersion:     SpecVersion,
		ID:              id,
		Source:          Source(producer),
		Type:            typ,
		Time:            t.UTC(),
		DataContentType: "application/json",
		DataSchema:      SchemaURI(typ, SchemaVersion),
		Data:            data,
	}
}

// Encode returns the JSON form of e, as published.
func (e *Event) Encode() ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event %s (%s): %w", e.ID, e.Type, err)
	}
	return b, nil
}

// IDsOf extracts the identifiers of an event whose Data is a struct embedding
// Common, or a decoded json.RawMessage. It returns nil if there are none.
func IDsOf(e *Event) []ID {
	switch d := e.Data.(type) {
	case interface{ Identifiers() []ID }:
		return d.Identifiers()
	case json.RawMessage:
		var c Common
		if json.Unmarshal(d, &c) == nil {
			return c.IDs
		}
	default:
		b, err := json.Marshal(d)
		if err == nil {
			var c Common
			if json.Unmarshal(b, &c) == nil {
				return c.IDs
			}
		}
	}
	return nil
}

// Identifiers returns c's identifiers; structs embedding Common inherit it.
func (c Common) Identifiers() []ID { return c.IDs }

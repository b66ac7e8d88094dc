package census

import (
	"encoding/json"
	"time"

	"exhaust/aggregator/score"
	"exhaust/event"
	"exhaust/producers/card"
	"exhaust/producers/phone"
	"exhaust/world"
)

// A Lens reads one event type as trace points: the trace is keyed by one
// identifier of the event, the point is (place, time bin).
type Lens struct {
	Name string       // "antenna × hour"
	Type string       // the event type it reads, "phone.cell"
	Key  event.IDKind // the identifier whose trace the point joins
	// Place returns where the event happened, from its data; "" skips it.
	Place func(data any) string
	// Bin returns the time bin of the event.
	Bin func(t time.Time) int64
}

// AntennaHour is the resolution of "Unique in the Crowd": each SIM's
// distinct (serving tower, hour) points, the aggregator's Traces.Observe.
var AntennaHour = Lens{
	Name: "antenna × hour", Type: event.Type(phone.Name, phone.KindCell), Key: event.IMSI,
	Place: servingTower, Bin: score.HourBin,
}

// ShopDay is the resolution of "Unique in the shopping mall": each card's
// distinct (merchant place, local day) points from card payments.
var ShopDay = Lens{
	Name: "shop × day", Type: event.Type(card.Name, card.KindPayment), Key: event.Card,
	Place: wherePlace, Bin: LocalDay,
}

// LocalDay returns the day of t in Paris, counted from 1970-01-01: the time
// bin of ShopDay.
func LocalDay(t time.Time) int64 {
	y, m, d := t.In(world.Paris()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// servingTower reads the tower field of a phone.cell event.
func servingTower(data any) string {
	switch d := data.(type) {
	case phone.Cell:
		return d.Tower
	case *phone.Cell:
		return d.Tower
	}
	return decoded(data).Tower
}

// wherePlace reads where.place of an event.
func wherePlace(data any) string {
	var w *event.Where
	switch d := data.(type) {
	case card.Payment:
		w = d.Where
	case *card.Payment:
		w = d.Where
	default:
		w = decoded(data).Where
	}
	if w == nil {
		return ""
	}
	return w.Place
}

// identifiers returns the identifiers of an event's data.
func identifiers(data any) []event.ID {
	if c, ok := data.(interface{ Identifiers() []event.ID }); ok {
		return c.Identifiers()
	}
	return decoded(data).IDs
}

// fields are the data fields lenses read, for data of a type this package
// does not know (a producer that changed its types): slower, but right.
type fields struct {
	IDs   []event.ID   `json:"ids"`
	Where *event.Where `json:"where"`
	Tower string       `json:"tower"`
}

func decoded(data any) fields {
	var f fields
	if b, err := json.Marshal(data); err == nil {
		_ = json.Unmarshal(b, &f) // a field that does not decode stays empty: the event is skipped
	}
	return f
}

// point returns the trace key, place and bin of an event seen through l;
// ok is false when the event lacks the key or the place.
func (l *Lens) point(t time.Time, data any) (key, place string, bin int64, ok bool) {
	place = l.Place(data)
	if place == "" {
		return "", "", 0, false
	}
	for _, id := range identifiers(data) {
		if id.Kind == l.Key && id.Value != "" {
			return id.Value, place, l.Bin(t), true
		}
	}
	return "", "", 0, false
}

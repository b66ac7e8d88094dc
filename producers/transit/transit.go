package transit

import (
	"embed"
	"math/rand/v2"
	"strings"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// Name is the producer's name: subjects are exhaust.transit.<kind>.
const Name = "transit"

// The transit operator's event kinds.
const (
	KindTap      = "tap"
	KindPurchase = "purchase"
)

// Tap directions.
const (
	DirectionIn  = "in"
	DirectionOut = "out"
)

// Products sold at ticket machines.
const (
	ProductTicket      = "ticket"       // single tickets (paper, or loaded on a pass)
	ProductNavigoWeek  = "navigo-week"  // a week's top-up of a pass
	ProductNavigoMonth = "navigo-month" // a month's top-up of a pass
)

// stationAccuracyM is how precisely a gate or machine is placed: the
// operator knows the station, not which of its entrances.
const stationAccuracyM = 100

// Exit gates, where a line has them (world.Line.ExitGates: the RER's in
// Paris), are a short walk from the platform: 20 to 90 seconds, our
// estimate of a platform-to-gate walk.
const (
	minExitWalk = 20 * time.Second
	maxExitWalk = 90 * time.Second
)

// Tap is the data of a transit.tap event: a pass or ticket validated at a
// station gate.
type Tap struct {
	event.Common
	Station     string `json:"station"`
	StationName string `json:"station_name"`
	Line        string `json:"line"`
	Direction   string `json:"direction"`
}

// Purchase is the data of a transit.purchase event: a sale at a ticket
// machine.
type Purchase struct {
	event.Common
	Station     string `json:"station"`
	StationName string `json:"station_name"`
	Product     string `json:"product"`
	Count       int    `json:"count"`
	AmountCents int    `json:"amount_cents"`
	Payment     string `json:"payment"`
}

//go:embed schemas/*.json
var schemas embed.FS

func schema(kind string) []byte { return producers.SchemaFS(schemas, kind) }

// Transit is the metro operator.
type Transit struct{}

var _ producers.Producer = (*Transit)(nil)

func init() { producers.Register(New()) }

// New returns the transit producer.
func New() *Transit { return &Transit{} }

// Spec describes the transit producer. No privacy setting silences it: paying
// cash only keeps the card out of a purchase (see Observe).
func (*Transit) Spec() producers.Spec {
	return producers.Spec{
		Name:    Name,
		Summary: "The metro operator: pass and ticket taps at station gates, and ticket-machine sales.",
		Kinds: []producers.KindSpec{
			{
				Name:    KindTap,
				Summary: "A pass or ticket was validated at a station gate: going in, or going out where the line's gates read exits (the RER's; metro gates read entries only).",
				Reveals: "Itineraries: where and when each trip started, on which line; the next tap-in tells where the last trip probably ended; day after day, home and work stations.",
				IDKinds: []event.IDKind{event.Pass, event.Ticket},
				Schema:  schema(KindTap),
				Means: []meaning.Meaning{
					meaning.Gate{Of: event.Pass, Station: "station", StationName: "station_name", Line: "line", Direction: "direction", Entering: "in"},
					meaning.Gate{Of: event.Ticket, Station: "station", StationName: "station_name", Line: "line", Direction: "direction", Entering: "in", SingleUse: true},
				},
			},
			{
				Name:    KindPurchase,
				Summary: "Tickets or a pass top-up were bought at a station's ticket machine.",
				Reveals: "The pass or tickets bought and, when paid by card, the card: one event links the two, so the card's payments and the pass's trips become one person's.",
				IDKinds: []event.IDKind{event.Pass, event.Ticket, event.Card},
				Schema:  schema(KindPurchase),
				Means: []meaning.Meaning{
					meaning.Fare{Of: event.Pass, Product: "product", Count: "count", Unit: "ticket"},
					meaning.Fare{Of: event.Ticket, Product: "product", Count: "count", Unit: "ticket", SingleUse: true},
				},
			},
		},
	}
}

// Observe emits the ticket-machine sales and the gate taps of the day.
func (*Transit) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	for _, plan := range day.Present() {
		for _, pu := range plan.Purchases {
			if pu.Place == nil || pu.Place.Station == nil {
				continue
			}
			if data, ok := purchase(plan.Person, pu); ok {
				emit.Emit(KindPurchase, pu.Time, data)
			}
		}
		for _, seg := range plan.Segments {
			taps(day.City, plan.Person, seg, rng, emit)
		}
	}
	return nil
}

// purchase builds a ticket-machine sale; ok is false when the machine would
// have nothing to record (no pass, no ticket).
func purchase(p *world.Person, pu world.Purchase) (Purchase, bool) {
	var ids []event.ID
	if pu.Pass != "" {
		ids = append(ids, event.ID{Kind: event.Pass, Value: pu.Pass})
	}
	for _, t := range pu.TicketIDs {
		ids = append(ids, event.ID{Kind: event.Ticket, Value: t})
	}
	if len(ids) == 0 {
		return Purchase{}, false
	}
	payment := "cash"
	// The machine reads the card only when the card pays.
	if pu.Method == "card" && p.CardToken != "" {
		payment = "card"
		ids = append(ids, event.ID{Kind: event.Card, Value: p.CardToken})
	}
	product, count := productOf(pu)
	st := pu.Place.Station
	return Purchase{
		Common:      event.Common{IDs: ids, Where: stationWhere(st)},
		Station:     st.ID,
		StationName: st.Name,
		Product:     product,
		Count:       count,
		AmountCents: pu.TotalCents,
		Payment:     payment,
	}, true
}

// productOf tells single tickets from pass top-ups.
func productOf(pu world.Purchase) (product string, count int) {
	if pu.Tickets > 0 {
		return ProductTicket, pu.Tickets
	}
	if len(pu.TicketIDs) > 0 {
		return ProductTicket, len(pu.TicketIDs)
	}
	for _, it := range pu.Items {
		name := strings.ToLower(it.Name)
		if strings.Contains(name, "mois") || strings.Contains(name, "month") {
			return ProductNavigoMonth, 1
		}
	}
	return ProductNavigoWeek, 1
}

// taps emits the gate taps of one metro trip: in at the first boarding
// station; out at the last alighting one only when that line's gates read
// fares on the way out (world.Line.ExitGates: in Paris, the RER's; metro
// exits are free turnstiles). Changes inside the network are not gated, so
// they leave no tap.
func taps(city *world.City, p *world.Person, seg world.Segment, rng *rand.Rand, emit producers.Emitter) {
	trip := seg.Trip
	if trip == nil || len(trip.Legs) == 0 {
		return
	}
	var id event.ID
	switch {
	case trip.Ticket != "":
		id = event.ID{Kind: event.Ticket, Value: trip.Ticket}
	case p.PassID != "":
		id = event.ID{Kind: event.Pass, Value: p.PassID}
	default:
		return // no fare medium: the gate has nothing to read
	}
	first, last := trip.Legs[0], trip.Legs[len(trip.Legs)-1]
	emit.Emit(KindTap, first.Board, tap(id, first.From, first.Line, DirectionIn))
	if l := city.Line(last.Line); l == nil || !l.ExitGates {
		return
	}
	exit := last.Alight.Add(minExitWalk + time.Duration(rng.Int64N(int64(maxExitWalk-minExitWalk)))).Truncate(time.Second)
	if !seg.End.IsZero() && exit.After(seg.End) {
		exit = seg.End
	}
	if exit.Before(first.Board) { // degenerate plans: keep in before out
		exit = first.Board
	}
	emit.Emit(KindTap, exit, tap(id, last.To, last.Line, DirectionOut))
}

func tap(id event.ID, st *world.Station, line, direction string) Tap {
	return Tap{
		Common:      event.Common{IDs: []event.ID{id}, Where: stationWhere(st)},
		Station:     st.ID,
		StationName: st.Name,
		Line:        line,
		Direction:   direction,
	}
}

func stationWhere(st *world.Station) *event.Where {
	return &event.Where{Place: st.ID, Lat: st.Point.Lat, Lon: st.Point.Lon, AccuracyM: stationAccuracyM}
}

package transit_test

import (
	"slices"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/producers/producertest"
	"exhaust/producers/transit"
	"exhaust/world"
)

var date = time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())

func at(h, m int) time.Time {
	return date.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// A tiny hand-built network: two lines meeting at Châtelet.
var (
	dumas    = station("station:alexandre-dumas", "Alexandre Dumas", 48.8563, 2.3947)
	nation   = station("station:nation", "Nation", 48.8482, 2.3959)
	chatelet = station("station:chatelet", "Châtelet", 48.8584, 2.3474)
	shop     = &world.Place{ID: "shop:fnac-forum", Name: "Fnac", Kind: world.KindShop, Point: world.Point{Lat: 48.8621, Lon: 2.3453}}
	home     = &world.Place{ID: "home:p001", Name: "Home of p001", Kind: world.KindHome, Point: world.Point{Lat: 48.8556, Lon: 2.3962}}
)

func station(id, name string, lat, lon float64) *world.Station {
	st := &world.Station{ID: id, Name: name, Point: world.Point{Lat: lat, Lon: lon}}
	st.Place = &world.Place{ID: id, Name: name, Kind: world.KindStation, Point: st.Point, Station: st, Merchant: "RATP", MCC: "4111"}
	return st
}

func person(pass string) *world.Person {
	return &world.Person{ID: "p001", Name: "Test Person", CardToken: "tok_test", PassID: pass, Home: home}
}

// city has the test lines: metro lines 1 and 2, whose gates read entries
// only, and an RER line A, whose gates also read exits.
var city = &world.City{Lines: []*world.Line{{Name: "1"}, {Name: "2"}, {Name: "A", ExitGates: true}}}

func collect(t *testing.T, plans ...*world.Plan) []event.Event {
	t.Helper()
	day := &world.Day{Index: 1, Date: date, City: city, Plans: plans}
	evs, err := producers.Collect(transit.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func idsOf(e event.Event) []event.ID { return event.IDsOf(&e) }

func TestPurchase(t *testing.T) {
	navigo := []world.Item{{Name: "Navigo Semaine", Category: "pass", PriceCents: 3160, Qty: 1}}
	tickets := []world.Item{{Name: "Ticket Métro-Train-RER", Category: "ticket", PriceCents: 250, Qty: 2}}
	tests := []struct {
		name        string
		pass        string
		purchase    world.Purchase
		wantIDs     []event.ID // nil: no event
		wantPayment string
		wantProduct string
		wantCount   int
	}{
		{
			name:        "card top-up carries pass and card",
			pass:        "NAV-1",
			purchase:    world.Purchase{Time: at(11, 0), Place: dumas.Place, Items: navigo, TotalCents: 3160, Method: "card", Pass: "NAV-1"},
			wantIDs:     []event.ID{{Kind: event.Pass, Value: "NAV-1"}, {Kind: event.Card, Value: "tok_test"}},
			wantPayment: "card", wantProduct: transit.ProductNavigoWeek, wantCount: 1,
		},
		{
			name:        "cash top-up carries the pass, no card",
			pass:        "NAV-1",
			purchase:    world.Purchase{Time: at(11, 0), Place: dumas.Place, Items: navigo, TotalCents: 3160, Method: "cash", Pass: "NAV-1"},
			wantIDs:     []event.ID{{Kind: event.Pass, Value: "NAV-1"}},
			wantPayment: "cash", wantProduct: transit.ProductNavigoWeek, wantCount: 1,
		},
		{
			name: "cash tickets carry the tickets, no card",
			purchase: world.Purchase{Time: at(11, 0), Place: dumas.Place, Items: tickets, TotalCents: 500, Method: "cash",
				Tickets: 2, TicketIDs: []string{"TKT-A", "TKT-B"}},
			wantIDs:     []event.ID{{Kind: event.Ticket, Value: "TKT-A"}, {Kind: event.Ticket, Value: "TKT-B"}},
			wantPayment: "cash", wantProduct: transit.ProductTicket, wantCount: 2,
		},
		{
			name: "card tickets carry tickets and card",
			purchase: world.Purchase{Time: at(11, 0), Place: dumas.Place, Items: tickets, TotalCents: 500, Method: "card",
				Tickets: 2, TicketIDs: []string{"TKT-A", "TKT-B"}},
			wantIDs:     []event.ID{{Kind: event.Ticket, Value: "TKT-A"}, {Kind: event.Ticket, Value: "TKT-B"}, {Kind: event.Card, Value: "tok_test"}},
			wantPayment: "card", wantProduct: transit.ProductTicket, wantCount: 2,
		},
		{
			name:     "a shop purchase is not the operator's",
			pass:     "NAV-1",
			purchase: world.Purchase{Time: at(12, 0), Place: shop, TotalCents: 1890, Method: "card"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := &world.Plan{Person: person(tt.pass), Day: 1, Purchases: []world.Purchase{tt.purchase}}
			evs := collect(t, plan)
			if tt.wantIDs == nil {
				if len(evs) != 0 {
					t.Fatalf("got %d events, want none", len(evs))
				}
				return
			}
			if len(evs) != 1 || evs[0].Kind() != transit.KindPurchase {
				t.Fatalf("got %d events (%v), want one purchase", len(evs), evs)
			}
			p := evs[0].Data.(transit.Purchase)
			if !slices.Equal(p.IDs, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", p.IDs, tt.wantIDs)
			}
			if p.Payment != tt.wantPayment || p.Product != tt.wantProduct || p.Count != tt.wantCount {
				t.Errorf("payment %q product %q count %d, want %q %q %d", p.Payment, p.Product, p.Count, tt.wantPayment, tt.wantProduct, tt.wantCount)
			}
			if p.Station != dumas.ID || p.Where.Place != dumas.ID || p.AmountCents != tt.purchase.TotalCents {
				t.Errorf("station %q where %q amount %d", p.Station, p.Where.Place, p.AmountCents)
			}
			if !evs[0].Time.Equal(tt.purchase.Time) {
				t.Errorf("time %s, want the purchase's %s", evs[0].Time, tt.purchase.Time)
			}
		})
	}
}

func TestTaps(t *testing.T) {
	twoLegs := &world.Trip{Mode: "metro", From: home, To: shop, Legs: []world.Leg{
		{Line: "2", From: dumas, To: nation, Board: at(11, 1), Alight: at(11, 6)},
		{Line: "1", From: nation, To: chatelet, Board: at(11, 10), Alight: at(11, 24)},
	}}
	ticketTrip := *twoLegs
	ticketTrip.Ticket = "TKT-A"
	rer := &world.Trip{Mode: "metro", From: home, To: shop, Legs: []world.Leg{
		{Line: "2", From: dumas, To: nation, Board: at(11, 1), Alight: at(11, 6)},
		{Line: "A", From: nation, To: chatelet, Board: at(11, 10), Alight: at(11, 24)},
	}}
	walk := &world.Trip{Mode: "walk", From: home, To: shop}
	seg := func(trip *world.Trip) world.Segment {
		return world.Segment{Start: at(10, 55), End: at(11, 30), Activity: "commute", Trip: trip}
	}
	type tap struct {
		id        event.ID
		station   string
		line      string
		direction string
	}
	tests := []struct {
		name string
		pass string
		trip *world.Trip
		want []tap
	}{
		{"metro gates read the pass on entry only, not at the change", "NAV-1", twoLegs, []tap{
			{event.ID{Kind: event.Pass, Value: "NAV-1"}, dumas.ID, "2", "in"},
		}},
		{"a ticket trip taps the ticket", "", &ticketTrip, []tap{
			{event.ID{Kind: event.Ticket, Value: "TKT-A"}, dumas.ID, "2", "in"},
		}},
		{"RER exit gates read the pass on the way out", "NAV-1", rer, []tap{
			{event.ID{Kind: event.Pass, Value: "NAV-1"}, dumas.ID, "2", "in"},
			{event.ID{Kind: event.Pass, Value: "NAV-1"}, chatelet.ID, "A", "out"},
		}},
		{"a walk taps nothing", "NAV-1", walk, nil},
		{"no pass and no ticket: nothing to read", "", twoLegs, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := &world.Plan{Person: person(tt.pass), Day: 1, Segments: []world.Segment{seg(tt.trip)}}
			evs := collect(t, plan)
			var got []tap
			for _, e := range evs {
				d := e.Data.(transit.Tap)
				got = append(got, tap{d.IDs[0], d.Station, d.Line, d.Direction})
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("taps = %v, want %v", got, tt.want)
			}
			if len(evs) > 0 {
				if in := evs[0].Time; !in.Equal(tt.trip.Legs[0].Board) {
					t.Errorf("tap in at %s, want boarding time %s", in, tt.trip.Legs[0].Board)
				}
			}
			if len(evs) == 2 {
				if out := evs[1].Time; out.Before(tt.trip.Legs[1].Alight) || out.After(at(11, 30)) {
					t.Errorf("tap out at %s, want between alighting %s and the trip's end", out, tt.trip.Legs[1].Alight)
				}
			}
		})
	}
}

// TestTapsOnEntry checks, over generated days, that every metro trip of
// the people in the city leaves one tap-in at its first station, at
// boarding, and a tap-out only where the last line's gates read exits.
func TestTapsOnEntry(t *testing.T) {
	for _, i := range producertest.Days {
		day := producertest.Day(t, i)
		evs, err := producers.Collect(transit.New(), producertest.Seed, day)
		if err != nil {
			t.Fatal(err)
		}
		type key struct {
			station string
			at      int64 // unix ns: time.Time's location must not split keys
		}
		ins := map[key]int{}
		outs := 0
		for _, e := range evs {
			d, ok := e.Data.(transit.Tap)
			if !ok {
				continue
			}
			if d.Direction == transit.DirectionOut {
				outs++
				continue
			}
			ins[key{d.Station, e.Time.UnixNano()}]++
		}
		trips, wantOuts := 0, 0
		for _, p := range day.Present() {
			for _, s := range p.Segments {
				if s.Trip == nil || len(s.Trip.Legs) == 0 || (s.Trip.Ticket == "" && p.Person.PassID == "") {
					continue
				}
				trips++
				legs := s.Trip.Legs
				k := key{legs[0].From.ID, legs[0].Board.UnixNano()}
				if ins[k] == 0 {
					t.Errorf("day %d, %s: no tap-in at %s at %s", i, p.Person.ID, k.station, legs[0].Board)
				}
				ins[k]--
				if l := day.City.Line(legs[len(legs)-1].Line); l != nil && l.ExitGates {
					wantOuts++
				}
			}
		}
		if trips == 0 {
			t.Fatalf("day %d: no metro trip in the generated world: the test proves nothing", i)
		}
		for k, n := range ins {
			if n != 0 {
				t.Errorf("day %d: %d tap-ins at %s at %s that no trip explains", i, n, k.station, time.Unix(0, k.at))
			}
		}
		if outs != wantOuts {
			t.Errorf("day %d: %d tap-outs, want %d (trips ending on a line with exit gates)", i, outs, wantOuts)
		}
	}
}

// TestHeroLateMorning checks the seed's late morning: she tops her pass up
// with her bank card at the ticket machine, then taps in; her metro's exit
// turnstiles read nothing.
func TestHeroLateMorning(t *testing.T) {
	day := producertest.Day(t, 1)
	m := day.Moment(world.MomentLateMorning)
	if m == nil {
		t.Fatal("day 1 has no late-morning moment")
	}
	hero := day.Plan(world.HeroID).Person
	pass := event.ID{Kind: event.Pass, Value: hero.PassID}
	card := event.ID{Kind: event.Card, Value: hero.CardToken}
	evs, err := producers.Collect(transit.New(), producertest.Seed, day)
	if err != nil {
		t.Fatal(err)
	}
	var purchase, tapIn, tapOut bool
	for _, e := range evs {
		ids := idsOf(e)
		if !slices.Contains(ids, pass) {
			continue
		}
		inMoment := !e.Time.Before(m.Start) && e.Time.Before(m.End)
		switch d := e.Data.(type) {
		case transit.Purchase:
			if inMoment && slices.Contains(ids, card) && d.Payment == "card" {
				purchase = true
			}
		case transit.Tap:
			if inMoment && d.Direction == transit.DirectionIn {
				tapIn = true
			}
			if d.Direction == transit.DirectionOut {
				tapOut = true
			}
		}
	}
	if !purchase {
		t.Errorf("no ticket-machine purchase with her pass and card in the late morning [%s, %s)", m.Start, m.End)
	}
	if !tapIn || tapOut {
		t.Errorf("tap in during the late morning: %v, want true; tap out of the metro all day: %v, want false", tapIn, tapOut)
	}
}

// TestCashPayers: when everybody pays cash, ticket machines still sell, but
// no sale carries a card.
func TestCashPayers(t *testing.T) {
	cash := func(p *world.Privacy) { p.PaysCash = true }
	sales := 0
	for _, i := range producertest.Days {
		evs, err := producers.Collect(transit.New(), producertest.Seed, producertest.DayWith(t, i, cash))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			d, ok := e.Data.(transit.Purchase)
			if !ok {
				continue
			}
			sales++
			if d.Payment != "cash" {
				t.Errorf("day %d: payment %q, want cash", i, d.Payment)
			}
			for _, id := range d.IDs {
				if id.Kind == event.Card {
					t.Errorf("day %d: a cash sale carries card %s", i, id.Value)
				}
			}
		}
	}
	if sales == 0 {
		t.Fatal("no ticket-machine sale at all: the test proves nothing")
	}
}

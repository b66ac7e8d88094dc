package loyalty_test

import (
	"slices"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/producers/loyalty"
	"exhaust/producers/producertest"
	"exhaust/world"
)

var date = time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())

var (
	fnac = &world.Place{ID: world.FnacID, Name: "Fnac", Kind: world.KindShop,
		Point: world.Point{Lat: 48.8621, Lon: 2.3453}, MCC: "5942", Chain: "fnac"}
	starbucks = &world.Place{ID: world.StarbucksID, Name: "Starbucks", Kind: world.KindCafe,
		Point: world.Point{Lat: 48.8626, Lon: 2.3484}, MCC: "5814", Chain: "starbucks"}
)

func collect(t *testing.T, day *world.Day) []event.Event {
	t.Helper()
	evs, err := producers.Collect(loyalty.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func member() *world.Person {
	return &world.Person{ID: "p001", Name: "Test Person", Email: "test.person@example.net",
		Loyalty: map[string]string{"starbucks": "SBX-1", "fnac": "FNAC-1"}}
}

func kinds(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind())
	}
	return out
}

func TestBasket(t *testing.T) {
	book := world.Item{Name: "Tout le monde ment", Category: "book", Genre: "essay", PriceCents: 1890, Qty: 1}
	drink := world.Item{Name: "caramel macchiato", Category: "drink", PriceCents: 520, Qty: 1}
	yes, no := true, false
	tests := []struct {
		name       string
		purchase   world.Purchase
		want       bool
		wantOwnCup *bool
	}{
		{"book with the card", world.Purchase{Place: fnac, Items: []world.Item{book}, TotalCents: 1890, Method: "card", Loyalty: "FNAC-1"}, true, nil},
		{"card not shown: no basket", world.Purchase{Place: fnac, Items: []world.Item{book}, TotalCents: 1890, Method: "card"}, false, nil},
		{"paid cash, card shown: the till still sees it", world.Purchase{Place: fnac, Items: []world.Item{book}, TotalCents: 1890, Method: "cash", Loyalty: "FNAC-1"}, true, nil},
		{"café with own cup", world.Purchase{Place: starbucks, Items: []world.Item{drink}, TotalCents: 520, Method: "card", Loyalty: "SBX-1", OwnCup: true}, true, &yes},
		{"café without own cup says so", world.Purchase{Place: starbucks, Items: []world.Item{drink}, TotalCents: 520, Method: "card", Loyalty: "SBX-1"}, true, &no},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.purchase.Time = date.Add(12 * time.Hour)
			day := &world.Day{Index: 2, Date: date.AddDate(0, 0, 1), City: &world.City{},
				Plans: []*world.Plan{{Person: member(), Day: 2, Purchases: []world.Purchase{tt.purchase}}}}
			evs := collect(t, day)
			if !tt.want {
				if len(evs) != 0 {
					t.Fatalf("got %v, want nothing", kinds(evs))
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("got %v, want one basket", kinds(evs))
			}
			b := evs[0].Data.(loyalty.Basket)
			if b.IDs[0] != (event.ID{Kind: event.Loyalty, Value: tt.purchase.Loyalty}) || len(b.IDs) != 1 {
				t.Errorf("ids = %v", b.IDs)
			}
			if b.Chain != tt.purchase.Place.Chain || b.Store != tt.purchase.Place.ID || b.TotalCents != tt.purchase.TotalCents {
				t.Errorf("chain %q store %q total %d", b.Chain, b.Store, b.TotalCents)
			}
			if len(b.Items) != len(tt.purchase.Items) || b.Items[0].Name != tt.purchase.Items[0].Name || b.Items[0].Genre != tt.purchase.Items[0].Genre {
				t.Errorf("items = %+v", b.Items)
			}
			switch {
			case (b.OwnCup == nil) != (tt.wantOwnCup == nil):
				t.Errorf("own_cup present: %v, want %v", b.OwnCup != nil, tt.wantOwnCup != nil)
			case b.OwnCup != nil && *b.OwnCup != *tt.wantOwnCup:
				t.Errorf("own_cup = %v, want %v", *b.OwnCup, *tt.wantOwnCup)
			}
		})
	}
}

func TestRegistration(t *testing.T) {
	tests := []struct {
		name      string
		index     int
		loyalty   map[string]string
		wantChain []string
	}{
		{"day 1 exports every scheme, in chain order", 1, nil, []string{"fnac", "starbucks"}},
		{"later days export nothing", 2, nil, nil},
		{"no account, no record", 1, map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := member()
			if tt.loyalty != nil {
				p.Loyalty = tt.loyalty
			}
			day := &world.Day{Index: tt.index, Date: date.AddDate(0, 0, tt.index-1), City: &world.City{},
				Plans: []*world.Plan{{Person: p, Day: tt.index}}}
			var chains []string
			for _, e := range collect(t, day) {
				r := e.Data.(loyalty.Registration)
				chains = append(chains, r.Chain)
				if r.Name != p.Name || r.Email != p.Email {
					t.Errorf("name %q email %q", r.Name, r.Email)
				}
				want := []event.ID{{Kind: event.Loyalty, Value: p.Loyalty[r.Chain]}, {Kind: event.Email, Value: p.Email}}
				if !slices.Equal(r.IDs, want) {
					t.Errorf("ids = %v, want %v", r.IDs, want)
				}
				reg, err := time.Parse(time.DateOnly, r.Registered)
				if err != nil || !reg.Before(day.Date) {
					t.Errorf("registered %q: want a date before the export (%v)", r.Registered, err)
				}
				if e.Time.Before(day.Date) || e.Time.After(day.Date.Add(6*time.Hour)) {
					t.Errorf("exported at %s, want early morning", e.Time)
				}
			}
			if !slices.Equal(chains, tt.wantChain) {
				t.Errorf("registrations for %v, want %v", chains, tt.wantChain)
			}
		})
	}
}

func TestPoints(t *testing.T) {
	tests := []struct {
		chain string
		cents int
		want  int
	}{
		{"fnac", 5370, 53},
		{"starbucks", 860, 16},
		{"unknown", 999, 9},
		{"fnac", 99, 0},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			if got := loyalty.Points(tt.chain, tt.cents); got != tt.want {
				t.Errorf("Points(%q, %d) = %d, want %d", tt.chain, tt.cents, got, tt.want)
			}
		})
	}
}

// TestNoLoyaltyCard: with nobody showing a loyalty card, no basket reaches
// the schemes, but the hero's records are still exported on day 1: the
// scheme still knows its members.
func TestNoLoyaltyCard(t *testing.T) {
	off := func(p *world.Privacy) { p.UsesLoyaltyCard = false }
	day := producertest.DayWith(t, 1, off)
	hero := day.Plan(world.HeroID).Person
	var regs []string
	for _, e := range collect(t, day) {
		switch d := e.Data.(type) {
		case loyalty.Basket:
			t.Errorf("basket %+v although nobody shows a card", d)
		case loyalty.Registration:
			if d.Email == hero.Email {
				regs = append(regs, d.Chain)
			}
		}
	}
	if want := []string{"fnac", "starbucks"}; !slices.Equal(regs, want) {
		t.Errorf("hero's registrations: %v, want %v", regs, want)
	}
}

// TestHeroBaskets checks the seed's Fnac and Starbucks moments.
func TestHeroBaskets(t *testing.T) {
	day := producertest.Day(t, 1)
	hero := day.Plan(world.HeroID).Person
	evs := collect(t, day)
	basketIn := func(t *testing.T, moment, store string) *loyalty.Basket {
		t.Helper()
		m := day.Moment(moment)
		if m == nil {
			t.Fatalf("no %q moment", moment)
		}
		for _, e := range evs {
			if b, ok := e.Data.(loyalty.Basket); ok && b.Store == store && !e.Time.Before(m.Start) && e.Time.Before(m.End) &&
				b.IDs[0].Value == hero.Loyalty[b.Chain] {
				return &b
			}
		}
		t.Fatalf("no basket of hers at %s during %q", store, moment)
		return nil
	}
	t.Run("fnac", func(t *testing.T) {
		b := basketIn(t, world.MomentFnac, world.FnacID)
		books := 0
		for _, it := range b.Items {
			if it.Category != "book" {
				continue
			}
			books++
			if !slices.Contains(hero.Habits.BookGenres, it.Genre) {
				t.Errorf("book %q of genre %q, not one of her genres %v", it.Name, it.Genre, hero.Habits.BookGenres)
			}
		}
		if books == 0 {
			t.Errorf("no book in her Fnac basket: %+v", b.Items)
		}
	})
	t.Run("starbucks", func(t *testing.T) {
		b := basketIn(t, world.MomentStarbucks, world.StarbucksID)
		if b.OwnCup == nil || !*b.OwnCup {
			t.Errorf("own_cup = %v, want true", b.OwnCup)
		}
	})
}

// TestScanBeforeOrAfterPaying: the till scans the loyalty card some seconds
// before the card payment (at the purchase's time), now and then after it,
// never at the same second.
func TestScanBeforeOrAfterPaying(t *testing.T) {
	drink := world.Item{Name: "caramel macchiato", Category: "drink", PriceCents: 520, Qty: 1}
	paid := date.Add(12 * time.Hour)
	var purchases []world.Purchase
	for i := range 200 {
		purchases = append(purchases, world.Purchase{Time: paid.Add(time.Duration(i) * 10 * time.Minute), Place: starbucks,
			Items: []world.Item{drink}, TotalCents: 520, Method: "card", Loyalty: "SBX-1"})
	}
	day := &world.Day{Index: 2, Date: date.AddDate(0, 0, 1), City: &world.City{},
		Plans: []*world.Plan{{Person: member(), Day: 2, Purchases: purchases}}}
	evs := collect(t, day)
	if len(evs) != len(purchases) {
		t.Fatalf("%d baskets for %d purchases", len(evs), len(purchases))
	}
	before, after := 0, 0
	for _, e := range evs {
		// Each purchase is ten minutes from the next: the nearest is its own.
		var gap time.Duration
		for i, pu := range purchases {
			if g := e.Time.Sub(pu.Time); i == 0 || g.Abs() < gap.Abs() {
				gap = g
			}
		}
		switch {
		case gap <= -10*time.Second && gap >= -90*time.Second:
			before++
		case gap >= 10*time.Second && gap <= 60*time.Second:
			after++
		default:
			t.Errorf("basket %s from its payment, want 10–90 s before or 10–60 s after", gap)
		}
	}
	if before < len(evs)/2 || after == 0 {
		t.Errorf("%d scans before paying, %d after: want most before, some after", before, after)
	}
}

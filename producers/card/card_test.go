package card_test

import (
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/producers/card"
	"exhaust/producers/producertest"
	"exhaust/world"
)

var date = time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())

var fnac = &world.Place{ID: world.FnacID, Name: "Fnac Forum des Halles", Kind: world.KindShop,
	Point: world.Point{Lat: 48.8621, Lon: 2.3453}, Merchant: "FNAC FORUM DES HALLES", MCC: "5942", Chain: "fnac"}

func collect(t *testing.T, day *world.Day) []event.Event {
	t.Helper()
	evs, err := producers.Collect(card.New(), 1, day)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestPayment(t *testing.T) {
	noMerchantName := *fnac
	noMerchantName.Merchant = ""
	tests := []struct {
		name         string
		place        *world.Place
		method       string
		want         bool
		wantMerchant string
	}{
		{"card payment", fnac, "card", true, "FNAC FORUM DES HALLES"},
		{"cash leaves no trace at the bank", fnac, "cash", false, ""},
		{"merchant without a statement name shows its name", &noMerchantName, "card", true, "Fnac Forum des Halles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pu := world.Purchase{Time: date.Add(12*time.Hour + 18*time.Minute), Place: tt.place, TotalCents: 5370, Method: tt.method}
			p := &world.Person{ID: "p001", CardToken: "tok_test", Privacy: world.Privacy{PaysCash: tt.method == "cash"}}
			day := &world.Day{Index: 1, Date: date, City: &world.City{}, Plans: []*world.Plan{{Person: p, Day: 1, Purchases: []world.Purchase{pu}}}}
			evs := collect(t, day)
			if !tt.want {
				if len(evs) != 0 {
					t.Fatalf("got %d events, want none", len(evs))
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("got %d events, want 1", len(evs))
			}
			d := evs[0].Data.(card.Payment)
			want := card.Payment{
				Common: event.Common{
					IDs:   []event.ID{{Kind: event.Card, Value: "tok_test"}},
					Where: &event.Where{Place: world.FnacID, Lat: 48.8621, Lon: 2.3453, AccuracyM: 20},
				},
				Merchant: tt.wantMerchant, MCC: "5942", Category: "books", AmountCents: 5370,
				Currency: "EUR", Terminal: card.Terminal(world.FnacID),
			}
			if d.Merchant != want.Merchant || d.MCC != want.MCC || d.Category != want.Category ||
				d.AmountCents != want.AmountCents || d.Currency != want.Currency || d.Terminal != want.Terminal ||
				len(d.IDs) != 1 || d.IDs[0] != want.IDs[0] || *d.Where != *want.Where {
				t.Errorf("payment = %+v (where %+v), want %+v (where %+v)", d, d.Where, want, want.Where)
			}
			if !evs[0].Time.Equal(pu.Time) {
				t.Errorf("time %s, want %s", evs[0].Time, pu.Time)
			}
		})
	}
}

func TestCategory(t *testing.T) {
	tests := []struct{ mcc, want string }{
		{"5942", "books"},
		{"5814", "fast_food"},
		{"4111", "transit"},
		{"5812", "restaurant"},
		{"9999", card.OtherCategory},
		{"", card.OtherCategory},
	}
	for _, tt := range tests {
		t.Run(tt.mcc, func(t *testing.T) {
			if got := card.Category(tt.mcc); got != tt.want {
				t.Errorf("Category(%q) = %q, want %q", tt.mcc, got, tt.want)
			}
		})
	}
}

// TestEveryCityMCC checks that every merchant of the generated city has a
// category: "other" would hide what the bank really learns.
func TestEveryCityMCC(t *testing.T) {
	for _, pl := range producertest.Day(t, 1).City.Places {
		if pl.MCC != "" && card.Category(pl.MCC) == card.OtherCategory {
			t.Errorf("%s: MCC %s has no category", pl.ID, pl.MCC)
		}
	}
}

func TestTerminal(t *testing.T) {
	a, b := card.Terminal(world.FnacID), card.Terminal(world.StarbucksID)
	if a != card.Terminal(world.FnacID) {
		t.Error("terminal ids are not stable")
	}
	if a == b {
		t.Errorf("two places share terminal %s", a)
	}
}

// TestHeroPayments checks the seed's Fnac and Starbucks moments: each has a
// payment with her card at the right shop.
func TestHeroPayments(t *testing.T) {
	day := producertest.Day(t, 1)
	hero := day.Plan(world.HeroID).Person
	evs := collect(t, day)
	tests := []struct {
		moment, place, category string
	}{
		{world.MomentFnac, world.FnacID, "books"},
		{world.MomentStarbucks, world.StarbucksID, "fast_food"},
	}
	for _, tt := range tests {
		t.Run(tt.moment, func(t *testing.T) {
			m := day.Moment(tt.moment)
			if m == nil {
				t.Fatalf("no %q moment", tt.moment)
			}
			for _, e := range evs {
				d := e.Data.(card.Payment)
				if d.IDs[0].Value == hero.CardToken && d.Where.Place == tt.place && d.Category == tt.category &&
					!e.Time.Before(m.Start) && e.Time.Before(m.End) {
					return
				}
			}
			t.Errorf("no payment with her card at %s during %q [%s, %s)", tt.place, tt.moment, m.Start, m.End)
		})
	}
}

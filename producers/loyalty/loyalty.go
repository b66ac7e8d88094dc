package loyalty

import (
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// Name is the producer's name: subjects are exhaust.loyalty.<kind>.
const Name = "loyalty"

// The loyalty schemes' event kinds.
const (
	KindBasket       = "basket"
	KindRegistration = "registration"
)

// storeAccuracyM is how precisely a basket is placed: at the store's address.
const storeAccuracyM = 20

// exportHour is when the schemes' nightly CRM export runs (local time).
const exportHour = 4

// When the till scans the loyalty card, against the card payment (the
// purchase's time in the world, when the bank authorises it). The cashier
// scans the card before totalling, so points and member prices apply, and
// the customer pays after: at a French till that is a total read out,
// the card inserted or tapped, maybe a PIN, the receipt, some 10 to 90
// seconds (our estimate from the steps at a staffed till). Now and then the
// card comes out after paying and the till adds it to the closed ticket,
// 10 to 60 seconds later.
const (
	scanBeforeMin = 10 * time.Second
	scanBeforeMax = 90 * time.Second
	scanAfterMin  = 10 * time.Second
	scanAfterMax  = 60 * time.Second
	// scanAfterShare is the share of purchases whose card is scanned after
	// paying: one in five, our assumption.
	scanAfterShare = 0.2
)

// Item is one line of a basket.
type Item struct {
	Name       string `json:"name"`
	Category   string `json:"category"`
	Genre      string `json:"genre,omitempty"`
	PriceCents int    `json:"price_cents"`
	Qty        int    `json:"qty"`
}

// Basket is the data of a loyalty.basket event: the till's record of a
// purchase made with a loyalty card.
type Basket struct {
	event.Common
	Chain      string `json:"chain"`
	Store      string `json:"store"`
	Items      []Item `json:"items"`
	TotalCents int    `json:"total_cents"`
	Points     int    `json:"points"`
	// OwnCup is reported by café chains only (nil elsewhere): they reward
	// customers who bring their own cup.
	OwnCup *bool `json:"own_cup,omitempty"`
}

// Registration is the data of a loyalty.registration event: the scheme's
// customer record, as the customer filled it in when joining.
type Registration struct {
	event.Common
	Chain      string `json:"chain"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Registered string `json:"registered"` // date, YYYY-MM-DD
}

//go:embed schemas/*.json
var schemas embed.FS

func schema(kind string) []byte { return producers.SchemaFS(schemas, kind) }

// Loyalty is the shops' loyalty schemes.
type Loyalty struct{}

var _ producers.Producer = (*Loyalty)(nil)

func init() { producers.Register(New()) }

// New returns the loyalty producer.
func New() *Loyalty { return &Loyalty{} }

// Spec describes the loyalty producer.
func (*Loyalty) Spec() producers.Spec {
	return producers.Spec{
		Name:    Name,
		Summary: "The shops' loyalty schemes: itemised baskets of purchases made with a loyalty card, and the members' records.",
		Kinds: []producers.KindSpec{
			{
				Name:    KindBasket,
				Summary: "A purchase made with a loyalty card: store, items, total, points earned.",
				Reveals: "Tastes (book genres, café orders, own cup or not) and purchase rhythm; same store and amount as a card payment, within a minute or two, so the loyalty account links to the card.",
				IDKinds: []event.IDKind{event.Loyalty},
				Schema:  schema(KindBasket),
				Means: []meaning.Meaning{meaning.Basket{Of: event.Loyalty,
					Chain: "chain", Store: "store", Total: "total_cents", Items: "items",
					ItemName: "name", ItemCategory: "category", ItemGenre: "genre", ItemQty: "qty",
					DrinkCategory: "drink", Reusable: "own_cup"}},
			},
			{
				Name:    KindRegistration,
				Summary: "A member's record in a scheme's nightly CRM export (once per member, on their first day in the city): name, e-mail, date joined.",
				Reveals: "The real name and e-mail behind a loyalty account: whatever links to that account is no longer anonymous.",
				IDKinds: []event.IDKind{event.Loyalty, event.Email},
				Schema:  schema(KindRegistration),
				Means: []meaning.Meaning{meaning.Registration{Of: event.Loyalty, Fallback: event.Email,
					Chain: "chain", Name: "name", Email: "email", Registered: "registered"}},
			},
		},
		Privacy: []producers.PrivacyRule{{
			Setting:    "no loyalty card at the till",
			Apply:      func(p *world.Privacy) { p.UsesLoyaltyCard = false },
			Suppresses: []string{KindBasket},
		}},
	}
}

// Observe emits the members' registrations (residents on day 1, visitors
// on the day they arrive), then every basket of the day. The export covers
// the whole population, so a day observed in parts (world.World.Part) has
// it in its first part, before any basket, as a whole day has.
func (*Loyalty) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	if day.From == 0 {
		registrations(day, emit)
	}
	for _, plan := range day.Present() {
		for _, pu := range plan.Purchases {
			// The till sees the card that is shown, nothing else: no card
			// shown, no basket.
			if pu.Loyalty == "" || pu.Place == nil {
				continue
			}
			emit.Emit(KindBasket, scanTime(rng, pu.Time), basket(pu))
		}
	}
	return nil
}

// scanTime is when the till scanned the loyalty card of a purchase paid at
// paid (see scanBeforeMin).
func scanTime(rng *rand.Rand, paid time.Time) time.Time {
	lo, hi, sign := scanBeforeMin, scanBeforeMax, -1
	if rng.Float64() < scanAfterShare {
		lo, hi, sign = scanAfterMin, scanAfterMax, 1
	}
	d := lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Second)+1))*time.Second
	return paid.Add(time.Duration(sign) * d)
}

func basket(pu world.Purchase) Basket {
	b := Basket{
		Common: event.Common{
			IDs: []event.ID{{Kind: event.Loyalty, Value: pu.Loyalty}},
			Where: &event.Where{
				Place: pu.Place.ID, Lat: pu.Place.Point.Lat, Lon: pu.Place.Point.Lon,
				AccuracyM: storeAccuracyM,
			},
		},
		Chain:      pu.Place.Chain,
		Store:      pu.Place.ID,
		Items:      make([]Item, 0, len(pu.Items)),
		TotalCents: pu.TotalCents,
		Points:     Points(pu.Place.Chain, pu.TotalCents),
	}
	for _, it := range pu.Items {
		b.Items = append(b.Items, Item{
			Name: it.Name, Category: it.Category, Genre: it.Genre,
			PriceCents: it.PriceCents, Qty: it.Qty,
		})
	}
	if pu.Place.Kind == world.KindCafe {
		own := pu.OwnCup
		b.OwnCup = &own
	}
	return b
}

// registrations emits the CRM export: one record per member and scheme,
// whether or not they show the card these days (the scheme still knows
// them). Each member's records go out once, on the first day the member is
// in the city: day 1 for residents, the day of arrival for visitors, so
// nothing is emitted about someone who is not there.
func registrations(day *world.Day, emit producers.Emitter) {
	at := day.Date.Add(exportHour * time.Hour)
	for _, p := range day.Everyone() {
		if !p.InCity(day.Index) {
			continue
		}
		if first := max(p.Arrive, 1); day.Index != first {
			continue
		}
		chains := make([]string, 0, len(p.Loyalty))
		for c := range p.Loyalty {
			chains = append(chains, c)
		}
		slices.Sort(chains) // map order must not reach the output
		for _, c := range chains {
			account := p.Loyalty[c]
			emit.Emit(KindRegistration, at, Registration{
				Common: event.Common{IDs: []event.ID{
					{Kind: event.Loyalty, Value: account},
					{Kind: event.Email, Value: p.Email},
				}},
				Chain:      c,
				Name:       p.Name,
				Email:      p.Email,
				Registered: registered(account, day.Date).Format(time.DateOnly),
			})
		}
	}
}

// registered returns the day an account was opened: between 30 days and
// about eight years before the export, fixed per account so every run
// agrees.
func registered(account string, export time.Time) time.Time {
	h := sha256.Sum256([]byte("registered/" + account))
	days := 30 + int(binary.BigEndian.Uint32(h[:4])%(8*365))
	return export.AddDate(0, 0, -days)
}

// pointsPerEuro is how generous each scheme is; unknown chains give one
// point per euro.
var pointsPerEuro = map[string]int{
	"fnac":      1,
	"starbucks": 2,
	"marche":    1,
}

// Points returns the points a basket of totalCents earns in a chain's
// scheme: whole euros times the scheme's rate.
func Points(chain string, totalCents int) int {
	rate, ok := pointsPerEuro[chain]
	if !ok {
		rate = 1
	}
	return totalCents / 100 * rate
}

package card

import (
	"crypto/sha256"
	_ "embed"
	"fmt"
	"math/rand/v2"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

// Name is the producer's name: subjects are exhaust.card.<kind>.
const Name = "card"

// KindPayment is the kind of a card payment event.
const KindPayment = "payment"

// Currency is the currency of every payment: the city is in the euro zone.
const Currency = "EUR"

// merchantAccuracyM is how precisely the bank places a payment: at the
// address the merchant registered its terminal with.
const merchantAccuracyM = 20

// Payment is the data of a card.payment event: the authorisation record the
// bank keeps.
type Payment struct {
	event.Common
	Merchant    string `json:"merchant"`
	MCC         string `json:"mcc"`
	Category    string `json:"category"`
	AmountCents int    `json:"amount_cents"`
	Currency    string `json:"currency"`
	Terminal    string `json:"terminal"`
}

//go:embed schemas/payment.json
var paymentSchema []byte

// Card is the bank and card network.
type Card struct{}

var _ producers.Producer = (*Card)(nil)

func init() { producers.Register(New()) }

// New returns the card producer.
func New() *Card { return &Card{} }

// Spec describes the card producer.
func (*Card) Spec() producers.Spec {
	return producers.Spec{
		Name:    Name,
		Summary: "The bank and card network: every card payment, with merchant, category, amount and terminal.",
		Kinds: []producers.KindSpec{{
			Name:    KindPayment,
			Summary: "A card payment was authorised at a merchant's terminal.",
			Reveals: "Where and when the cardholder was, what kind of shop, how much they spent; a ticket-machine payment ties the card to a transit pass, a till payment to a loyalty basket.",
			IDKinds: []event.IDKind{event.Card},
			Schema:  paymentSchema,
			Means: []meaning.Meaning{meaning.Payment{Of: event.Card,
				Amount: "amount_cents", Merchant: "merchant", Category: "category", Code: "mcc"}},
		}},
		Privacy: []producers.PrivacyRule{{
			Setting:    "pays cash",
			Apply:      func(p *world.Privacy) { p.PaysCash = true },
			Suppresses: []string{KindPayment},
		}},
	}
}

// Observe emits one payment per card purchase of the day.
func (*Card) Observe(day *world.Day, _ *rand.Rand, emit producers.Emitter) error {
	for _, plan := range day.Present() {
		person := plan.Person
		for _, pu := range plan.Purchases {
			// The bank sees the card, not the person: cash leaves no trace
			// here. (A cash payer's purchases come with Method "cash".)
			if pu.Method != "card" || pu.Place == nil || person.CardToken == "" {
				continue
			}
			merchant := pu.Place.Merchant
			if merchant == "" {
				merchant = pu.Place.Name
			}
			emit.Emit(KindPayment, pu.Time, Payment{
				Common: event.Common{
					IDs: []event.ID{{Kind: event.Card, Value: person.CardToken}},
					Where: &event.Where{
						Place: pu.Place.ID, Lat: pu.Place.Point.Lat, Lon: pu.Place.Point.Lon,
						AccuracyM: merchantAccuracyM,
					},
				},
				Merchant:    merchant,
				MCC:         pu.Place.MCC,
				Category:    Category(pu.Place.MCC),
				AmountCents: pu.TotalCents,
				Currency:    Currency,
				Terminal:    Terminal(pu.Place.ID),
			})
		}
	}
	return nil
}

// Terminal returns the payment terminal id of a place. It is stable, so
// every payment at a shop names the same terminal, as on a real statement.
func Terminal(placeID string) string {
	h := sha256.Sum256([]byte("terminal/" + placeID))
	return fmt.Sprintf("TRM-%X", h[:4])
}

// categories maps ISO 18245 merchant category codes to the readable
// category a bank statement shows.
var categories = map[string]string{
	"4111": "transit",
	"5411": "groceries",
	"5651": "clothing",
	"5661": "shoes",
	"5732": "electronics",
	"5812": "restaurant",
	"5814": "fast_food",
	"5912": "pharmacy",
	"5942": "books",
	"5462": "bakery",
	"5813": "bar",
	"7011": "hotel",
	"7832": "cinema",
	"7991": "attractions",
	"7997": "sports_club",
}

// OtherCategory is the category of a merchant code the bank does not map.
const OtherCategory = "other"

// Category returns the readable category of a merchant category code, or
// OtherCategory.
func Category(mcc string) string {
	if c, ok := categories[mcc]; ok {
		return c
	}
	return OtherCategory
}

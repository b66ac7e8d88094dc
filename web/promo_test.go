package web

import (
	"encoding/json"
	"strings"
	"testing"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/event"
	"exhaust/world"
)

// Over the hero's Sunday, the shops of the mall push promotions: Starbucks
// (she is at the café, and the beast knows her order) and the Fnac (her
// book genres, or her searches for books), by SMS to the number the beast
// linked to her profile; outside exhaust.>, without her true identity.
func TestShopsPushPromotions(t *testing.T) {
	r := newRun(t, 1, true, 1)
	_ = r.page.Close() // no worker: promotions are decided here, once the day is over
	r.play(t)
	r.page.session.promote(r.promos.publish)

	hero := r.world.Person(world.HeroID)
	r.promos.mu.Lock()
	defer r.promos.mu.Unlock()
	chains := map[string]Promo{}
	for i, subject := range r.promos.subjects {
		if !strings.HasPrefix(subject, PromoSubjectPrefix) || strings.HasPrefix(subject, event.SubjectRoot+".") {
			t.Errorf("promotion published on %q, want %s<chain>, outside exhaust.>", subject, PromoSubjectPrefix)
		}
		raw := string(r.promos.payloads[i])
		if strings.Contains(raw, `"person"`) {
			t.Errorf("the published promotion names its person: %s", raw)
		}
		var p Promo
		if err := json.Unmarshal(r.promos.payloads[i], &p); err != nil {
			t.Fatalf("promotion %d: %v", i, err)
		}
		if subject != PromoSubjectPrefix+p.Chain {
			t.Errorf("promotion of %s published on %s", p.Chain, subject)
		}
		if p.To == (event.ID{Kind: event.MSISDN, Value: hero.Phone.MSISDN}) {
			chains[p.Chain] = p
		}
	}
	sb, ok := chains["starbucks"]
	if !ok {
		t.Fatalf("no Starbucks promotion reached the hero's number; published %v", r.promos.subjects)
	}
	if sb.Channel != "sms" || sb.Offer != "coffee" || sb.Detail != hero.Habits.CafeOrder || sb.DistanceM > promoRadiusM {
		t.Errorf("Starbucks promotion %+v, want an SMS about her %s within %d m", sb, hero.Habits.CafeOrder, promoRadiusM)
	}
	if !strings.Contains(sb.TextFR, hero.Habits.CafeOrder) || sb.Text == "" {
		t.Errorf("texts %q / %q", sb.Text, sb.TextFR)
	}
	if fn, ok := chains["fnac"]; !ok || fn.Offer != "books" {
		t.Errorf("Fnac promotion %+v (found %v), want one about books", fn, ok)
	}
	// A shop sends one a day to a profile and to a contact; the page labels
	// each with who really got it.
	seen, persons := map[string]int{}, map[string]int{}
	for _, p := range r.page.session.read(world.HeroID, 0, 0).promos {
		seen[p.Chain+"/profile/"+p.Profile]++
		seen[p.Chain+"/to/"+idString(p.To)]++
		persons[p.Chain+"/"+p.Person]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s got %d promotions, want one a day", k, n)
		}
	}
	if persons["starbucks/hero"] != 1 {
		t.Errorf("the page's promotions %v lack the hero's Starbucks one", persons)
	}
}

func TestOfferFor(t *testing.T) {
	interests := func(genres []string, topics []string) facts.Fact {
		v := facts.InterestsValue{}
		for _, g := range genres {
			v.BookGenres = append(v.BookGenres, facts.Count{Name: g, Count: 1})
		}
		for _, s := range topics {
			v.SearchTopics = append(v.SearchTopics, facts.Count{Name: s, Count: 1})
		}
		return facts.Fact{Name: facts.FactInterests, Value: v}
	}
	cafe := facts.Fact{Name: facts.FactCafe, Value: facts.CafeValue{Visits: 2, Order: "latte"}}
	shopping := facts.Fact{Name: facts.FactShopping, Value: facts.ShoppingValue{Chains: []facts.ChainValue{{Chain: "fnac"}}}}
	tests := []struct {
		name, chain   string
		facts         []facts.Fact
		offer, detail string
		ok            bool
	}{
		{"book genre", "fnac", []facts.Fact{interests([]string{"crime"}, nil)}, "books", "crime", true},
		{"book search", "fnac", []facts.Fact{interests(nil, []string{"football", "livres essais"})}, "books", "livres essais", true},
		{"no bookish search", "fnac", []facts.Fact{interests(nil, []string{"football"})}, "", "", false},
		{"fnac member", "fnac", []facts.Fact{shopping}, "books", "", true},
		{"café habit", "starbucks", []facts.Fact{cafe}, "coffee", "latte", true},
		{"no café habit", "starbucks", []facts.Fact{interests([]string{"crime"}, nil)}, "", "", false},
		{"no such chain", "marche", []facts.Fact{cafe, shopping}, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offer, detail, _, ok := offerFor(tc.chain, tc.facts)
			if offer != tc.offer || detail != tc.detail || ok != tc.ok {
				t.Errorf("offerFor = %q, %q, %v; want %q, %q, %v", offer, detail, ok, tc.offer, tc.detail, tc.ok)
			}
		})
	}
}

func TestContactOf(t *testing.T) {
	id := func(k event.IDKind, v string) aggregator.Identifier { return aggregator.Identifier{Kind: k, Value: v} }
	tests := []struct {
		name    string
		ids     []aggregator.Identifier
		channel string
		ok      bool
	}{
		{"a phone number: SMS", []aggregator.Identifier{id(event.ADID, "a"), id(event.MSISDN, "+336")}, "sms", true},
		{"an advertising id: notification", []aggregator.Identifier{id(event.Email, "x@y"), id(event.ADID, "a")}, "push", true},
		{"an e-mail", []aggregator.Identifier{id(event.Card, "tok"), id(event.Email, "x@y")}, "email", true},
		{"no way to reach", []aggregator.Identifier{id(event.Card, "tok"), id(event.IMSI, "208")}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			channel, _, ok := contactOf(tc.ids)
			if channel != tc.channel || ok != tc.ok {
				t.Errorf("contactOf = %q, %v; want %q, %v", channel, ok, tc.channel, tc.ok)
			}
		})
	}
}

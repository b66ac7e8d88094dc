package web

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/event"
	"exhaust/world"
)

// promoRadiusM is how close to a shop a profile's latest located event must
// be for the shop to push a promotion.
const promoRadiusM = 150

// PromoSubjectPrefix starts the subject of every promotion:
// promo.exhaust.<chain>, outside exhaust.> so the EXHAUST stream never
// captures what the beast sends back.
const PromoSubjectPrefix = "promo.exhaust."

// Promo is a promotion a shop pushes to a profile it knows is near and
// interested: "shops push back".
type Promo struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"` // simulated time of the sighting that triggered it
	Shop     string    `json:"shop"` // place id
	ShopName string    `json:"shop_name"`
	Chain    string    `json:"chain"`
	Profile  string    `json:"profile"` // the beast's pseudonymous profile
	// Channel is how it reaches the person: sms (the profile holds a phone
	// number), push (an advertising id: an app notification) or email.
	Channel string   `json:"channel"`
	To      event.ID `json:"to"`
	// Offer is what it is about: "books" or "coffee"; Detail the taste it
	// plays on (a book genre, a search, a café order).
	Offer  string `json:"offer"`
	Detail string `json:"detail,omitempty"`
	// Interest is the fact the offer rests on (interests, shopping, cafe).
	Interest string `json:"interest"`
	// Seen is the type of the event that placed the profile near the shop,
	// DistanceM how far from the shop it was.
	Seen      string  `json:"seen"`
	DistanceM float64 `json:"distance_m"`
	Because   string  `json:"because"` // one English sentence
	Text      string  `json:"text"`    // the message as sent, in English
	TextFR    string  `json:"text_fr"` // and in French
	// Person is who really received it (the narrator's truth: the owner of
	// To), labelled once the shop has decided: for the page only, never
	// published, and never part of the decision.
	Person string `json:"person,omitempty"`
}

// sightKey is one pending sighting: a shop, and the identifiers one located
// event carried (all a shop nearby could know of who passed), on one day.
type sightKey struct {
	shop string
	ids  string // the event's identifiers, sorted, as kind:value
	day  int
}

// sighting is identifiers seen near a promoting shop, waiting for the
// worker to check whether the beast would push a promotion.
type sighting struct {
	key  sightKey
	shop *world.Place
	ids  []event.ID
	t    time.Time
	typ  string
	dist float64
}

// sentKey is what a shop remembers of the promotions it sent, so that it
// sends one a day per chain and recipient: the recipient profile's id, and
// each identifier that profile held (its contact among them).
type sentKey struct {
	chain string
	day   int
	what  string // "profile:P-…" or "id:kind:value"
}

func sentProfile(chain string, day int, profile string) sentKey {
	return sentKey{chain, day, "profile:" + profile}
}

func sentID(chain string, day int, id event.ID) sentKey {
	return sentKey{chain, day, "id:" + idString(id)}
}

func idString(id event.ID) string { return string(id.Kind) + ":" + id.Value }

// sightLocked notes that an event carrying ids was located near a
// promoting shop. It knows only what the event says: which person carried
// them is for the beast to work out, or not. Call with mu held for writing.
func (s *session) sightLocked(typ string, ids []event.ID, w *event.Where, t time.Time) {
	if s.day == nil || len(ids) == 0 {
		return
	}
	day := s.day.Index
	pt := world.Point{Lat: w.Lat, Lon: w.Lon}
	var key string
	for _, shop := range s.shops {
		d := world.Distance(pt, shop.Point)
		if d > promoRadiusM || s.sentAnyLocked(shop.Chain, day, ids) {
			continue
		}
		if key == "" {
			sorted := slices.Clone(ids)
			slices.SortFunc(sorted, compareIDs)
			sorted = slices.Compact(sorted)
			parts := make([]string, len(sorted))
			for i, id := range sorted {
				parts[i] = idString(id)
			}
			key, ids = strings.Join(parts, " "), sorted
		}
		k := sightKey{shop.ID, key, day}
		sg := s.sightings[k]
		if sg == nil {
			sg = &sighting{key: k, shop: shop, ids: ids}
			s.sightings[k] = sg
		}
		sg.t, sg.typ, sg.dist = t, typ, d
	}
}

// sentAnyLocked says whether chain already sent a promotion on day to a
// profile holding one of ids. Call with mu held.
func (s *session) sentAnyLocked(chain string, day int, ids []event.ID) bool {
	for _, id := range ids {
		if s.promoSent[sentID(chain, day, id)] {
			return true
		}
	}
	return false
}

// decided is a promotion the beast would send, with the identifiers its
// recipient profile held when it was decided.
type decided struct {
	promo Promo
	day   int
	ids   []event.ID
}

// promote checks the pending sightings against what the beast knows and
// sends the promotions that follow, through hook (may be nil). The
// decision reads the sightings and the beast only; the narrator's label of
// who really received each promotion is added afterwards.
func (s *session) promote(hook func(subject string, payload []byte)) {
	s.mu.Lock()
	if len(s.sightings) == 0 {
		s.mu.Unlock()
		return
	}
	pending := make([]*sighting, 0, len(s.sightings))
	for _, sg := range s.sightings {
		pending = append(pending, sg)
	}
	s.sightings = map[sightKey]*sighting{}
	gen, engine := s.gen, s.engine
	s.mu.Unlock()
	slices.SortFunc(pending, func(a, b *sighting) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		if c := strings.Compare(a.key.shop, b.key.shop); c != 0 {
			return c
		}
		return strings.Compare(a.key.ids, b.key.ids)
	})

	held := holdersOf(engine)
	var out []decided
	for _, sg := range pending {
		if d, ok := s.promoFor(held, sg); ok {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return
	}
	s.mu.Lock()
	if s.gen != gen {
		s.mu.Unlock()
		return
	}
	var send []Promo
	for _, d := range out {
		p, day := d.promo, d.day
		if s.promoSent[sentProfile(p.Chain, day, p.Profile)] || s.sentAnyLocked(p.Chain, day, d.ids) {
			continue
		}
		s.promoSent[sentProfile(p.Chain, day, p.Profile)] = true
		for _, id := range d.ids {
			s.promoSent[sentID(p.Chain, day, id)] = true
		}
		send = append(send, p)
		p.Person = s.owner[p.To] // the narrator's label, once the shop has decided
		s.promos = append(s.promos, p)
	}
	s.notifyLocked()
	s.mu.Unlock()
	if hook == nil {
		return
	}
	for _, p := range send {
		p.Person = "" // the shops know a profile, not a person
		b, err := json.Marshal(p)
		if err != nil {
			continue
		}
		hook(PromoSubjectPrefix+p.Chain, b)
	}
}

// holders looks sighted identifiers up in the beast's profiles, one
// profile at a time (Engine.ProfileOf), memoised for one round of
// decisions: what a shop can look a sighting up in.
type holders struct {
	engine *aggregator.Engine
	seen   map[event.ID]*aggregator.Profile // nil: held by no profile
}

func holdersOf(engine *aggregator.Engine) holders {
	return holders{engine: engine, seen: map[event.ID]*aggregator.Profile{}}
}

// of returns the profiles holding any of ids, in Profiles' order (most
// identifiers first, then by id).
func (h holders) of(ids []event.ID) []*aggregator.Profile {
	var out []*aggregator.Profile
	for _, id := range ids {
		p, done := h.seen[id]
		if !done {
			p, _ = h.engine.ProfileOf(id)
			h.seen[id] = p
		}
		if p != nil && !slices.ContainsFunc(out, func(q *aggregator.Profile) bool { return q.ID == p.ID }) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *aggregator.Profile) int {
		if len(a.Identifiers) != len(b.Identifiers) {
			return len(b.Identifiers) - len(a.Identifiers)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// promoFor decides whether the shop pushes a promotion to a profile that
// holds the sighted identifiers: it must have a matching interest and a
// way to be reached.
func (s *session) promoFor(held holders, sg *sighting) (decided, bool) {
	for _, prof := range held.of(sg.ids) {
		offer, detail, interest, ok := offerFor(sg.shop.Chain, prof.Facts)
		if !ok {
			continue
		}
		channel, to, ok := contactOf(prof.Identifiers)
		if !ok {
			continue
		}
		p := Promo{
			ID: promoID(s.cfg.Seed, sg.key.day, sg.shop.Chain, to), Time: sg.t, Shop: sg.shop.ID, ShopName: sg.shop.Name,
			Chain: sg.shop.Chain, Profile: prof.ID, Channel: channel, To: to, Offer: offer, Detail: detail,
			Interest: interest, Seen: sg.typ, DistanceM: math.Round(sg.dist),
		}
		p.Text, p.TextFR = promoText(p)
		p.Because = fmt.Sprintf("profile %s was located %.0f m from %s (%s) and its %s fact says %s",
			p.Profile, p.DistanceM, p.ShopName, p.Seen, p.Interest, orWord(p.Detail, p.Offer))
		ids := make([]event.ID, len(prof.Identifiers))
		for i, id := range prof.Identifiers {
			ids[i] = event.ID{Kind: id.Kind, Value: id.Value}
		}
		return decided{promo: p, day: sg.key.day, ids: ids}, true
	}
	return decided{}, false
}

func orWord(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// bookish are search topics a bookshop takes as an interest in books.
var bookish = []string{"livre", "book", "roman", "lecture", "science-fiction", "science fiction", "polar", "essai", "bd"}

// offerFor returns what a chain offers a profile with these facts, if
// anything: books of the profile's genre at the Fnac, its usual order at
// Starbucks.
func offerFor(chain string, fs []facts.Fact) (offer, detail, interest string, ok bool) {
	switch chain {
	case "fnac":
		for _, f := range fs {
			if v, isInterests := asInterests(f.Value); isInterests && f.Name == facts.FactInterests {
				if len(v.BookGenres) > 0 {
					return "books", v.BookGenres[0].Name, facts.FactInterests, true
				}
				for _, t := range v.SearchTopics {
					for _, w := range bookish {
						if strings.Contains(strings.ToLower(t.Name), w) {
							return "books", t.Name, facts.FactInterests, true
						}
					}
				}
			}
		}
		if hasChain(fs, "fnac") {
			return "books", "", facts.FactShopping, true
		}
	case "starbucks":
		for _, f := range fs {
			if v, isCafe := asCafe(f.Value); isCafe && f.Name == facts.FactCafe && v.Visits > 0 {
				return "coffee", v.Order, facts.FactCafe, true
			}
		}
		if hasChain(fs, "starbucks") {
			return "coffee", "", facts.FactShopping, true
		}
	}
	return "", "", "", false
}

func asInterests(v any) (facts.InterestsValue, bool) {
	switch x := v.(type) {
	case facts.InterestsValue:
		return x, true
	case *facts.InterestsValue:
		return *x, x != nil
	}
	return facts.InterestsValue{}, false
}

func asCafe(v any) (facts.CafeValue, bool) {
	switch x := v.(type) {
	case facts.CafeValue:
		return x, true
	case *facts.CafeValue:
		return *x, x != nil
	}
	return facts.CafeValue{}, false
}

func hasChain(fs []facts.Fact, chain string) bool {
	for _, f := range fs {
		if f.Name != facts.FactShopping {
			continue
		}
		var v facts.ShoppingValue
		switch x := f.Value.(type) {
		case facts.ShoppingValue:
			v = x
		case *facts.ShoppingValue:
			v = *x
		}
		for _, c := range v.Chains {
			if c.Chain == chain {
				return true
			}
		}
	}
	return false
}

// contactOf picks how a shop reaches a profile: a phone number (SMS), else
// an advertising id (an app notification), else an e-mail.
func contactOf(ids []aggregator.Identifier) (string, event.ID, bool) {
	for _, c := range []struct {
		kind    event.IDKind
		channel string
	}{{event.MSISDN, "sms"}, {event.ADID, "push"}, {event.Email, "email"}} {
		for _, id := range ids {
			if id.Kind == c.kind {
				return c.channel, event.ID{Kind: id.Kind, Value: id.Value}, true
			}
		}
	}
	return "", event.ID{}, false
}

// promoID derives a promotion's id from the run's seed and what the shop
// knows: the day, its chain and the contact it sends to.
func promoID(seed int64, day int, chain string, to event.ID) string {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	fmt.Fprintf(h, "promo/%d/%s/%s", day, chain, idString(to))
	return "promo-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// genres names book genres in promotional English and French.
var genres = map[string][2]string{
	"crime": {"crime novels", "polars"}, "science fiction": {"science fiction", "science-fiction"},
	"fantasy": {"fantasy", "fantasy"}, "romance": {"romance", "romans d'amour"}, "essay": {"essays", "essais"},
	"history": {"history books", "livres d'histoire"}, "comics": {"comics", "BD"},
	"literary fiction": {"novels", "romans"}, "cooking": {"cookbooks", "livres de cuisine"},
	"travel": {"travel books", "récits de voyage"},
}

// promoText writes the message a shop sends, in English and French.
func promoText(p Promo) (string, string) {
	switch p.Offer {
	case "books":
		if g, ok := genres[p.Detail]; ok {
			return fmt.Sprintf("%s: you're just round the corner! -10%% on %s today with your Fnac card.", p.ShopName, g[0]),
				fmt.Sprintf("%s : vous êtes tout près ! -10 %% sur les %s aujourd'hui avec votre carte fidélité.", p.ShopName, g[1])
		}
		if p.Detail != "" {
			return fmt.Sprintf("%s: you're just round the corner! -10%% on the books you searched for (%q).", p.ShopName, p.Detail),
				fmt.Sprintf("%s : vous êtes tout près ! -10 %% sur les livres que vous avez cherchés (« %s »).", p.ShopName, p.Detail)
		}
		return fmt.Sprintf("%s: you're just round the corner! Double points on books today.", p.ShopName),
			fmt.Sprintf("%s : vous êtes tout près ! Points doublés sur les livres aujourd'hui.", p.ShopName)
	default:
		if p.Detail != "" {
			return fmt.Sprintf("%s: your %s is waiting, the 2nd one half price until 4 pm. Bring your cup!", p.ShopName, p.Detail),
				fmt.Sprintf("%s : votre %s vous attend, le 2e à moitié prix jusqu'à 16 h. Pensez à votre tasse !", p.ShopName, p.Detail)
		}
		return fmt.Sprintf("%s: a coffee break? The 2nd drink is half price until 4 pm.", p.ShopName),
			fmt.Sprintf("%s : une pause café ? La 2e boisson à moitié prix jusqu'à 16 h.", p.ShopName)
	}
}

package world

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"exhaust/event"
)

// HeroID is the id of the seed's narrator, always person 0.
const HeroID = "hero"

// PersonID returns the id of the person at a population index: "hero" for
// 0, then "p001", "p002", ….
func PersonID(index int) string {
	if index == 0 {
		return HeroID
	}
	return fmt.Sprintf("p%03d", index)
}

// personIndex is the inverse of PersonID (-1 if id is not a person id).
func personIndex(id string) int {
	if id == HeroID {
		return 0
	}
	if !strings.HasPrefix(id, "p") {
		return -1
	}
	n, err := strconv.Atoi(id[1:])
	if err != nil || n < 1 {
		return -1
	}
	return n
}

// seeded returns a ChaCha8 generator keyed by the seed and the parts, so
// every person (and every person-day) has its own stream: adding people
// never changes anyone else's life.
func seeded(seed int64, parts ...string) *rand.Rand {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	return rand.New(rand.NewChaCha8(hashBytes(append([]string{string(b[:])}, parts...)...)))
}

// seedOffset returns a stable number in [0, mod) for a seed and a purpose.
func seedOffset(seed int64, purpose string, mod uint64) uint64 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h := hashBytes(string(b[:]), "offset", purpose)
	return binary.BigEndian.Uint64(h[:8]) % mod
}

// unique maps a population index to a number in [0, mod) that no other
// index gets (an affine bijection: mult is coprime with mod), scrambled by
// the seed. Identifiers built on it never collide, whatever the population.
func unique(seed int64, purpose string, index int, mult, mod uint64) uint64 {
	return (uint64(index)*mult + seedOffset(seed, purpose, mod)) % mod
}

// Synthetic name lists. Sizes are coprime (firsts 61, lasts 60) so that the
// pair (first, last) is different for every index below 3660, which keeps
// e-mail addresses unique without numeric suffixes.
var (
	// The flag is the name's usual gender, kept so personas read naturally
	// if a producer ever needs a salutation.
	firstNames = []struct {
		name   string
		female bool
	}{
		{"Camille", true}, {"Léa", true}, {"Manon", true}, {"Chloé", true}, {"Inès", true}, {"Sarah", true},
		{"Emma", true}, {"Jade", true}, {"Louise", true}, {"Alice", true}, {"Juliette", true}, {"Zoé", true},
		{"Anaïs", true}, {"Mathilde", true}, {"Élise", true}, {"Nadia", true}, {"Sophie", true}, {"Julie", true},
		{"Aurélie", true}, {"Nathalie", true}, {"Isabelle", true}, {"Amina", true}, {"Margaux", true},
		{"Pauline", true}, {"Lucie", true}, {"Hélène", true}, {"Agathe", true}, {"Yasmine", true}, {"Clémence", true},
		{"Océane", true},
		{"Lucas", false}, {"Hugo", false}, {"Louis", false}, {"Nathan", false}, {"Gabriel", false}, {"Jules", false},
		{"Arthur", false}, {"Adam", false}, {"Raphaël", false}, {"Thomas", false}, {"Antoine", false},
		{"Maxime", false}, {"Nicolas", false}, {"Julien", false}, {"Karim", false}, {"Mehdi", false},
		{"Pierre", false}, {"Paul", false}, {"Théo", false}, {"Victor", false}, {"Samuel", false}, {"Bastien", false},
		{"Olivier", false}, {"Philippe", false}, {"Romain", false}, {"Yanis", false}, {"Florian", false},
		{"Mathieu", false}, {"Vincent", false}, {"Quentin", false}, {"Étienne", false},
	}
	lastNames = []string{
		"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Leroy", "Moreau", "Simon",
		"Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
		"Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
		"Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
		"Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
		"Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Benali",
	}
)

// Hero's identity: a plain, clearly synthetic French persona.
const (
	heroFirst = "Claire"
	heroLast  = "Dubois"
)

// deviceModel is a device model with its vendor's identifiers.
type deviceModel struct {
	name string
	oui  string // vendor MAC prefix
	tac  string // IMEI type allocation code (phones)
}

var (
	phoneModels = []deviceModel{
		{"Apple iPhone 15", "3c:22:fb", "35397611"},
		{"Apple iPhone 13", "3c:22:fb", "35328211"},
		{"Samsung Galaxy S24", "8c:f5:a3", "35260415"},
		{"Samsung Galaxy A54", "8c:f5:a3", "35073582"},
		{"Google Pixel 8", "f4:f5:d8", "35882160"},
		{"Xiaomi Redmi Note 13", "64:09:80", "86701506"},
		{"Fairphone 5", "0c:8e:29", "35190720"},
	}
	tabletModels = []deviceModel{
		{"Apple iPad Air", "3c:22:fb", ""},
		{"Samsung Galaxy Tab S9", "8c:f5:a3", ""},
		{"Lenovo Tab P12", "a4:4e:31", ""},
	}
	wristbandModels = []string{"Decathlon OnCoach 100", "Fitbit Inspire 3", "Xiaomi Smart Band 8"}
)

// Apps and their categories. The phone producer reports the category; the
// aggregator turns them into habits.
var appCategories = map[string]string{
	"Instagram":     "social",
	"Facebook":      "social",
	"TikTok":        "social",
	"Snapchat":      "social",
	"LinkedIn":      "social",
	"Le Monde":      "news",
	"franceinfo":    "news",
	"Le Parisien":   "news",
	"Messages":      "messages",
	"WhatsApp":      "messages",
	"Gmail":         "messages",
	"Candy Crush":   "games",
	"Wordle":        "games",
	"Clash Royale":  "games",
	"Spotify":       "music",
	"Deezer":        "music",
	"Netflix":       "video",
	"YouTube":       "video",
	"Citymapper":    "maps",
	"Google Maps":   "maps",
	"Bonjour RATP":  "maps",
	"Doctolib":      "health",
	"Leboncoin":     "shopping",
	"Vinted":        "shopping",
	"Strava":        "sport",
	"Fitness Coach": "sport",
	"Banque":        "finance",
}

// AppCategory returns the category of an app ("social", "news", "messages",
// "games", …), or "other".
func AppCategory(app string) string {
	if c, ok := appCategories[app]; ok {
		return c
	}
	return "other"
}

// WristbandApp is the phone app that syncs a wristband. A session of it in a
// plan is a sync: the wristband uploads its data through the phone.
const WristbandApp = "Fitness Coach"

var (
	appPool    = []string{"Instagram", "Facebook", "TikTok", "Snapchat", "LinkedIn", "Le Monde", "franceinfo", "Le Parisien", "Gmail", "Candy Crush", "Wordle", "Clash Royale", "Spotify", "Deezer", "Netflix", "YouTube", "Citymapper", "Google Maps", "Bonjour RATP", "Doctolib", "Leboncoin", "Vinted", "Strava", "Banque"}
	topicPool  = []string{"météo paris", "recette", "football", "séries", "concerts", "immobilier", "vacances", "santé", "politique", "jeux vidéo", "cinéma", "bourse", "vélo", "randonnée", "mode", "high-tech", "jardinage", "voyage japon", "expositions", "restaurants"}
	genrePool  = []string{"crime", "science fiction", "fantasy", "romance", "essay", "history", "comics", "literary fiction", "cooking", "travel"}
	cafeOrders = []string{"espresso", "café crème", "cappuccino", "latte", "caramel macchiato", "chai latte", "flat white", "thé vert"}
	sports     = []string{"running", "fitness", "yoga", "swimming"}
)

// genPerson draws person index's identity, devices, habits and privacy from
// its own generator. home is its home place (already built).
func genPerson(seed int64, index int, home *Place, offices []*Place) *Person {
	id := PersonID(index)
	r := seeded(seed, "person", id)
	p := &Person{ID: id, Home: home, Loyalty: map[string]string{}}

	first, last := heroFirst, heroLast
	if index > 0 {
		// Seeded permutations of both lists keep names varied while the
		// (index mod 61, index mod 60) pair keeps them unique.
		pf := seeded(seed, "names", "first").Perm(len(firstNames))
		pl := seeded(seed, "names", "last").Perm(len(lastNames))
		fn := firstNames[pf[index%len(firstNames)]]
		first = fn.name
		last = lastNames[pl[index%len(lastNames)]]
	}
	p.Name = first + " " + last
	p.Email = strings.ToLower(slug(first)+"."+slug(last)) + "@example.net"

	// Work is drawn by settle, with the occupation.

	pm := phoneModels[r.IntN(len(phoneModels))]
	if index == 0 {
		pm = phoneModels[0]
	}
	p.Phone = &Device{
		Kind:   DevicePhone,
		Model:  pm.name,
		MAC:    macFrom(pm.oui, unique(seed, "mac", 3*index, 0x9E3779, 1<<24)),
		IMEI:   imei(pm.tac, unique(seed, "imei/"+pm.tac, index, 738_743, 1_000_000)),
		IMSI:   fmt.Sprintf("20801%010d", unique(seed, "imsi", index, 7_919_104_627, 10_000_000_000)),
		MSISDN: fmt.Sprintf("+336%08d", unique(seed, "msisdn", index, 37_199_461, 100_000_000)),
		ADID:   uuidFrom(hashBytes(fmt.Sprint(seed), id, "adid", "phone")),
	}
	if index == 0 || r.Float64() < 0.35 {
		tm := tabletModels[r.IntN(len(tabletModels))]
		if index == 0 {
			tm = tabletModels[0]
		}
		p.Tablet = &Device{
			Kind:  DeviceTablet,
			Model: tm.name,
			MAC:   macFrom(tm.oui, unique(seed, "mac", 3*index+1, 0x9E3779, 1<<24)),
			ADID:  uuidFrom(hashBytes(fmt.Sprint(seed), id, "adid", "tablet")),
		}
	}
	if index == 0 || r.Float64() < 0.4 {
		wm := wristbandModels[r.IntN(len(wristbandModels))]
		if index == 0 {
			wm = wristbandModels[0]
		}
		p.Wristband = &Device{
			Kind:   DeviceWristband,
			Model:  wm,
			Serial: fmt.Sprintf("WB-%08X", unique(seed, "wristband", index, 2_654_435_761, 1<<32)),
		}
	}
	p.CardToken = fmt.Sprintf("tok_%016x", binary.BigEndian.Uint64(func() []byte {
		h := hashBytes(fmt.Sprint(seed), id, "card")
		return h[:8]
	}()))
	if index == 0 || r.Float64() < 0.75 {
		p.PassID = fmt.Sprintf("NAV-%010d", unique(seed, "pass", index, 3_141_592_653, 10_000_000_000))
	}
	if index == 0 || r.Float64() < 0.3 {
		p.Loyalty["fnac"] = fmt.Sprintf("FNAC-%010d", unique(seed, "fnac", index, 2_718_281_829, 10_000_000_000))
	}
	if index == 0 || r.Float64() < 0.25 {
		p.Loyalty["starbucks"] = fmt.Sprintf("SBX-%012d", unique(seed, "starbucks", index, 161_803_398_877, 1_000_000_000_000))
	}
	if r.Float64() < 0.3 {
		p.Loyalty["marche"] = fmt.Sprintf("MDH-%010d", unique(seed, "marche", index, 1_414_213_563, 10_000_000_000))
	}

	p.Habits = genHabits(r)
	if p.Wristband != nil {
		p.Habits.Apps = append(p.Habits.Apps, WristbandApp)
	}
	p.Privacy = Privacy{
		LocationServices: r.Float64() < 0.8,
		PhoneOffAtNight:  r.Float64() < 0.15,
		PaysCash:         r.Float64() < 0.08,
		UsesLoyaltyCard:  r.Float64() < 0.8,
		WifiEnabled:      r.Float64() < 0.85,
		MACRandomisation: r.Float64() < 0.3,
		WearsWristband:   p.Wristband != nil && r.Float64() < 0.85,
	}
	p.Privacy.WifiAutoJoin = p.Privacy.WifiEnabled && r.Float64() < 0.75
	if index == 0 {
		heroise(p)
	}
	return p
}

// genHabits draws ordinary routines.
func genHabits(r *rand.Rand) Habits {
	h := Habits{
		Wake:        6*time.Hour + time.Duration(r.IntN(150))*time.Minute,
		Jitter:      time.Duration(8+r.IntN(25)) * time.Minute,
		WeekendLate: time.Duration(30+r.IntN(120)) * time.Minute,
		PhoneDelay:  time.Duration(5+r.IntN(1800)) * time.Second,
		CafeOrder:   cafeOrders[r.IntN(len(cafeOrders))],
		OwnCup:      r.Float64() < 0.2,
		CafeRate:    0.1 + 0.4*r.Float64(),
	}
	h.Bed = 22*time.Hour + time.Duration(r.IntN(150))*time.Minute
	h.BookGenres = pick(r, genrePool, 1+r.IntN(3))
	h.Apps = append([]string{"Messages", "WhatsApp"}, pick(r, appPool, 3+r.IntN(5))...)
	h.Topics = pick(r, topicPool, 2+r.IntN(4))
	if r.Float64() < 0.6 {
		h.Sport = sports[r.IntN(len(sports))]
		days := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
		h.SportDays = pick(r, days, 1+r.IntN(3))
		slices.Sort(h.SportDays)
	}
	return h
}

// heroise gives the hero the seed narrator's habits and settings.
func heroise(p *Person) {
	p.Habits = Habits{
		Wake:        7*time.Hour + 15*time.Minute,
		Bed:         23*time.Hour + 30*time.Minute,
		Jitter:      15 * time.Minute,
		WeekendLate: 90 * time.Minute,
		PhoneDelay:  5 * time.Second, // FOMO: the phone first, everything else after
		CafeOrder:   "caramel macchiato",
		OwnCup:      true,
		CafeRate:    0.35,
		BookGenres:  []string{"essay", "science fiction"},
		Apps:        []string{"Messages", "WhatsApp", "Instagram", "Facebook", "Le Monde", "Candy Crush", "Deezer", "Citymapper", WristbandApp},
		Topics:      []string{"big data", "vie privée", "livres essais", "science-fiction", "expositions"},
		Sport:       "yoga",
		SportDays:   []time.Weekday{time.Tuesday, time.Thursday},
	}
	p.Privacy = Privacy{
		LocationServices: false, // she never turns it on; the towers find her anyway
		PhoneOffAtNight:  false, // she tries to, but habits die hard
		PaysCash:         false,
		UsesLoyaltyCard:  true,
		WifiEnabled:      true,
		WifiAutoJoin:     true,
		MACRandomisation: false,
		WearsWristband:   true,
	}
}

// pick returns n distinct elements of pool in a random order.
func pick[T any](r *rand.Rand, pool []T, n int) []T {
	n = min(n, len(pool))
	out := make([]T, 0, n)
	for _, i := range r.Perm(len(pool))[:n] {
		out = append(out, pool[i])
	}
	return out
}

// macFrom builds a MAC address from a vendor prefix and a 24-bit NIC part.
func macFrom(oui string, nic uint64) string {
	return fmt.Sprintf("%s:%02x:%02x:%02x", oui, byte(nic>>16), byte(nic>>8), byte(nic))
}

// imei builds a 15-digit IMEI: type allocation code, 6-digit serial, Luhn
// check digit.
func imei(tac string, serial uint64) string {
	body := fmt.Sprintf("%s%06d", tac, serial)
	return body + strconv.Itoa(luhnDigit(body))
}

// luhnDigit returns the Luhn check digit for the digits of body.
func luhnDigit(body string) int {
	sum := 0
	double := true // the rightmost digit of body is doubled
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// LuhnValid reports whether a digit string passes the Luhn check (IMEIs,
// card numbers).
func LuhnValid(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return luhnDigit(s[:len(s)-1]) == int(s[len(s)-1]-'0')
}

// uuidFrom formats 16 bytes of h as a version-4 UUID.
func uuidFrom(h [32]byte) string {
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// WifiMAC returns the MAC address d shows to the Wi-Fi network ssid: its
// hardware MAC, or when randomising a stable per-network address (as iOS
// and Android do), locally administered and unicast, derived from the
// hardware MAC and the SSID.
func (d *Device) WifiMAC(ssid string, randomise bool) string {
	if !randomise || d.MAC == "" {
		return d.MAC
	}
	h := hashBytes("wifi-mac", d.MAC, ssid)
	h[0] = h[0]&0xfc | 0x02 // locally administered, unicast
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4], h[5])
}

// MACFor returns the MAC p's device shows to network ssid under p's privacy
// settings.
func (p *Person) MACFor(d *Device, ssid string) string {
	return d.WifiMAC(ssid, p.Privacy.MACRandomisation)
}

// Identifiers returns every identifier p can emit, sorted by kind then value,
// without duplicates: the ground truth the aggregator is scored against.
// Single tickets are per day: see (*Day).Truth.
func (p *Person) Identifiers(c *City) []event.ID {
	var ids []event.ID
	add := func(k event.IDKind, v string) {
		if v != "" {
			ids = append(ids, event.ID{Kind: k, Value: v})
		}
	}
	for _, d := range []*Device{p.Phone, p.Tablet} {
		if d == nil {
			continue
		}
		add(event.IMSI, d.IMSI)
		add(event.IMEI, d.IMEI)
		add(event.MSISDN, d.MSISDN)
		add(event.ADID, d.ADID)
		add(event.MAC, d.MAC)
		if p.Privacy.MACRandomisation && c != nil {
			for _, ssid := range c.SSIDs() {
				add(event.MAC, d.WifiMAC(ssid, true))
			}
		}
	}
	if p.Wristband != nil {
		add(event.Wristband, p.Wristband.Serial)
	}
	add(event.Card, p.CardToken)
	add(event.Pass, p.PassID)
	for _, v := range p.Loyalty {
		add(event.Loyalty, v)
	}
	add(event.Email, p.Email)
	return sortIDs(ids)
}

// sortIDs sorts identifiers by kind then value and drops duplicates.
func sortIDs(ids []event.ID) []event.ID {
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Kind != ids[j].Kind {
			return ids[i].Kind < ids[j].Kind
		}
		return ids[i].Value < ids[j].Value
	})
	return slices.Compact(ids)
}

package world

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HeroID is the id of the seed's narrator, always person 0.
const HeroID = "hero"

// Hero's identity: a plain, clearly synthetic French persona, with the
// address the seed's story shows.
const (
	heroFirst      = "Claire"
	heroLast       = "Dubois"
	heroMailLocal  = "claire.dubois"
	heroMailDomain = "example.net"
)

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
// its own generator. home is its home place (already built); emails hands
// out e-mail addresses, in population order.
func genPerson(seed int64, index int, home *Place, emails *addressBook) *Person {
	id := PersonID(index)
	r := seeded(seed, "person", id)
	p := &Person{ID: id, Home: home, Loyalty: map[string]string{}}

	first, last := heroFirst, heroLast
	local, domain := heroMailLocal, heroMailDomain
	if index > 0 {
		first, last = drawName(r)
		local, domain = drawEmail(r, first, last)
	}
	p.Name = first + " " + last
	p.Email = emails.claim(local, domain)

	// Work is drawn by settle, with the occupation.

	// Every number below is a bijection of the population index (unique,
	// permute64) or of the device's hardware MAC: unique by construction up
	// to MaxPersons people.
	pm := drawModel(r, phoneModels)
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
		ADID:   adID(permute64(seed, "adid", 2*uint64(index)), hashBytes(fmt.Sprint(seed), id, "adid", "phone")),
	}
	if index == 0 || r.Float64() < 0.35 {
		tm := drawModel(r, tabletModels)
		if index == 0 {
			tm = tabletModels[0]
		}
		p.Tablet = &Device{
			Kind:  DeviceTablet,
			Model: tm.name,
			MAC:   macFrom(tm.oui, unique(seed, "mac", 3*index+1, 0x9E3779, 1<<24)),
			ADID:  adID(permute64(seed, "adid", 2*uint64(index)+1), hashBytes(fmt.Sprint(seed), id, "adid", "tablet")),
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
	p.CardToken = fmt.Sprintf("tok_%016x", permute64(seed, "card", uint64(index)))
	if index == 0 || r.Float64() < 0.75 {
		p.PassID = fmt.Sprintf("NAV-%010d", unique(seed, "pass", index, 3_141_592_653, 10_000_000_000))
	}
	if index == 0 || r.Float64() < 0.3 {
		p.Loyalty["fnac"] = fmt.Sprintf("FNAC-%010d", unique(seed, "fnac", index, 2_718_281_829, 10_000_000_000))
	}
	if index == 0 || r.Float64() < 0.25 {
		p.Loyalty["starbucks"] = fmt.Sprintf("SBX-%012d", unique(seed, "starbucks", index, 161_803_398_877, 1_000_000_000_000))
	}
	if index > 0 && r.Float64() < 0.3 { // the hero shops at the supermarket without its card
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
		// Per-network addresses are the phone's default unless it is too
		// old to have them; a few people turn them off (macOptOut).
		MACRandomisation: r.Float64() >= macOptOut && pm.privateAddressDefault(),
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
	// Sized once, with room for the wristband's app (genPerson): grown
	// twice by appends, the lists were a tenth of a person's memory.
	apps := pick(r, appPool, 3+r.IntN(5))
	h.Apps = append(append(make([]string, 0, 2+len(apps)+1), "Messages", "WhatsApp"), apps...)
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

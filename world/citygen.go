package world

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
)

// More place kinds, for the generated city.
const (
	KindHospital PlaceKind = "hospital"
	KindCampus   PlaceKind = "campus"
	KindHotel    PlaceKind = "hotel"
	KindSight    PlaceKind = "sight" // monuments, museums, cinemas: outings
)

// Merchant category codes (ISO 18245) of the generated places.
const (
	mccBakery      = "5462"
	mccGrocery     = "5411"
	mccPharmacy    = "5912"
	mccBooks       = "5942"
	mccClothing    = "5651"
	mccRestaurant  = "5812"
	mccBar         = "5813"
	mccCafe        = "5814"
	mccGym         = "7997"
	mccCinema      = "7832"
	mccAttractions = "7991"
	mccHotel       = "7011"
)

// genSpec is one kind of generated place: how many the city has and where
// they are. Counts are for the whole of Paris at the simulation's scale (a
// few per neighbourhood, not the 1,200 real bakeries): enough that people
// have local places of their own, few enough that a busy one is shared.
type genSpec struct {
	kind    PlaceKind
	mcc     string
	label   string // the name's first word, "Boulangerie"
	n       int
	nearJob bool    // placed where jobs are (true) or where people live
	chain   string  // loyalty scheme of a share of them
	chainP  float64 // that share
	chainLb string  // their label
}

var genSpecs = []genSpec{
	{kind: KindOffice, label: "Bureaux", n: 240, nearJob: true},
	{kind: KindCafe, mcc: mccRestaurant, label: "Restaurant", n: 220, nearJob: true},
	{kind: KindCafe, mcc: mccCafe, label: "Café", n: 200},
	{kind: KindCafe, mcc: mccBar, label: "Bar", n: 90},
	{kind: KindShop, mcc: mccBakery, label: "Boulangerie", n: 220},
	{kind: KindShop, mcc: mccGrocery, label: "Supérette", n: 140, chain: "marche", chainP: 0.4, chainLb: "Marché"},
	{kind: KindShop, mcc: mccPharmacy, label: "Pharmacie", n: 110},
	{kind: KindShop, mcc: mccBooks, label: "Librairie", n: 40},
	{kind: KindShop, mcc: mccClothing, label: "Boutique", n: 70, nearJob: true},
	{kind: KindGym, mcc: mccGym, label: "Salle de sport", n: 45},
	{kind: KindSight, mcc: mccCinema, label: "Cinéma", n: 30},
	{kind: KindHotel, mcc: mccHotel, label: "Hôtel", n: 70, nearJob: true},
}

// nameWords complete generated names ("Boulangerie du Marché"); with the
// arrondissement and a number they make every id unique.
var nameWords = []string{
	"du Marché", "de la Place", "du Centre", "des Amis", "du Canal", "de la Gare", "du Parc", "Saint-Martin",
	"des Lilas", "de la Mairie", "du Théâtre", "de l'Église", "des Arts", "du Coin", "de la Fontaine", "Centrale",
	"du Square", "des Halles", "de la République", "du Faubourg", "des Artistes", "de la Poste", "du Pont", "Moderne",
}

// namedPlaces are real places that anchor the generated city: hospitals
// (shift and night work), campuses (students), sights (visitors and
// outings), more parks, branches of the loyalty chains. Positions are
// approximate, rounded to about 50 m.
var namedPlaces = []placeDef{
	{"hospital:pitie-salpetriere", "Hôpital de la Pitié-Salpêtrière", KindHospital, 13, Point{48.8380, 2.3620}, "", "", "", false},
	{"hospital:saint-antoine", "Hôpital Saint-Antoine", KindHospital, 12, Point{48.8490, 2.3830}, "", "", "", false},
	{"hospital:lariboisiere", "Hôpital Lariboisière", KindHospital, 10, Point{48.8826, 2.3530}, "", "", "", false},
	{"hospital:necker", "Hôpital Necker", KindHospital, 15, Point{48.8460, 2.3160}, "", "", "", false},
	{"hospital:pompidou", "Hôpital européen Georges-Pompidou", KindHospital, 15, Point{48.8390, 2.2730}, "", "", "", false},
	{"hospital:cochin", "Hôpital Cochin", KindHospital, 14, Point{48.8370, 2.3400}, "", "", "", false},
	{"hospital:bichat", "Hôpital Bichat", KindHospital, 18, Point{48.8990, 2.3320}, "", "", "", false},
	{"hospital:hotel-dieu", "Hôtel-Dieu", KindHospital, 4, Point{48.8545, 2.3485}, "", "", "", false},
	{"campus:jussieu", "Campus Jussieu", KindCampus, 5, Point{48.8465, 2.3560}, "", "", "", false},
	{"campus:tolbiac", "Centre Tolbiac", KindCampus, 13, Point{48.8270, 2.3640}, "", "", "", false},
	{"campus:assas", "Université Assas", KindCampus, 6, Point{48.8440, 2.3330}, "", "", "", false},
	{"campus:sorbonne", "La Sorbonne", KindCampus, 5, Point{48.8487, 2.3431}, "", "", "", false},
	{"campus:dauphine", "Université Dauphine", KindCampus, 16, Point{48.8710, 2.2740}, "", "", "", false},
	{"campus:grands-moulins", "Grands Moulins", KindCampus, 13, Point{48.8290, 2.3810}, "", "", "", false},
	{"campus:sciences-po", "Sciences Po", KindCampus, 7, Point{48.8540, 2.3280}, "", "", "", false},
	{"sight:louvre", "Musée du Louvre", KindSight, 1, Point{48.8606, 2.3376}, "MUSEE DU LOUVRE", mccAttractions, "", false},
	{"sight:tour-eiffel", "Tour Eiffel", KindSight, 7, Point{48.8584, 2.2945}, "SETE TOUR EIFFEL", mccAttractions, "", false},
	{"sight:notre-dame", "Notre-Dame", KindSight, 4, Point{48.8530, 2.3499}, "", "", "", false},
	{"sight:sacre-coeur", "Sacré-Cœur", KindSight, 18, Point{48.8867, 2.3431}, "", "", "", false},
	{"sight:orsay", "Musée d'Orsay", KindSight, 7, Point{48.8600, 2.3266}, "MUSEE D ORSAY", mccAttractions, "", false},
	{"sight:arc-de-triomphe", "Arc de Triomphe", KindSight, 8, Point{48.8738, 2.2950}, "ARC DE TRIOMPHE CMN", mccAttractions, "", false},
	{"sight:pompidou", "Centre Pompidou", KindSight, 4, Point{48.8606, 2.3522}, "CENTRE POMPIDOU", mccAttractions, "", false},
	{"sight:pantheon", "Panthéon", KindSight, 5, Point{48.8462, 2.3459}, "PANTHEON CMN", mccAttractions, "", false},
	{"sight:catacombes", "Catacombes", KindSight, 14, Point{48.8339, 2.3324}, "CATACOMBES DE PARIS", mccAttractions, "", false},
	{"park:montsouris", "Parc Montsouris", KindPark, 14, Point{48.8222, 2.3380}, "", "", "", false},
	{"park:andre-citroen", "Parc André-Citroën", KindPark, 15, Point{48.8412, 2.2743}, "", "", "", false},
	{"park:villette", "Parc de la Villette", KindPark, 19, Point{48.8938, 2.3900}, "", "", "", false},
	{"park:tuileries", "Jardin des Tuileries", KindPark, 1, Point{48.8635, 2.3275}, "", "", "", false},
	{"park:champ-de-mars", "Champ-de-Mars", KindPark, 7, Point{48.8556, 2.2986}, "", "", "", false},
	{"park:belleville", "Parc de Belleville", KindPark, 20, Point{48.8716, 2.3847}, "", "", "", false},
	{"park:georges-brassens", "Parc Georges-Brassens", KindPark, 15, Point{48.8331, 2.3006}, "", "", "", false},
	{"park:batignolles", "Square des Batignolles", KindPark, 17, Point{48.8873, 2.3165}, "", "", "", false},
	{"park:square-du-temple", "Square du Temple", KindPark, 3, Point{48.8645, 2.3605}, "", "", "", false},
	{"park:bois-de-vincennes", "Bois de Vincennes (lac Daumesnil)", KindPark, 12, Point{48.8330, 2.4130}, "", "", "", false},
	{"shop:fnac-montparnasse", "Fnac Montparnasse", KindShop, 6, Point{48.8433, 2.3245}, "FNAC MONTPARNASSE", mccBooks, "fnac", false},
	{"shop:fnac-saint-lazare", "Fnac Saint-Lazare", KindShop, 8, Point{48.8756, 2.3262}, "FNAC SAINT LAZARE", mccBooks, "fnac", false},
	{"shop:fnac-ternes", "Fnac Ternes", KindShop, 17, Point{48.8790, 2.2960}, "FNAC TERNES", mccBooks, "fnac", false},
	{"shop:fnac-bastille", "Fnac Bastille", KindShop, 12, Point{48.8530, 2.3700}, "FNAC BASTILLE", mccBooks, "fnac", false},
	{"cafe:starbucks-opera", "Starbucks Opéra", KindCafe, 9, Point{48.8714, 2.3310}, "STARBUCKS OPERA", mccCafe, "starbucks", false},
	{"cafe:starbucks-saint-lazare", "Starbucks Saint-Lazare", KindCafe, 8, Point{48.8758, 2.3250}, "STARBUCKS ST LAZARE", mccCafe, "starbucks", false},
	{"cafe:starbucks-montparnasse", "Starbucks Montparnasse", KindCafe, 15, Point{48.8420, 2.3210}, "STARBUCKS MONTPARNASSE", mccCafe, "starbucks", false},
	{"cafe:starbucks-gare-de-lyon", "Starbucks Gare de Lyon", KindCafe, 12, Point{48.8447, 2.3745}, "STARBUCKS GARE DE LYON", mccCafe, "starbucks", false},
	{"cafe:starbucks-republique", "Starbucks République", KindCafe, 11, Point{48.8672, 2.3640}, "STARBUCKS REPUBLIQUE", mccCafe, "starbucks", false},
	{"cafe:starbucks-saint-michel", "Starbucks Saint-Michel", KindCafe, 5, Point{48.8532, 2.3445}, "STARBUCKS ST MICHEL", mccCafe, "starbucks", false},
	{"cafe:starbucks-champs-elysees", "Starbucks Champs-Élysées", KindCafe, 8, Point{48.8712, 2.3030}, "STARBUCKS CHAMPS ELYSEES", mccCafe, "starbucks", false},
	{"cafe:starbucks-bastille", "Starbucks Bastille", KindCafe, 11, Point{48.8535, 2.3690}, "STARBUCKS BASTILLE", mccCafe, "starbucks", false},
}

// generatedPlaces are the places drawn for the city, made once: the city
// is the same for every seed, so a world is a seed's people in it.
var generatedPlaces = sync.OnceValue(func() []placeDef {
	r := seeded(0, "city", "places")
	var out []placeDef
	seen := map[string]int{}
	for _, g := range genSpecs {
		for range g.n {
			var pt Point
			var arr int
			if g.nearJob {
				pt, arr = jobPoint(r)
			} else {
				pt, arr = homePoint(r)
			}
			label, chain := g.label, ""
			if g.chain != "" && r.Float64() < g.chainP {
				label, chain = g.chainLb, g.chain
			}
			name := fmt.Sprintf("%s %s (%s)", label, nameWords[r.IntN(len(nameWords))], ordinal(arr))
			id := string(g.kind) + ":" + slug(name)
			seen[id]++
			if n := seen[id]; n > 1 {
				id += "-" + strconv.Itoa(n)
			}
			merchant := ""
			if g.mcc != "" {
				merchant = upperASCII(fmt.Sprintf("%s %d", label, arr))
			}
			out = append(out, placeDef{id, name, g.kind, arr, pt, merchant, g.mcc, chain, false})
		}
	}
	return out
})

// ordinal writes an arrondissement the French way: "1er", "2e", "11e".
func ordinal(arr int) string {
	if arr == 1 {
		return "1er"
	}
	return strconv.Itoa(arr) + "e"
}

// Tower layout: a mobile network is dimensioned for its traffic, so sites
// are closest where most people live and work. Paris's operators run one
// site every 200 to 400 m in the dense centre and sparser ones towards the
// woods and the suburbs (ANFR's public map, cartoradio.fr). The spacing is
// sqrt(siteLoad/density), so each site serves about siteLoad people.
const (
	siteLoad     = 5_400 // residents plus jobs per site, per km² of spacing²
	minSpacingM  = 200
	maxSpacingM  = 900
	towerStepM   = 100    // the candidate grid the sites are chosen from
	towerMarginM = 1_200  // coverage beyond the districts' edge
	poissonShare = 0.85   // minimum distance between sites, as a share of the spacing
	towerNudgeM  = 40.0   // candidates are nudged up to this, so no row is straight
	towerGridKey = "city" // hash key of the layout: fixed, as the city is
)

// spacingAt is the distance between sites the network has around p.
func spacingAt(p Point) float64 {
	return math.Max(minSpacingM, math.Min(maxSpacingM, 1000*math.Sqrt(siteLoad/density(p))))
}

// towerPoints lays the network out once: candidates on a fine grid over the
// districts and their margin, visited in a fixed pseudo-random order, each
// kept unless a kept site is nearer than poissonShare of the local spacing
// (a Poisson-disc layout: even but irregular, as real networks are).
var towerPoints = sync.OnceValue(func() []Point {
	minLat, maxLat, minLon, maxLon := 90.0, -90.0, 180.0, -180.0
	for _, d := range districts {
		sw := offset(d.centre, -d.radiusM-towerMarginM, -d.radiusM-towerMarginM)
		ne := offset(d.centre, d.radiusM+towerMarginM, d.radiusM+towerMarginM)
		minLat, maxLat = math.Min(minLat, sw.Lat), math.Max(maxLat, ne.Lat)
		minLon, maxLon = math.Min(minLon, sw.Lon), math.Max(maxLon, ne.Lon)
	}
	sw := Point{minLat, minLon}
	north := Distance(sw, Point{maxLat, minLon})
	east := Distance(sw, Point{minLat, maxLon})
	type cand struct {
		p   Point
		key uint64
		s   float64
	}
	var cs []cand
	for y := 0.0; y <= north; y += towerStepM {
		for x := 0.0; x <= east; x += towerStepM {
			h := hashBytes(towerGridKey, "tower", strconv.Itoa(int(y)), strconv.Itoa(int(x)))
			dn := (float64(h[0])/255 - 0.5) * 2 * towerNudgeM
			de := (float64(h[1])/255 - 0.5) * 2 * towerNudgeM
			p := offset(sw, y+dn, x+de)
			key := uint64(h[2])<<40 | uint64(h[3])<<32 | uint64(h[4])<<24 | uint64(h[5])<<16 | uint64(h[6])<<8 | uint64(h[7])
			cs = append(cs, cand{p, key, spacingAt(p)})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].key < cs[j].key })
	// Kept sites are bucketed by maxSpacingM cells for the distance checks.
	const cell = maxSpacingM
	kx := math.Cos(sw.Lat * math.Pi / 180)
	cellOf := func(p Point) [2]int {
		return [2]int{int((p.Lat - sw.Lat) * 111_320 / cell), int((p.Lon - sw.Lon) * 111_320 * kx / cell)}
	}
	buckets := map[[2]int][]Point{}
	var out []Point
next:
	for _, c := range cs {
		min := poissonShare * c.s
		k := cellOf(c.p)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				for _, q := range buckets[[2]int{k[0] + dy, k[1] + dx}] {
					if Distance(c.p, q) < min {
						continue next
					}
				}
			}
		}
		buckets[k] = append(buckets[k], c.p)
		out = append(out, c.p)
	}
	// Ids follow the map, north-west to south-east, so neighbours have
	// close numbers.
	sort.Slice(out, func(i, j int) bool {
		ri, rj := int(out[i].Lat*1000), int(out[j].Lat*1000)
		if ri != rj {
			return ri > rj
		}
		return out[i].Lon < out[j].Lon
	})
	return out
})

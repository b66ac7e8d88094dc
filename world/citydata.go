package world

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// stationDef is a metro station with its approximate real position.
type stationDef struct {
	name     string
	lat, lon float64
}

// metroStations are real Paris stations, positions approximate (platform
// centroids rounded to about 20 m). Interchanges appear once.
var metroStations = []stationDef{
	{"Charles de Gaulle–Étoile", 48.8738, 2.2950},
	{"George V", 48.8720, 2.3006},
	{"Franklin D. Roosevelt", 48.8690, 2.3095},
	{"Concorde", 48.8656, 2.3211},
	{"Tuileries", 48.8644, 2.3297},
	{"Palais Royal–Musée du Louvre", 48.8625, 2.3364},
	{"Louvre–Rivoli", 48.8608, 2.3409},
	{"Châtelet", 48.8584, 2.3474},
	{"Hôtel de Ville", 48.8574, 2.3522},
	{"Saint-Paul", 48.8551, 2.3607},
	{"Bastille", 48.8531, 2.3691},
	{"Gare de Lyon", 48.8446, 2.3735},
	{"Reuilly–Diderot", 48.8472, 2.3866},
	{"Nation", 48.8482, 2.3959},
	{"Porte de Vincennes", 48.8470, 2.4107},
	{"Saint-Mandé", 48.8462, 2.4188},
	{"Bérault", 48.8454, 2.4284},
	{"Château de Vincennes", 48.8443, 2.4406},
	// line 4
	{"Porte de Clignancourt", 48.8975, 2.3445},
	{"Simplon", 48.8942, 2.3476},
	{"Marcadet–Poissonniers", 48.8913, 2.3497},
	{"Château Rouge", 48.8871, 2.3494},
	{"Barbès–Rochechouart", 48.8837, 2.3496},
	{"Gare du Nord", 48.8797, 2.3553},
	{"Gare de l'Est", 48.8762, 2.3581},
	{"Château d'Eau", 48.8724, 2.3560},
	{"Strasbourg–Saint-Denis", 48.8696, 2.3543},
	{"Réaumur–Sébastopol", 48.8663, 2.3522},
	{"Étienne Marcel", 48.8637, 2.3489},
	{"Les Halles", 48.8625, 2.3460},
	{"Cité", 48.8553, 2.3469},
	{"Saint-Michel", 48.8535, 2.3440},
	{"Odéon", 48.8520, 2.3387},
	{"Saint-Germain-des-Prés", 48.8539, 2.3336},
	{"Saint-Sulpice", 48.8512, 2.3307},
	{"Saint-Placide", 48.8470, 2.3270},
	{"Montparnasse–Bienvenüe", 48.8428, 2.3213},
	{"Vavin", 48.8420, 2.3289},
	{"Raspail", 48.8391, 2.3306},
	{"Denfert-Rochereau", 48.8338, 2.3324},
	// line 7
	{"Porte de la Villette", 48.8978, 2.3858},
	{"Corentin Cariou", 48.8946, 2.3822},
	{"Crimée", 48.8909, 2.3770},
	{"Riquet", 48.8882, 2.3736},
	{"Stalingrad", 48.8843, 2.3679},
	{"Louis Blanc", 48.8813, 2.3643},
	{"Château-Landon", 48.8784, 2.3622},
	{"Poissonnière", 48.8771, 2.3488},
	{"Cadet", 48.8759, 2.3444},
	{"Le Peletier", 48.8749, 2.3401},
	{"Chaussée d'Antin–La Fayette", 48.8731, 2.3336},
	{"Opéra", 48.8707, 2.3321},
	{"Pyramides", 48.8658, 2.3345},
	{"Pont Neuf", 48.8585, 2.3419},
	{"Pont Marie", 48.8534, 2.3574},
	{"Sully–Morland", 48.8512, 2.3617},
	{"Jussieu", 48.8461, 2.3551},
	{"Place Monge", 48.8426, 2.3522},
	{"Censier–Daubenton", 48.8402, 2.3517},
	{"Les Gobelins", 48.8357, 2.3525},
	{"Place d'Italie", 48.8310, 2.3556},
	// line 14
	{"Saint-Lazare", 48.8754, 2.3258},
	{"Madeleine", 48.8700, 2.3245},
	{"Bercy", 48.8401, 2.3795},
	{"Cour Saint-Émilion", 48.8333, 2.3867},
	{"Bibliothèque François Mitterrand", 48.8299, 2.3764},
	{"Olympiades", 48.8270, 2.3670},
	// line 2
	{"Ternes", 48.8781, 2.2982},
	{"Courcelles", 48.8794, 2.3036},
	{"Monceau", 48.8805, 2.3094},
	{"Villiers", 48.8810, 2.3158},
	{"Rome", 48.8823, 2.3214},
	{"Place de Clichy", 48.8836, 2.3275},
	{"Blanche", 48.8838, 2.3323},
	{"Pigalle", 48.8821, 2.3372},
	{"Anvers", 48.8828, 2.3441},
	{"La Chapelle", 48.8844, 2.3602},
	{"Jaurès", 48.8826, 2.3707},
	{"Colonel Fabien", 48.8779, 2.3705},
	{"Belleville", 48.8722, 2.3767},
	{"Couronnes", 48.8690, 2.3803},
	{"Ménilmontant", 48.8663, 2.3833},
	{"Père Lachaise", 48.8625, 2.3873},
	{"Philippe Auguste", 48.8581, 2.3902},
	{"Alexandre Dumas", 48.8563, 2.3947},
	{"Avron", 48.8517, 2.3981},
	// line 11
	{"Rambuteau", 48.8612, 2.3532},
	{"Arts et Métiers", 48.8654, 2.3565},
	{"République", 48.8675, 2.3637},
	{"Goncourt", 48.8700, 2.3707},
	{"Pyrénées", 48.8738, 2.3853},
	{"Jourdain", 48.8752, 2.3894},
	{"Place des Fêtes", 48.8768, 2.3932},
	// line 6
	{"Bir-Hakeim", 48.8539, 2.2894},
	{"Dupleix", 48.8504, 2.2937},
	{"La Motte-Picquet–Grenelle", 48.8496, 2.2984},
	{"Cambronne", 48.8475, 2.3029},
	{"Sèvres–Lecourbe", 48.8456, 2.3096},
	{"Pasteur", 48.8426, 2.3128},
	{"Edgar Quinet", 48.8409, 2.3251},
	{"Kléber", 48.8714, 2.2934},
	{"Boissière", 48.8668, 2.2902},
	{"Trocadéro", 48.8632, 2.2873},
	{"Passy", 48.8576, 2.2858},
	{"Saint-Jacques", 48.8329, 2.3371},
	{"Glacière", 48.8311, 2.3434},
	{"Corvisart", 48.8297, 2.3505},
	{"Nationale", 48.8332, 2.3627},
	{"Chevaleret", 48.8349, 2.3681},
	{"Quai de la Gare", 48.8371, 2.3727},
	{"Dugommier", 48.8390, 2.3894},
	{"Daumesnil", 48.8395, 2.3957},
	{"Bel-Air", 48.8414, 2.4009},
	{"Picpus", 48.8451, 2.4013},
}

// metroLines lists each line's stations in order. Lines are real; some are
// cut short where the simulated city ends.
var metroLines = []struct {
	name     string
	stations []string
}{
	{"1", []string{"Charles de Gaulle–Étoile", "George V", "Franklin D. Roosevelt", "Concorde", "Tuileries",
		"Palais Royal–Musée du Louvre", "Louvre–Rivoli", "Châtelet", "Hôtel de Ville", "Saint-Paul", "Bastille",
		"Gare de Lyon", "Reuilly–Diderot", "Nation", "Porte de Vincennes", "Saint-Mandé", "Bérault", "Château de Vincennes"}},
	{"2", []string{"Charles de Gaulle–Étoile", "Ternes", "Courcelles", "Monceau", "Villiers", "Rome", "Place de Clichy",
		"Blanche", "Pigalle", "Anvers", "Barbès–Rochechouart", "La Chapelle", "Stalingrad", "Jaurès", "Colonel Fabien",
		"Belleville", "Couronnes", "Ménilmontant", "Père Lachaise", "Philippe Auguste", "Alexandre Dumas", "Avron", "Nation"}},
	{"4", []string{"Porte de Clignancourt", "Simplon", "Marcadet–Poissonniers", "Château Rouge", "Barbès–Rochechouart",
		"Gare du Nord", "Gare de l'Est", "Château d'Eau", "Strasbourg–Saint-Denis", "Réaumur–Sébastopol", "Étienne Marcel",
		"Les Halles", "Châtelet", "Cité", "Saint-Michel", "Odéon", "Saint-Germain-des-Prés", "Saint-Sulpice", "Saint-Placide",
		"Montparnasse–Bienvenüe", "Vavin", "Raspail", "Denfert-Rochereau"}},
	{"6", []string{"Charles de Gaulle–Étoile", "Kléber", "Boissière", "Trocadéro", "Passy", "Bir-Hakeim", "Dupleix", "La Motte-Picquet–Grenelle", "Cambronne",
		"Sèvres–Lecourbe", "Pasteur", "Montparnasse–Bienvenüe", "Edgar Quinet", "Raspail", "Denfert-Rochereau",
		"Saint-Jacques", "Glacière", "Corvisart", "Place d'Italie", "Nationale", "Chevaleret", "Quai de la Gare", "Bercy",
		"Dugommier", "Daumesnil", "Bel-Air", "Picpus", "Nation"}},
	{"7", []string{"Porte de la Villette", "Corentin Cariou", "Crimée", "Riquet", "Stalingrad", "Louis Blanc",
		"Château-Landon", "Gare de l'Est", "Poissonnière", "Cadet", "Le Peletier", "Chaussée d'Antin–La Fayette", "Opéra",
		"Pyramides", "Palais Royal–Musée du Louvre", "Pont Neuf", "Châtelet", "Pont Marie", "Sully–Morland", "Jussieu",
		"Place Monge", "Censier–Daubenton", "Les Gobelins", "Place d'Italie"}},
	{"11", []string{"Châtelet", "Hôtel de Ville", "Rambuteau", "Arts et Métiers", "République", "Goncourt", "Belleville",
		"Pyrénées", "Jourdain", "Place des Fêtes"}},
	{"14", []string{"Saint-Lazare", "Madeleine", "Pyramides", "Châtelet", "Gare de Lyon", "Bercy", "Cour Saint-Émilion",
		"Bibliothèque François Mitterrand", "Olympiades"}},
}

// Chatelet is the city's centre: the Châtelet interchange next to the mall.
var Chatelet = Point{Lat: 48.8584, Lon: 2.3474}

type placeDef struct {
	id, name string
	kind     PlaceKind
	arr      int
	point    Point
	merchant string
	mcc      string
	chain    string
	inMall   bool
}

// Mall and shop ids the scenario refers to.
const (
	MallID      = "mall:forum-des-halles"
	FnacID      = "shop:fnac-forum"
	StarbucksID = "cafe:starbucks-forum"
	MallSSID    = "Forum-WiFi"
	CafeSSID    = "Starbucks WiFi"
)

// fixedPlaces are the city's non-home, non-station places.
var fixedPlaces = []placeDef{
	// Offices.
	{"office:opera", "Bureaux Opéra", KindOffice, 9, Point{48.8712, 2.3338}, "", "", "", false},
	{"office:sentier", "Bureaux Sentier", KindOffice, 2, Point{48.8683, 2.3468}, "", "", "", false},
	{"office:bercy", "Bureaux Bercy", KindOffice, 12, Point{48.8388, 2.3820}, "", "", "", false},
	{"office:montparnasse", "Tour Montparnasse", KindOffice, 15, Point{48.8421, 2.3220}, "", "", "", false},
	{"office:saint-lazare", "Bureaux Saint-Lazare", KindOffice, 8, Point{48.8762, 2.3242}, "", "", "", false},
	{"office:gare-de-lyon", "Bureaux Gare de Lyon", KindOffice, 12, Point{48.8452, 2.3752}, "", "", "", false},
	{"office:rive-gauche", "Bureaux Paris Rive Gauche", KindOffice, 13, Point{48.8306, 2.3788}, "", "", "", false},
	{"office:republique", "Bureaux République", KindOffice, 10, Point{48.8688, 2.3625}, "", "", "", false},
	// Lunch places near offices.
	{"cafe:brasserie-opera", "Brasserie de l'Opéra", KindCafe, 9, Point{48.8705, 2.3345}, "BRASSERIE DE L OPERA", "5812", "", false},
	{"cafe:cantine-sentier", "La Cantine du Sentier", KindCafe, 2, Point{48.8678, 2.3475}, "CANTINE DU SENTIER", "5812", "", false},
	{"cafe:bistrot-bercy", "Bistrot Bercy Village", KindCafe, 12, Point{48.8380, 2.3835}, "BISTROT BERCY", "5812", "", false},
	{"cafe:creperie-montparnasse", "Crêperie du Montparnasse", KindCafe, 14, Point{48.8415, 2.3235}, "CREPERIE MONTPARNASSE", "5812", "", false},
	{"cafe:cafe-rome", "Café de Rome", KindCafe, 8, Point{48.8768, 2.3252}, "CAFE DE ROME", "5814", "", false},
	{"cafe:bouillon-republique", "Bouillon République", KindCafe, 10, Point{48.8680, 2.3640}, "BOUILLON REPUBLIQUE", "5812", "", false},
	// Gyms.
	{"gym:republique", "Salle de sport République", KindGym, 11, Point{48.8663, 2.3660}, "NEOFORME REPUBLIQUE", "7997", "", false},
	{"gym:montparnasse", "Piscine et gym Montparnasse", KindGym, 15, Point{48.8440, 2.3165}, "PISCINE MONTPARNASSE", "7997", "", false},
	// Parks.
	{"park:buttes-chaumont", "Parc des Buttes-Chaumont", KindPark, 19, Point{48.8809, 2.3831}, "", "", "", false},
	{"park:luxembourg", "Jardin du Luxembourg", KindPark, 6, Point{48.8462, 2.3372}, "", "", "", false},
	{"park:monceau", "Parc Monceau", KindPark, 8, Point{48.8797, 2.3088}, "", "", "", false},
	{"park:bercy", "Parc de Bercy", KindPark, 12, Point{48.8355, 2.3825}, "", "", "", false},
	{"park:jardin-des-plantes", "Jardin des Plantes", KindPark, 5, Point{48.8440, 2.3590}, "", "", "", false},
	// The mall and its shops, west to east along the mall.
	{MallID, "Forum des Halles", KindMall, 1, Point{48.8622, 2.3468}, "", "", "", false},
	{"shop:maison-lin", "Maison Lin (vêtements)", KindShop, 1, Point{48.8619, 2.3445}, "MAISON LIN FORUM", "5651", "maisonlin", true},
	{FnacID, "Fnac Forum des Halles", KindShop, 1, Point{48.8621, 2.3453}, "FNAC FORUM DES HALLES", "5942", "fnac", true},
	{"shop:pharmacie-forum", "Pharmacie du Forum", KindShop, 1, Point{48.8624, 2.3461}, "PHARMACIE DU FORUM", "5912", "", true},
	{"shop:electro-forum", "Électro Forum", KindShop, 1, Point{48.8620, 2.3470}, "ELECTRO FORUM", "5732", "", true},
	{"shop:marche-halles", "Marché des Halles", KindShop, 1, Point{48.8617, 2.3477}, "MARCHE DES HALLES", "5411", "marche", true},
	{StarbucksID, "Starbucks Forum des Halles", KindCafe, 1, Point{48.8626, 2.3484}, "STARBUCKS FORUM HALLES", "5814", "starbucks", true},
	{"shop:chaussures-forum", "Pas à Pas (chaussures)", KindShop, 1, Point{48.8628, 2.3492}, "PAS A PAS FORUM", "5661", "", true},
}

// mallAPs are the mall network's access points, west to east along the
// mall. Two of them flank the café, so its customers are heard by both.
var mallAPs = []Point{
	{48.8619, 2.3442}, {48.8621, 2.3456}, {48.8621, 2.3468},
	{48.8623, 2.3479}, {48.8628, 2.3488}, {48.8625, 2.3497},
}

// cafeAPs are the café's own access points.
var cafeAPs = []Point{{48.8625, 2.3482}, {48.8627, 2.3486}}

// NewCity builds the city. It is deterministic and needs no seed: homes are
// added by New, one per person.
func NewCity() *City {
	c := &City{byID: map[string]*Place{}}
	byName := map[string]*Station{}
	for _, d := range metroStations {
		st := &Station{ID: "station:" + slug(d.name), Name: d.name, Point: Point{d.lat, d.lon}}
		p := &Place{ID: st.ID, Name: d.name, Kind: KindStation, Point: st.Point,
			Arrondissement: arrondissementOf(st.Point),
			Merchant:       "RATP " + stationMerchant(d.name), MCC: "4111", Station: st}
		st.Place = p
		byName[d.name] = st
		c.Stations = append(c.Stations, st)
		c.add(p)
	}
	for _, ld := range metroLines {
		l := &Line{Name: ld.name}
		for _, n := range ld.stations {
			st := byName[n]
			if st == nil {
				panic("world: line " + ld.name + " has unknown station " + n)
			}
			l.Stations = append(l.Stations, st)
			st.Lines = append(st.Lines, ld.name)
		}
		c.Lines = append(c.Lines, l)
	}
	var mall *Place
	defs := append(append(slices.Clip(fixedPlaces), namedPlaces...), generatedPlaces()...)
	for _, d := range defs {
		p := &Place{ID: d.id, Name: d.name, Kind: d.kind, Arrondissement: d.arr, Point: d.point,
			Merchant: d.merchant, MCC: d.mcc, Chain: d.chain}
		if d.kind == KindMall {
			mall = p
		}
		if d.inMall {
			p.Mall = mall
		}
		c.add(p)
	}
	for i, pt := range mallAPs {
		c.addAP(mall, MallSSID, fmt.Sprintf("forum-%d", i+1), pt, true)
	}
	cafe := c.Place(StarbucksID)
	for i, pt := range cafeAPs {
		c.addAP(cafe, CafeSSID, fmt.Sprintf("starbucks-%d", i+1), pt, true)
	}
	// The chain's other cafés have the same network: two APs each, a few
	// metres either side of the counter.
	for _, p := range c.Places {
		if p.Chain == "starbucks" && p != cafe {
			c.addAP(p, CafeSSID, strings.TrimPrefix(p.ID, "cafe:")+"-1", offset(p.Point, 4, -6), true)
			c.addAP(p, CafeSSID, strings.TrimPrefix(p.ID, "cafe:")+"-2", offset(p.Point, -3, 7), true)
		}
	}
	// Shops inside the mall are covered by the mall's network too.
	for _, p := range c.Places {
		if p.Mall != nil && p != cafe {
			p.APs = append(p.APs, mall.APs...)
		}
	}
	c.buildTowers()
	return c
}

func (c *City) add(p *Place) {
	if c.byID[p.ID] != nil {
		panic("world: duplicate place id " + p.ID)
	}
	c.byID[p.ID] = p
	c.Places = append(c.Places, p)
	if c.byKind == nil {
		c.byKind = map[PlaceKind][]*Place{}
	}
	c.byKind[p.Kind] = append(c.byKind[p.Kind], p)
}

// addAP installs an access point with a stable BSSID derived from its name.
func (c *City) addAP(p *Place, ssid, name string, pt Point, portal bool) {
	h := hashBytes("bssid", name)
	// 00:1a:1e is an enterprise Wi-Fi vendor prefix; the rest is stable per AP.
	ap := &AccessPoint{
		BSSID:  fmt.Sprintf("00:1a:1e:%02x:%02x:%02x", h[0], h[1], h[2]),
		SSID:   ssid,
		Place:  p,
		Point:  pt,
		Portal: portal,
	}
	p.APs = append(p.APs, ap)
	c.APs = append(c.APs, ap)
}

// stationMerchant is how a ticket machine appears on a bank statement.
func stationMerchant(name string) string {
	return "DISTRIB " + upperASCII(name)
}

func upperASCII(s string) string {
	b := []byte(deaccent(s))
	for i, ch := range b {
		if ch >= 'a' && ch <= 'z' {
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}

// arrondissementOf guesses the arrondissement of a point from the nearest
// known anchor. It is only used for labels.
func arrondissementOf(p Point) int {
	best, bestD := 1, math.Inf(1)
	for _, a := range arrAnchors {
		if d := Distance(p, a.p); d < bestD {
			best, bestD = a.arr, d
		}
	}
	return best
}

// arrAnchors are rough centres of the twenty arrondissements.
var arrAnchors = []struct {
	arr int
	p   Point
}{
	{1, Point{48.8625, 2.3363}}, {2, Point{48.8683, 2.3428}}, {3, Point{48.8630, 2.3601}},
	{4, Point{48.8543, 2.3576}}, {5, Point{48.8445, 2.3507}}, {6, Point{48.8491, 2.3328}},
	{7, Point{48.8562, 2.3122}}, {8, Point{48.8727, 2.3125}}, {9, Point{48.8770, 2.3375}},
	{10, Point{48.8761, 2.3607}}, {11, Point{48.8591, 2.3800}}, {12, Point{48.8350, 2.4213}},
	{13, Point{48.8283, 2.3623}}, {14, Point{48.8292, 2.3266}}, {15, Point{48.8401, 2.2928}},
	{16, Point{48.8604, 2.2620}}, {17, Point{48.8873, 2.3067}}, {18, Point{48.8925, 2.3484}},
	{19, Point{48.8871, 2.3848}}, {20, Point{48.8634, 2.4011}},
}

// buildTowers installs the network's sites (towerPoints), numbered T001….
func (c *City) buildTowers() {
	for i, p := range towerPoints() {
		c.Towers = append(c.Towers, &Tower{ID: fmt.Sprintf("T%03d", i+1), Point: p})
	}
}

package world

import (
	"math/rand/v2"
	"sync"
	"time"
)

// occupationShares are the shares of the simulated population (people with
// a phone, 15 and over) by occupation. Sources, for Paris and Île-de-France:
// INSEE's census (about 17 % retired, 10 % pupils and students among the
// over-15s, about 63 % in work), DARES (2018: about 4 % of employees work
// at night usually, about 10 % in shifts), and the post-2020 surveys that
// count about one worker in seven working from home most days; visitors
// are the hotels' guests (Paris has about 85,000 hotel rooms for 2.1
// million residents, so a few percent of the people in the city on a
// given day).
var occupationShares = []struct {
	occ   Occupation
	share float64
}{
	{OccOffice, 0.43},
	{OccShift, 0.10},
	{OccNight, 0.03},
	{OccStudent, 0.10},
	{OccRetired, 0.17},
	{OccRemote, 0.11},
	{OccVisitor, 0.06},
}

// heroOffice is where the narrator works on weekdays.
const heroOffice = "office:sentier"

// Visitors' stays: arrival on one of the first days of a week, a stay of
// a few days (Paris's hotel guests stay 2.4 nights on average, per the
// Paris tourist office).
const (
	visitorArrivalDays = 7
	visitorMinDays     = 2
	visitorMaxDays     = 5
)

// genOccupation draws what person i does; the hero works in an office.
func genOccupation(seed int64, i int) Occupation {
	if i == 0 {
		return OccOffice
	}
	x := seeded(seed, "occupation", PersonID(i)).Float64()
	for _, o := range occupationShares {
		if x -= o.share; x < 0 {
			return o.occ
		}
	}
	return OccOffice
}

// heroHome is where the narrator lives: a flat in the 20e near the
// Alexandre Dumas station (line 2).
var heroHome = Point{Lat: 48.8556, Lon: 2.3962}

// genHome places person i's home: a point of an arrondissement drawn by its
// residents (districts), or for a visitor a hotel, which is not a home of
// their own and is not added to the city.
func genHome(seed int64, i int, occ Occupation, c *City) *Place {
	id := PersonID(i)
	if i == 0 {
		return &Place{ID: "home:" + id, Name: "Home of " + id, Kind: KindHome, Point: heroHome, Arrondissement: 20}
	}
	r := seeded(seed, "home", id)
	if occ == OccVisitor {
		hotels := c.PlacesOf(KindHotel)
		return hotels[r.IntN(len(hotels))]
	}
	pt, arr := homePoint(r)
	return &Place{ID: "home:" + id, Name: "Home of " + id, Kind: KindHome, Point: pt, Arrondissement: arr}
}

// life is what a person's days are made of beyond their habits: where they
// work and when, and the places near home they frequent.
type life struct {
	locals [nUses]localSet // by use: nearest to home first
	lunch  localSet        // restaurants near work
	// shiftPhase staggers shift and night workers' rotas, so that a
	// hospital is never empty.
	shiftPhase int
	sightsSeen []*Place // visitors: sights of their stay, in order
}

// settle gives person i, already drawn by genPerson, their occupation, work,
// local places and, for visitors, their stay. It has its own generator so
// that identity draws and life draws do not shift each other.
func settle(seed int64, i int, p *Person, occ Occupation, c *City) {
	r := seeded(seed, "life", p.ID)
	p.Occupation = occ
	p.Work = nil
	switch occ {
	case OccOffice:
		p.Work = pickBy(r, c.PlacesOf(KindOffice), officeWeight)
	case OccShift:
		p.Work = pickWorkplace(r, c, []PlaceKind{KindHospital, KindShop, KindHotel, KindStation}, []float64{0.4, 0.3, 0.15, 0.15})
	case OccNight:
		p.Work = pickWorkplace(r, c, []PlaceKind{KindHospital, KindHotel, KindOffice}, []float64{0.5, 0.3, 0.2})
	case OccStudent:
		p.Work = pickBy(r, c.PlacesOf(KindCampus), func(*Place) float64 { return 1 })
	case OccVisitor:
		p.Arrive = 1 + r.IntN(visitorArrivalDays)
		p.Leave = p.Arrive + visitorMinDays - 1 + r.IntN(visitorMaxDays-visitorMinDays+1)
		p.PassID = "" // visitors buy single tickets
		clear(p.Loyalty)
		sights := c.PlacesOf(KindSight)
		for _, k := range r.Perm(len(sights)) {
			if sights[k].MCC != mccCinema {
				p.life.sightsSeen = append(p.life.sightsSeen, sights[k])
			}
		}
	}
	if i == 0 {
		p.Work = c.Place(heroOffice)
	}
	p.life.shiftPhase = r.IntN(14)
	for u := range nUses {
		p.life.locals[u] = c.nearestSet(u, p.Home.Point)
	}
	if p.Work != nil {
		p.life.lunch = c.nearestSet(useRestaurant, p.Work.Point)
	}
	adjustHabits(r, p)
}

// officeWeight is how many people an office employs, relatively: the named
// business centres are large; generated offices follow a long tail (a few
// big employers, many small firms), by a hash of their id.
func officeWeight(p *Place) float64 { return officeWeights()[p.ID] }

var officeWeights = sync.OnceValue(func() map[string]float64 {
	w := map[string]float64{}
	for _, d := range fixedPlaces {
		if d.kind == KindOffice {
			w[d.id] = 20
		}
	}
	for _, d := range generatedPlaces() {
		if d.kind == KindOffice {
			h := hashBytes("office-size", d.id)
			// Pareto-like: 1/u over u in (0.05, 1]: most are 1-3, a few are 20.
			w[d.id] = 1 / (0.05 + 0.95*float64(h[0])/255)
		}
	}
	return w
})

// pickWorkplace draws a kind of workplace by share, then one of them.
func pickWorkplace(r *rand.Rand, c *City, kinds []PlaceKind, shares []float64) *Place {
	x := r.Float64()
	k := kinds[len(kinds)-1]
	for i, s := range shares {
		if x -= s; x < 0 {
			k = kinds[i]
			break
		}
	}
	ps := c.PlacesOf(k)
	if k == KindShop {
		var out []*Place
		for _, p := range ps {
			if p.MCC == mccGrocery || p.MCC == mccBakery || p.Mall != nil {
				out = append(out, p)
			}
		}
		ps = out
	}
	return ps[r.IntN(len(ps))]
}

// adjustHabits shifts the usual hours by occupation: students rise late,
// retirees early and without a weekend shift, night workers go to bed late
// on their nights off.
func adjustHabits(r *rand.Rand, p *Person) {
	h := &p.Habits
	switch p.Occupation {
	case OccStudent:
		h.Wake += time.Duration(45+r.IntN(60)) * time.Minute
		h.Bed += time.Duration(30+r.IntN(60)) * time.Minute
	case OccRetired:
		h.WeekendLate = 0
		h.Bed -= time.Duration(r.IntN(45)) * time.Minute
	case OccNight:
		h.Wake = 9*time.Hour + time.Duration(r.IntN(90))*time.Minute
		h.Bed = 24*time.Hour + time.Duration(r.IntN(90))*time.Minute
	case OccVisitor:
		h.WeekendLate = 0
	}
}

// Shift rotas.
const (
	shiftEarly     = 6 * time.Hour  // early shift start (hospitals, shops, transport)
	shiftLate      = 14 * time.Hour // late shift start
	shiftLength    = 8 * time.Hour
	nightStart     = 21*time.Hour + 30*time.Minute
	nightEnd       = 6*time.Hour + 30*time.Minute // the next morning
	nightsPerCycle = 4                            // nights on out of every 7
)

// worksShift reports whether a shift worker works on day, and whether it is
// the early shift: five days on out of seven, rest days rotating, early and
// late shifts alternating week by week.
func (p *Person) worksShift(day int) (works, early bool) {
	k := day - 1 + p.life.shiftPhase
	return k%7 < 5, (k/7)%2 == 0
}

// worksNight reports whether a night worker works the night that starts in
// the evening of day.
func (p *Person) worksNight(day int) bool {
	if day < 0 {
		return false
	}
	return (day-1+p.life.shiftPhase)%7 < nightsPerCycle
}

package world

import (
	"math"
	"math/rand/v2"
)

// district is one of Paris's twenty arrondissements as the simulation
// spreads people and jobs over it: a disc of the arrondissement's area
// around a point of its built-up part.
type district struct {
	arr      int
	centre   Point
	areaKm2  float64 // built-up area: the Bois de Boulogne and de Vincennes are left out
	pop      int     // residents
	jobs     int     // jobs located there
	radiusM  float64 // of the disc with the district's area
	homeDens float64 // residents per km²
	jobDens  float64 // jobs per km²
}

// districts are the arrondissements with their residents and jobs.
//
// Residents are INSEE's legal populations of 2021 rounded to the thousand
// (Paris: 2.13 million); jobs are INSEE's jobs at place of work (census,
// about 1.9 million in all), rounded and approximate to ±15 %. Areas are
// the official ones, without the two woods. The shape is what matters: the
// outer arrondissements (15e, 18e, 20e) house the most people, the centre
// and the west (8e, 9e, 2e) hold the jobs, so most people commute inwards.
// Centres are the middle of each arrondissement's built-up part.
var districts = func() []district {
	ds := []district{
		{arr: 1, centre: Point{48.8625, 2.3363}, areaKm2: 1.83, pop: 16_000, jobs: 65_000},
		{arr: 2, centre: Point{48.8683, 2.3428}, areaKm2: 0.99, pop: 20_000, jobs: 75_000},
		{arr: 3, centre: Point{48.8630, 2.3601}, areaKm2: 1.17, pop: 33_000, jobs: 40_000},
		{arr: 4, centre: Point{48.8543, 2.3576}, areaKm2: 1.60, pop: 28_000, jobs: 40_000},
		{arr: 5, centre: Point{48.8445, 2.3507}, areaKm2: 2.54, pop: 57_000, jobs: 50_000},
		{arr: 6, centre: Point{48.8491, 2.3328}, areaKm2: 2.15, pop: 40_000, jobs: 50_000},
		{arr: 7, centre: Point{48.8562, 2.3122}, areaKm2: 4.09, pop: 48_000, jobs: 95_000},
		{arr: 8, centre: Point{48.8727, 2.3125}, areaKm2: 3.88, pop: 35_000, jobs: 390_000},
		{arr: 9, centre: Point{48.8770, 2.3375}, areaKm2: 2.18, pop: 59_000, jobs: 150_000},
		{arr: 10, centre: Point{48.8761, 2.3607}, areaKm2: 2.89, pop: 83_000, jobs: 85_000},
		{arr: 11, centre: Point{48.8591, 2.3800}, areaKm2: 3.67, pop: 143_000, jobs: 85_000},
		{arr: 12, centre: Point{48.8410, 2.3930}, areaKm2: 6.37, pop: 139_000, jobs: 110_000},
		{arr: 13, centre: Point{48.8283, 2.3623}, areaKm2: 7.15, pop: 178_000, jobs: 115_000},
		{arr: 14, centre: Point{48.8292, 2.3266}, areaKm2: 5.64, pop: 134_000, jobs: 75_000},
		{arr: 15, centre: Point{48.8401, 2.2928}, areaKm2: 8.48, pop: 228_000, jobs: 160_000},
		{arr: 16, centre: Point{48.8560, 2.2730}, areaKm2: 7.91, pop: 163_000, jobs: 115_000},
		{arr: 17, centre: Point{48.8873, 2.3067}, areaKm2: 5.67, pop: 164_000, jobs: 100_000},
		{arr: 18, centre: Point{48.8925, 2.3484}, areaKm2: 6.01, pop: 188_000, jobs: 60_000},
		{arr: 19, centre: Point{48.8871, 2.3848}, areaKm2: 6.79, pop: 183_000, jobs: 50_000},
		{arr: 20, centre: Point{48.8634, 2.4011}, areaKm2: 5.98, pop: 194_000, jobs: 45_000},
	}
	for i := range ds {
		d := &ds[i]
		d.radiusM = 1000 * math.Sqrt(d.areaKm2/math.Pi)
		d.homeDens = float64(d.pop) / d.areaKm2
		d.jobDens = float64(d.jobs) / d.areaKm2
	}
	return ds
}()

// pickDistrict draws a district with probability proportional to weight.
func pickDistrict(r *rand.Rand, weight func(district) float64) district {
	return pickBy(r, districts, weight)
}

// pickBy draws one of xs with probability proportional to weight (the zero
// value when xs is empty).
func pickBy[T any](r *rand.Rand, xs []T, weight func(T) float64) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	var total float64
	for _, x := range xs {
		total += weight(x)
	}
	u := r.Float64() * total
	for _, x := range xs {
		if u -= weight(x); u < 0 {
			return x
		}
	}
	return xs[len(xs)-1]
}

// inDisc draws a point uniformly over the disc of radius m around c.
func inDisc(r *rand.Rand, c Point, m float64) Point {
	d := m * math.Sqrt(r.Float64())
	th := 2 * math.Pi * r.Float64()
	return offset(c, d*math.Cos(th), d*math.Sin(th))
}

// homePoint draws where someone lives: an arrondissement in proportion to
// its residents, then a point of it.
func homePoint(r *rand.Rand) (Point, int) {
	d := pickDistrict(r, func(d district) float64 { return float64(d.pop) })
	return inDisc(r, d.centre, d.radiusM), d.arr
}

// jobPoint draws where a job is: an arrondissement in proportion to its
// jobs, then a point of it.
func jobPoint(r *rand.Rand) (Point, int) {
	d := pickDistrict(r, func(d district) float64 { return float64(d.jobs) })
	return inDisc(r, d.centre, d.radiusM), d.arr
}

// density returns the people per km² around p, residents plus jobs: the
// traffic a mobile network is dimensioned for. Outside every district it
// is a suburban floor.
func density(p Point) float64 {
	const suburban = 5_000 // inner-suburb residents and jobs per km²
	v := 0.0
	for _, d := range districts {
		if Distance(p, d.centre) <= d.radiusM {
			v += d.homeDens + d.jobDens
		}
	}
	return math.Max(v, suburban)
}

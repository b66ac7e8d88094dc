package phone

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"

	"exhaust/world"
)

// Radio model constants. The log-distance path-loss model is the textbook
// one: RSSI(d) = RSSI(d0) - 10·n·log10(d/d0) + shadowing + fading.
const (
	refRSSI     = -55.0 // dBm heard at refDistM from a tower
	refDistM    = 100.0
	pathLossExp = 3.5 // urban macro cells: 3 to 4
	minDistM    = 20.0
	// shadowSigma is the slow fading caused by buildings: it depends on
	// where the phone is, not on when, so a phone at home always sees the
	// same slightly-biased ranking of towers (a stable fingerprint).
	shadowSigma = 4.0
	shadowGridM = 50.0
	// fadeSigma is the fast fading: every measurement differs a little.
	fadeSigma = 2.0
	minRSSI   = -120
	maxRSSI   = -45
	// hysteresisDB is how much stronger a neighbour must be than the serving
	// cell before the phone moves to it, as real networks do to avoid
	// ping-ponging between two towers at equal distance. An idle phone that
	// is not moving is stickier still.
	hysteresisDB     = 4
	idleHysteresisDB = 6
	// reported is how many towers a measurement report lists.
	reported = 4
	// candidates is how many nearest towers are measured before keeping the
	// strongest: shadowing can make the 5th nearest beat the 4th.
	candidates = 7
)

// measurement is one tower as the phone heard it.
type measurement struct {
	tower *world.Tower
	rssi  int
}

// radio computes what a phone hears at a point.
type radio struct {
	city   *world.City
	radius map[*world.Tower]float64 // cell radius cache, filled lazily
}

func newRadio(c *world.City) *radio {
	return &radio{city: c, radius: map[*world.Tower]float64{}}
}

// rssi is the signal of tower t at p, in dBm.
func (r *radio) rssi(rng *rand.Rand, t *world.Tower, p world.Point) int {
	return r.rssiAt(rng, t, p, world.Distance(p, t.Point))
}

// rssiAt is rssi for a distance already known.
func (r *radio) rssiAt(rng *rand.Rand, t *world.Tower, p world.Point, distM float64) int {
	d := math.Max(distM, minDistM)
	v := refRSSI - 10*pathLossExp*math.Log10(d/refDistM) + shadowing(t, p) + rng.NormFloat64()*fadeSigma
	return int(math.Round(math.Max(minRSSI, math.Min(maxRSSI, v))))
}

// measure returns the strongest towers heard at p, strongest first. If
// serving is set and not among them, it is appended: a phone always reports
// its serving cell.
func (r *radio) measure(rng *rand.Rand, p world.Point, serving *world.Tower) []measurement {
	near := r.city.TowersNear(p, candidates)
	ms := make([]measurement, 0, len(near)+1)
	for _, ts := range near {
		ms = append(ms, measurement{tower: ts.Tower, rssi: r.rssiAt(rng, ts.Tower, p, ts.DistanceM)})
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].rssi != ms[j].rssi {
			return ms[i].rssi > ms[j].rssi
		}
		return ms[i].tower.ID < ms[j].tower.ID
	})
	if len(ms) > reported {
		ms = ms[:reported]
	}
	if serving != nil && !contains(ms, serving) {
		ms = append(ms, measurement{tower: serving, rssi: r.rssi(rng, serving, p)})
	}
	return ms
}

// cellRadius approximates the radius of t's cell from the distance to its
// nearest neighbour (in a hexagonal layout a cell reaches about 0.6 of it):
// the operator knows no better where in the cell a phone is, so it is the
// accuracy of a cell-id location.
func (r *radio) cellRadius(t *world.Tower) float64 {
	if v, ok := r.radius[t]; ok {
		return v
	}
	v := 1000.0 // a lone tower: assume a large cell
	for _, ts := range r.city.TowersNear(t.Point, 2) {
		if ts.Tower != t {
			v = 0.6 * ts.DistanceM
			break
		}
	}
	v = math.Round(v/10) * 10
	r.radius[t] = v
	return v
}

func contains(ms []measurement, t *world.Tower) bool {
	for _, m := range ms {
		if m.tower == t {
			return true
		}
	}
	return false
}

func rssiOf(ms []measurement, t *world.Tower) (int, bool) {
	for _, m := range ms {
		if m.tower == t {
			return m.rssi, true
		}
	}
	return 0, false
}

// shadowing is the slow fading of tower t at p: a fixed pseudo-random value
// per tower and 50 m square of the city. It is a property of the terrain,
// the same every day, so it is derived from a hash rather than the day's
// generator.
func shadowing(t *world.Tower, p world.Point) float64 {
	const mPerDeg = 111_320.0
	gy := int64(math.Floor(p.Lat * mPerDeg / shadowGridM))
	gx := int64(math.Floor(p.Lon * mPerDeg * math.Cos(p.Lat*math.Pi/180) / shadowGridM))
	h := fnv.New64a()
	h.Write([]byte(t.ID))
	var b [16]byte
	for i := range 8 {
		b[i] = byte(uint64(gy) >> (8 * i))
		b[8+i] = byte(uint64(gx) >> (8 * i))
	}
	h.Write(b[:])
	s := h.Sum64()
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15)).NormFloat64() * shadowSigma
}

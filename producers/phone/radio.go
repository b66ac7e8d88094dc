package phone

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"

	"exhaust/world"
)

// Radio model constants. The log-distance path-loss model is the textbook
// one (Rappaport, Wireless Communications, §4.9): RSSI(d) = RSSI(d0) −
// 10·n·log10(d/d0) + shadowing + fading. The aggregator must not know any of
// these: it fits its own model to what the operator sees (see
// aggregator/pathloss).
const (
	refRSSI  = -55.0 // dBm heard at refDistM from a tower
	refDistM = 100.0
	// pathLossExp is n: Okumura-Hata's urban slope is 44.9 − 6.55·log10(hb)
	// dB per decade, 35.2 for antennas 30 m up, so n ≈ 3.5.
	pathLossExp = 3.5
	minDistM    = 20.0
	// shadowSigma is the slow fading caused by buildings, log-normal, in dB:
	// it depends on where the phone is, not on when, so a phone at home
	// always sees the same biased ranking of towers (a stable fingerprint
	// that no averaging removes). 3GPP TR 38.901 Table 7.4.1-1 gives 6 dB
	// for urban macro cells out of line of sight; COST 231 and Okumura-Hata
	// practice use 8 to 10 dB in dense cities, indoor users included. We
	// take 8 dB.
	shadowSigma = 8.0
	// shadowDecorrM is the shadowing's decorrelation distance: two points
	// this far apart see shadowing correlated at 1/e (Gudmundson's
	// exponential model, Electronics Letters 27(23), 1991). TR 38.901 Table
	// 7.5-6 says 50 m for urban macro cells out of line of sight, 37 m in
	// line of sight; measurements in cities give 20 to 50 m. We take 50 m:
	// a home and the street in front of it share their shadowing, the next
	// block does not.
	shadowDecorrM = 50.0
	// shadowGridM is the spacing of the grid of independent shadowing
	// values, interpolated in between (see shadowing): at this spacing the
	// correlation of the interpolated field falls to 1/e at shadowDecorrM
	// (measured by TestShadowingStatistics).
	shadowGridM = 1.1 * shadowDecorrM
	// fadeSigma is what is left of fast fading in a reported signal
	// strength: the phone averages its reference-signal power over
	// hundreds of milliseconds (layer-3 filtering, TS 36.331 §5.5.3.2), and
	// TS 36.133 §9.1 allows ±2 dB of relative measurement error. Every
	// measurement differs a little.
	fadeSigma = 2.0
	// minRSSI and maxRSSI bound what is reported, as TS 36.133's RSRP
	// report mapping does (−140 to −44 dBm); a phone next to a mast
	// saturates at maxRSSI.
	minRSSI = -140
	maxRSSI = -45
	// hysteresisDB is how much stronger a neighbour must be than the serving
	// cell before the phone moves to it, as real networks do to avoid
	// ping-ponging between two towers at equal distance (the A3 offset plus
	// hysteresis of TS 36.331, a few dB). An idle phone that is not moving
	// is stickier still.
	hysteresisDB     = 4
	idleHysteresisDB = 6
)

// What a measurement report lists. A report names the cells the phone
// could detect, strongest first, up to a maximum: so how many towers it
// lists depends on the place (next to a mast, the mast drowns its
// neighbours; between masts, many are heard) and on the moment (fading
// moves cells across the threshold).
const (
	// maxReported is the most towers a report lists, the serving one
	// included. TS 36.331 caps a report's neighbour list at maxCellReport
	// = 8, and the phone.cell schema at 8 measurements in all.
	maxReported = 8
	// detectFloorDBm is the weakest cell a phone detects: TS 36.133
	// requires cell identification down to an RSRP of about −124 dBm
	// (§8.1.2.2, side conditions); in practice operators count −120 dBm as
	// the edge of coverage. We take −120 dBm.
	detectFloorDBm = -120
	// detectWindowDB is how far below the strongest cell a neighbour can
	// still be picked out. In a city the receiver is limited by
	// interference, not noise: TS 36.133 only requires detection down to
	// Ês/Iot = −6 dB, and chipsets with interference cancellation do a
	// good deal better. Our assumption: 20 dB below the strongest cell.
	detectWindowDB = 20
	// candidates is how many nearest towers are measured before keeping the
	// strongest: shadowing can make a far tower beat a near one, and 8 dB
	// of it lets a tower two rings out into the list now and then.
	candidates = 14
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
	seeds  map[*world.Tower]uint64  // shadowing seed of each tower, filled lazily
	// bases caches the candidates heard at a point before fast fading: a
	// phone at home or at work measures from the same point all day, and
	// the nearest towers, their path loss and their shadowing are the
	// same every time. Cleared when full: trips fill it with points seen
	// once.
	bases map[world.Point][]towerBase
}

// maxCachedPoints bounds radio.bases: a few thousand points, a few
// hundred kilobytes.
const maxCachedPoints = 4096

// towerBase is a tower as heard at a point before fast fading: its path
// loss and its shadowing there, in dBm.
type towerBase struct {
	tower *world.Tower
	dBm   float64
}

func newRadio(c *world.City) *radio {
	return &radio{city: c, radius: map[*world.Tower]float64{}, seeds: map[*world.Tower]uint64{},
		bases: map[world.Point][]towerBase{}}
}

// rssi is the signal of tower t at p, in dBm.
func (r *radio) rssi(rng *rand.Rand, t *world.Tower, p world.Point) int {
	return faded(rng, r.base(t, p, world.Distance(p, t.Point)))
}

// base is the signal of t at p, distM away, before fast fading.
func (r *radio) base(t *world.Tower, p world.Point, distM float64) float64 {
	d := math.Max(distM, minDistM)
	return refRSSI - 10*pathLossExp*math.Log10(d/refDistM) + r.shadowing(t, p)
}

// faded adds one report's fast fading to a base signal and rounds it as a
// phone reports it.
func faded(rng *rand.Rand, base float64) int {
	v := base + rng.NormFloat64()*fadeSigma
	return int(math.Round(math.Max(minRSSI, math.Min(maxRSSI, v))))
}

// candidatesAt returns the candidates nearest p with their base signals,
// from the cache when p was measured before.
func (r *radio) candidatesAt(p world.Point) []towerBase {
	if v, ok := r.bases[p]; ok {
		return v
	}
	if len(r.bases) >= maxCachedPoints {
		clear(r.bases)
	}
	near := r.city.TowersNear(p, candidates)
	out := make([]towerBase, len(near))
	for i, ts := range near {
		out[i] = towerBase{ts.Tower, r.base(ts.Tower, p, ts.DistanceM)}
	}
	r.bases[p] = out
	return out
}

// measure returns the towers a phone at p reports, strongest first: those
// above detectFloorDBm and within detectWindowDB of the strongest, at most
// maxReported. If serving is set and not among them, it takes the last
// place: a phone always reports its serving cell.
func (r *radio) measure(rng *rand.Rand, p world.Point, serving *world.Tower) []measurement {
	near := r.candidatesAt(p)
	ms := make([]measurement, 0, len(near)+1)
	for _, tb := range near {
		ms = append(ms, measurement{tower: tb.tower, rssi: faded(rng, tb.dBm)})
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].rssi != ms[j].rssi {
			return ms[i].rssi > ms[j].rssi
		}
		return ms[i].tower.ID < ms[j].tower.ID
	})
	keep := 0
	for i, m := range ms {
		// The strongest is always kept: it is the cell the phone camps on
		// or would move to, whatever its level.
		if i > 0 && (i == maxReported || m.rssi < detectFloorDBm || m.rssi < ms[0].rssi-detectWindowDB) {
			break
		}
		keep++
	}
	ms = ms[:keep]
	if serving != nil && !contains(ms, serving) {
		if len(ms) == maxReported {
			ms = ms[:maxReported-1]
		}
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

// metresPerDegree is the length of a degree of latitude (mean Earth radius
// 6371 km).
const metresPerDegree = 6371000 * math.Pi / 180

// shadowing is the slow fading of tower t at p, in dB: a Gaussian field
// with standard deviation shadowSigma, spatially correlated over about
// shadowDecorrM. Independent values sit on a grid of side shadowGridM per
// tower; in between they are interpolated bilinearly and renormalised by
// the root of the sum of the squared weights, so the variance is the same
// everywhere, and nearby points share their shadowing smoothly instead of
// jumping at a square's edge. It is a property of the terrain, the same
// every day, so the grid values come from a hash rather than the day's
// generator.
func (r *radio) shadowing(t *world.Tower, p world.Point) float64 {
	seed, ok := r.seeds[t]
	if !ok {
		h := fnv.New64a()
		h.Write([]byte(t.ID))
		seed = h.Sum64()
		r.seeds[t] = seed
	}
	return shadowField(seed, p)
}

// shadowField is the unit-free shadowing field of seed at p, times
// shadowSigma.
func shadowField(seed uint64, p world.Point) float64 {
	y := p.Lat * metresPerDegree / shadowGridM
	x := p.Lon * metresPerDegree * math.Cos(p.Lat*math.Pi/180) / shadowGridM
	gx, gy := math.Floor(x), math.Floor(y)
	fx, fy := x-gx, y-gy
	ix, iy := int64(gx), int64(gy)
	w00, w10, w01, w11 := (1-fx)*(1-fy), fx*(1-fy), (1-fx)*fy, fx*fy
	v := w00*gridNormal(seed, ix, iy) + w10*gridNormal(seed, ix+1, iy) +
		w01*gridNormal(seed, ix, iy+1) + w11*gridNormal(seed, ix+1, iy+1)
	return shadowSigma * v / math.Sqrt(w00*w00+w10*w10+w01*w01+w11*w11)
}

// gridNormal is a standard normal value for one grid node of one tower:
// two uniforms from a SplitMix64 hash of (seed, x, y), through Box-Muller.
func gridNormal(seed uint64, x, y int64) float64 {
	h := mix(seed ^ mix(uint64(x)^mix(uint64(y))))
	u1 := (float64(h>>11) + 0.5) / (1 << 53)
	u2 := float64(mix(h)>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// mix is SplitMix64's finaliser: a cheap, well-spread 64-bit hash.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

package facts

import (
	"hash/maphash"
	"math"
	"sync"
)

// metresPerDegree is the length of one degree of latitude (mean Earth
// radius 6371 km); a degree of longitude is that times cos(latitude).
const metresPerDegree = 6371000 * math.Pi / 180

// radioModel is the path-loss model locate uses, fitted by the store to
// what the operator sees (see fitRadio): the received signal falls by
// 10·Exp dB per decade of distance, about Level dBm at 100 m from a mast.
// Nothing in it is taken from the simulator.
type radioModel struct {
	// Exp is the path-loss exponent n.
	Exp float64
	// SigmaDB is the spread of a tower's mean signal about the model, in
	// dB: the shadowing by buildings, which averaging does not remove.
	SigmaDB float64
	// Level is the typical signal at 100 m, in dBm, and LevelSigmaDB its
	// spread from one phone's place to another's (masts, walls, floors):
	// each fix fits its own level, drawn towards Level. LevelSigmaDB 0
	// means no level is known yet: each fix's is free.
	Level, LevelSigmaDB float64
}

// priorRadio is the model before the store has fitted one: the middle of
// the path-loss exponents measured for urban cellular radio, 2.7 to 3.5
// (Rappaport, Wireless Communications, Table 4.2), TR 38.901's 6 dB of
// shadowing for urban macro cells, and no level.
var priorRadio = radioModel{Exp: 3.1, SigmaDB: 6}

// nearestM is the shortest distance the model is evaluated at: antennas of
// urban macro cells are on rooftops, 25 to 35 m up (TR 38.901 takes 25 m),
// so no phone is nearer than that.
const nearestM = 30.0

// towerMean is what a phone reported of one tower over many measurement
// reports: the tower's position and the mean signal.
type towerMean struct {
	Lat, Lon float64
	RSSI     float64 // mean, dBm
	N        int     // reports that listed the tower
	Share    float64 // of all reports, 0..1
}

// latLon is a position in degrees.
type latLon struct{ Lat, Lon float64 }

// fix is a position estimate with its uncertainty.
type fix struct {
	Lat, Lon float64
	RadiusM  float64 // root mean square error, metres
}

// The search grids of locate: the mode on a coarse grid, then the
// posterior on a finer one around it.
const (
	modeHalfM, modeStepM = 1500.0, 100.0
	postHalfM, postStepM = 600.0, 50.0
)

// locate estimates where a phone was from the mean signal of the towers it
// reported, under model m. The signal a phone hears at 100 m from a mast
// is left unknown: it differs with the mast's power and antenna and with
// the walls between phone and street, so at every candidate point it is
// fitted (the weighted mean of what the model leaves over), and only the
// differences between towers place the phone. Each tower weighs by how
// often it was reported: a tower that made the list only now and then did
// so on its luckier reports. Towers the operator knows but the phone never
// reported (silent) count too: a report lists the strongest towers, so a
// known tower never listed cannot have been louder than the weakest one
// that was; points where the model says it would have been are penalised.
// With a single tower that leaves the region nearer to it than to any
// silent tower: its cell.
//
// The estimate is the posterior mean under a flat prior, computed on a grid
// around the most likely point, and the radius the posterior's root mean
// square spread: with shadowing the likelihood is lopsided, and its mean is
// a more robust guess than its peak.
func locate(obs []towerMean, silent []latLon, m radioModel) (fix, bool) {
	f, _, _, ok := locateWith(obs, silent, m, true, nil)
	return f, ok
}

// locateMemo keeps locate's answers by a digest of everything it reads.
// Solving a phone's area is most of deriving its facts (two grids of
// some 1,600 points, each weighed against the towers heard and the silent
// ones near), and a profile is derived again after any event of its
// identifiers, while most events leave its night and working-hours
// evidence as it was: at 1,000 people a listing taken while events flow
// costs a sixth of what it did (docs/performance.md, "Listings while
// events flow"). The answer is a function of the digest's inputs, so a
// kept one is the one locate would give. Safe for the Engine's concurrent
// readers.
type locateMemo struct {
	mu   sync.Mutex
	m    map[[2]uint64]located
	hits int // answers served from m (tests)
}

type located struct {
	f  fix
	ok bool
}

// memoMost bounds the answers kept: more than two for each profile of a
// city of 10,000 (some 25,000 profiles). Past it they are all dropped,
// and the next readings fill it again.
const memoMost = 1 << 16

var memoSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// locate is the package's locate, answered from the memo when it can be.
func (c *locateMemo) locate(obs []towerMean, silent []latLon, m radioModel) (fix, bool) {
	var k [2]uint64
	for i, seed := range memoSeeds {
		var h maphash.Hash
		h.SetSeed(seed)
		maphash.WriteComparable(&h, m)
		maphash.WriteComparable(&h, len(obs))
		for _, o := range obs {
			maphash.WriteComparable(&h, o)
		}
		for _, q := range silent {
			maphash.WriteComparable(&h, q)
		}
		k[i] = h.Sum64()
	}
	c.mu.Lock()
	a, found := c.m[k]
	if found {
		c.hits++
	}
	c.mu.Unlock()
	if found {
		return a.f, a.ok
	}
	a.f, a.ok = locate(obs, silent, m)
	c.mu.Lock()
	if len(c.m) >= memoMost {
		clear(c.m)
	}
	c.m[k] = a
	c.mu.Unlock()
	return a.f, a.ok
}

// gridLogs keeps, for one place's mode grid, log10 of the squared distance
// (at least nearestM²) from every grid point to every reported and every
// nearby silent tower. The logs do not depend on the model, and fitRadio
// tries a dozen exponents on the same places: with them kept, a trial is
// arithmetic only. The zero value is empty; locateWith fills it.
type gridLogs struct {
	towers [][]float64 // per grid point, per reported tower
	quiet  [][]float64 // per grid point, per silent tower near the grid
	// found is set once a search has run: later searches look only
	// within fitWindowM of the point it found (x, y), since the most
	// likely point moves little from one exponent to the next.
	found bool
	x, y  float64
}

// fitWindowM is how far from the previous exponent's most likely point a
// later search of the same place looks: five grid steps, where the next
// exponent tried moves it by one or two.
const fitWindowM = 5 * modeStepM

// locateWith is locate; it also returns the cost at the most likely point
// and the level fitted there, and with posterior false it stops at the
// most likely point (fitRadio needs no more).
//
// logs, when not nil, keeps the mode grid's logarithms between calls on
// the same obs and silent (see gridLogs).
func locateWith(obs []towerMean, silent []latLon, m radioModel, posterior bool, logs *gridLogs) (f fix, best, level float64, ok bool) {
	if len(obs) == 0 {
		return fix{}, 0, 0, false
	}
	// Work in metres on a plane tangent at the signal-weighted centroid.
	var lat0, lon0, wsum float64
	for _, o := range obs {
		w := math.Pow(10, o.RSSI/10) // linear power: the nearest towers dominate
		lat0, lon0, wsum = lat0+w*o.Lat, lon0+w*o.Lon, wsum+w
	}
	lat0, lon0 = lat0/wsum, lon0/wsum
	kx := metresPerDegree * math.Cos(lat0*math.Pi/180)
	ky := metresPerDegree
	project := func(lat, lon float64) (float64, float64) { return (lon - lon0) * kx, (lat - lat0) * ky }

	type tower struct{ x, y, rssi, w float64 }
	ts := make([]tower, len(obs))
	thr := 0.0 // the weakest mean reported
	var sw float64
	for i, o := range obs {
		x, y := project(o.Lat, o.Lon)
		ts[i] = tower{x: x, y: y, rssi: o.RSSI, w: math.Min(1, 2*o.Share)}
		sw += ts[i].w
		if i == 0 || o.RSSI < thr {
			thr = o.RSSI
		}
	}
	// near keeps the silent towers that can matter on a grid of half-side
	// half around (cx, cy). A silent tower is penalised where the model
	// would have it louder than the weakest reported tower: nearer than
	// that one, give or take the shadowing. So only silent towers nearer
	// to the grid than the farthest reported tower (plus the grid) count,
	// a few dozen at most whatever the size of the network.
	near := func(cx, cy, half float64) [][2]float64 {
		var far float64
		for _, t := range ts {
			far = math.Max(far, math.Hypot(t.x-cx, t.y-cy))
		}
		reach := far + 1.5*half
		var out [][2]float64
		for _, q := range silent {
			x, y := project(q.Lat, q.Lon)
			if math.Abs(x-cx) < reach && math.Abs(y-cy) < reach && math.Hypot(x-cx, y-cy) < reach {
				out = append(out, [2]float64{x, y})
			}
		}
		return out
	}
	k := 5 * m.Exp // dB per decade of squared distance
	min2 := nearestM * nearestM
	// The level's prior, in the cost's units (dB² over σ²).
	var levelW float64
	if m.LevelSigmaDB > 0 {
		levelW = m.SigmaDB * m.SigmaDB / (m.LevelSigmaDB * m.LevelSigmaDB)
	}
	// cost is the weighted sum of squared residuals at (x, y), in dB², and
	// the level fitted there. tl and ql, when not nil, are the point's
	// logarithms to the towers and to the quiet ones (gridLogs).
	cost := func(x, y float64, quiet [][2]float64, tl, ql []float64) (float64, float64) {
		// Residuals of the model without its level, and the level that
		// fits them best, drawn towards the prior's.
		var se, see float64
		for i, t := range ts {
			var lg float64
			if tl != nil {
				lg = tl[i]
			} else {
				dx, dy := x-t.x, y-t.y
				lg = math.Log10(math.Max(dx*dx+dy*dy, min2))
			}
			e := t.rssi + k*lg
			se += t.w * e
			see += t.w * e * e
		}
		lvl := (se + levelW*(m.Level+4*k)) / (sw + levelW) // level at 1 m: 20·n dB above that at 100 m
		c := see - 2*lvl*se + lvl*lvl*sw
		if levelW > 0 {
			r := lvl - (m.Level + 4*k)
			c += levelW * r * r
		}
		// A silent tower at squared distance d2 would be heard at
		// lvl − k·log10(d2): louder than thr when d2 < quiet2.
		quiet2 := math.Pow(10, (lvl-thr)/k)
		for i, q := range quiet {
			dx, dy := x-q[0], y-q[1]
			if d2 := dx*dx + dy*dy; d2 < quiet2 {
				var lg float64
				if ql != nil {
					lg = ql[i]
				} else {
					lg = math.Log10(math.Max(d2, min2))
				}
				r := lvl - k*lg - thr
				c += r * r
			}
		}
		return c, lvl - 4*k
	}

	// The most likely point, on a coarse grid.
	quiet := near(0, 0, modeHalfM)
	n := int(modeHalfM / modeStepM)
	if logs != nil && logs.towers == nil {
		for i := -n; i <= n; i++ {
			for j := -n; j <= n; j++ {
				x, y := float64(i)*modeStepM, float64(j)*modeStepM
				tl := make([]float64, len(ts))
				for ti, t := range ts {
					tl[ti] = math.Log10(math.Max((x-t.x)*(x-t.x)+(y-t.y)*(y-t.y), min2))
				}
				ql := make([]float64, len(quiet))
				for qi, q := range quiet {
					ql[qi] = math.Log10(math.Max((x-q[0])*(x-q[0])+(y-q[1])*(y-q[1]), min2))
				}
				logs.towers, logs.quiet = append(logs.towers, tl), append(logs.quiet, ql)
			}
		}
	}
	bx, by := 0.0, 0.0
	if logs != nil && logs.found {
		bx, by = logs.x, logs.y
	}
	best, level = cost(bx, by, quiet, nil, nil)
	g := 0 // the grid point's index in logs
	for i := -n; i <= n; i++ {
		for j := -n; j <= n; j++ {
			x, y := float64(i)*modeStepM, float64(j)*modeStepM
			var tl, ql []float64
			if logs != nil {
				tl, ql = logs.towers[g], logs.quiet[g]
				if logs.found && (math.Abs(x-logs.x) > fitWindowM || math.Abs(y-logs.y) > fitWindowM) {
					g++
					continue
				}
			}
			g++
			if c, l := cost(x, y, quiet, tl, ql); c < best {
				best, level, bx, by = c, l, x, y
			}
		}
	}
	if logs != nil {
		logs.found, logs.x, logs.y = true, bx, by
	}
	if !posterior {
		return fix{Lat: lat0 + by/ky, Lon: lon0 + bx/kx, RadiusM: modeStepM}, best, level, true
	}
	// The posterior around it, on a finer grid. Weights are relative to the
	// best cost seen, so they never overflow.
	quiet = near(bx, by, postHalfM)
	n = int(postHalfM / postStepM)
	type cell struct{ x, y, c float64 }
	cells := make([]cell, 0, (2*n+1)*(2*n+1))
	for i := -n; i <= n; i++ {
		for j := -n; j <= n; j++ {
			x, y := bx+float64(i)*postStepM, by+float64(j)*postStepM
			c, l := cost(x, y, quiet, nil, nil)
			if c < best {
				best, level = c, l
			}
			cells = append(cells, cell{x, y, c})
		}
	}
	temp := 2 * m.SigmaDB * m.SigmaDB
	var pw, px, py float64
	for _, c := range cells {
		w := math.Exp(-(c.c - best) / temp)
		pw, px, py = pw+w, px+w*c.x, py+w*c.y
	}
	mx, my := px/pw, py/pw
	var v float64
	for _, c := range cells {
		w := math.Exp(-(c.c - best) / temp)
		v += w * ((c.x-mx)*(c.x-mx) + (c.y-my)*(c.y-my))
	}
	return fix{Lat: lat0 + my/ky, Lon: lon0 + mx/kx, RadiusM: math.Max(math.Sqrt(v/pw), postStepM)}, best, level, true
}

// fuse combines independent estimates by their precision (Gaussian fusion):
// the result is the inverse-variance weighted mean, and its radius the
// combined one.
func fuse(fs ...fix) fix {
	var w, lat, lon float64
	for _, f := range fs {
		k := 1 / (f.RadiusM * f.RadiusM)
		w, lat, lon = w+k, lat+k*f.Lat, lon+k*f.Lon
	}
	return fix{Lat: lat / w, Lon: lon / w, RadiusM: 1 / math.Sqrt(w)}
}

// distanceM is the great-circle distance between two points, in metres.
func distanceM(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371000.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	h := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

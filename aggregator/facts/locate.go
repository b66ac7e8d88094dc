package facts

import (
	"math"
)

// The operator's radio model: the log-distance path-loss model a mobile
// operator calibrates on drive tests of its own network. The received signal
// falls by 10·n dB per decade of distance; buildings add a slow, place-bound
// error (shadowing) that averaging cannot remove, and each report a fast one
// (fading) that averaging does remove.
const (
	// RefRSSI is the signal, in dBm, heard at RefDistM from a tower.
	RefRSSI = -55.0
	// RefDistM is the reference distance of RefRSSI, in metres.
	RefDistM = 100.0
	// PathLossExp is the path-loss exponent n: 3 to 4 for urban macro cells.
	PathLossExp = 3.5
	// MinDistM is the distance below which the model stops growing.
	MinDistM = 20.0
	// ShadowSigmaDB is the standard deviation of the slow fading, in dB.
	ShadowSigmaDB = 4.0
	// FadeSigmaDB is the standard deviation of the fast fading, in dB.
	FadeSigmaDB = 2.0
)

// metresPerDegree is the length of one degree of latitude (mean Earth
// radius 6371 km); a degree of longitude is that times cos(latitude).
const metresPerDegree = 6371000 * math.Pi / 180

// modelRSSI is the signal the model predicts at d metres from a tower.
func modelRSSI(d float64) float64 {
	return RefRSSI - 10*PathLossExp*math.Log10(math.Max(d, MinDistM)/RefDistM)
}

// modelRSSI2 is modelRSSI of a squared distance, which spares a square root.
func modelRSSI2(d2 float64) float64 {
	return RefRSSI - 5*PathLossExp*math.Log10(math.Max(d2, MinDistM*MinDistM)/(RefDistM*RefDistM))
}

// distanceFor inverts the model: the distance at which a tower is heard at
// rssi dBm.
func distanceFor(rssi float64) float64 {
	return RefDistM * math.Pow(10, (RefRSSI-rssi)/(10*PathLossExp))
}

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
	postHalfM, postStepM = 800.0, 40.0
)

// locate estimates where a phone was from the mean signal of the towers it
// reported, under the operator's model. Each tower's mean is compared with
// the model's prediction, weighted by the inverse of its error variance
// (shadowing, which stays, plus fading, which shrinks with the number of
// reports) and by how often it was reported: a tower that made the list only
// now and then did so on its luckier reports. Towers the operator knows but
// the phone never reported (silent) count too: the phone lists its
// strongest towers, so a known tower it never listed cannot have been
// louder than the weakest one it did; points where the model says it would
// have been are penalised.
//
// The estimate is the posterior mean under a flat prior, computed on a grid
// around the most likely point, and the radius the posterior's root mean
// square spread: with three or four towers and 4 dB of shadowing the
// likelihood is lopsided, and its mean is a more robust guess than its peak.
// With one or two towers the posterior is a ring or a lens, and the radius
// says so.
func locate(obs []towerMean, silent []latLon) (fix, bool) {
	if len(obs) == 0 {
		return fix{}, false
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
	for i, o := range obs {
		v := ShadowSigmaDB*ShadowSigmaDB + FadeSigmaDB*FadeSigmaDB/float64(max(o.N, 1))
		x, y := project(o.Lat, o.Lon)
		ts[i] = tower{x: x, y: y, rssi: o.RSSI, w: math.Min(1, 2*o.Share) / v}
		if i == 0 || o.RSSI < thr {
			thr = o.RSSI
		}
	}
	// A silent tower matters only where the model would have it louder
	// than thr, i.e. nearer than quietR.
	quietR := distanceFor(thr)
	quietR2 := quietR * quietR
	var silentXY [][2]float64
	for _, q := range silent {
		x, y := project(q.Lat, q.Lon)
		silentXY = append(silentXY, [2]float64{x, y})
	}
	// near keeps the silent towers that can matter on a grid of half-side
	// half around (cx, cy).
	near := func(cx, cy, half float64) [][2]float64 {
		var out [][2]float64
		for _, q := range silentXY {
			if math.Abs(q[0]-cx) < half+quietR && math.Abs(q[1]-cy) < half+quietR {
				out = append(out, q)
			}
		}
		return out
	}
	const shadowVar = ShadowSigmaDB * ShadowSigmaDB
	cost := func(x, y float64, quiet [][2]float64) float64 {
		var c float64
		for _, t := range ts {
			dx, dy := x-t.x, y-t.y
			r := t.rssi - modelRSSI2(dx*dx+dy*dy)
			c += t.w * r * r
		}
		for _, q := range quiet {
			dx, dy := x-q[0], y-q[1]
			if d2 := dx*dx + dy*dy; d2 < quietR2 {
				r := modelRSSI2(d2) - thr
				c += r * r / shadowVar
			}
		}
		return c
	}

	// The most likely point, on a coarse grid.
	quiet := near(0, 0, modeHalfM)
	bx, by := 0.0, 0.0
	best := cost(bx, by, quiet)
	n := int(modeHalfM / modeStepM)
	for i := -n; i <= n; i++ {
		for j := -n; j <= n; j++ {
			x, y := float64(i)*modeStepM, float64(j)*modeStepM
			if c := cost(x, y, quiet); c < best {
				best, bx, by = c, x, y
			}
		}
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
			c := cost(x, y, quiet)
			best = math.Min(best, c)
			cells = append(cells, cell{x, y, c})
		}
	}
	var sw, sx, sy float64
	for _, c := range cells {
		w := math.Exp(-(c.c - best) / 2)
		sw, sx, sy = sw+w, sx+w*c.x, sy+w*c.y
	}
	mx, my := sx/sw, sy/sw
	var v float64
	for _, c := range cells {
		w := math.Exp(-(c.c - best) / 2)
		v += w * ((c.x-mx)*(c.x-mx) + (c.y-my)*(c.y-my))
	}
	return fix{Lat: lat0 + my/ky, Lon: lon0 + mx/kx, RadiusM: math.Max(math.Sqrt(v/sw), postStepM)}, true
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

package linker

import (
	"math"
	"strings"

	"exhaust/aggregator/obs"
	"exhaust/meaning"
)

// mPerDeg is the length of a degree of latitude, in metres.
const mPerDeg = 111_320.0

// point is a position in local metres: y northwards, x eastwards, at the
// scale of the point's own latitude (a city is small enough for that).
type point struct{ x, y float64 }

func project(lat, lon float64) point {
	return point{x: lon * mPerDeg * math.Cos(lat*math.Pi/180), y: lat * mPerDeg}
}

// cellAccMin and cellAccMax bound the accuracy credited to a position
// from one measurement report (see locate). Measured against the
// simulator's truth (300 people, 2 days, seeds 1 and 2; docs/location.md),
// half the fixes are within 135 m and nine in ten within 295 m, and a
// fixed bias (buildings) makes the error repeat.
const cellAccMin, cellAccMax = 200.0, 300.0

// learnTower records a tower's position from an event located at it: the
// operator's events carry the serving tower's position, so the linker
// builds the tower map an analyst would get from the public antenna
// registry.
func (l *Linker) learnTower(r *obs.Record) {
	m, ok := meaning.Find[meaning.Served](r.Means)
	if !ok || r.Where == nil {
		return
	}
	id, ok := strings.CutPrefix(r.Where.Place, m.Prefix)
	if !ok || id == "" {
		return
	}
	if _, ok := l.towers[id]; !ok {
		l.towers[id] = [2]float64{r.Where.Lat, r.Where.Lon}
	}
}

// locate estimates where a phone.cell record's phone was: the centroid of
// the towers it measured, each weighted by the power it received (in
// milliwatts, not dBm). The weighting needs no radio model at all: the
// nearest tower, heard tens of times louder than the next, pulls the
// estimate to it, and towers heard about as loud share it. With shadowing
// of several dB the finer fit of a path-loss model gains little on a
// single report (the facts package fits one to whole nights instead). It
// returns the position and an accuracy in metres, which grows with the
// spread of the towers that share the weight; ok is false when no
// measured tower's position is known.
func (l *Linker) locate(r *obs.Record, m meaning.Radio) (lat, lon, acc float64, ok bool) {
	var sw, x, y float64
	var lat0 float64
	type wt struct {
		p point
		w float64
	}
	var ts [8]wt
	n := 0
	for _, e := range r.Get(m.List).Elems() {
		pos, known := l.towers[e.Get(m.EmitterKey).Str()]
		if !known || n == len(ts) {
			continue
		}
		if n == 0 {
			lat0 = pos[0]
		}
		// Project at one latitude so that the towers share a frame.
		p := point{x: pos[1] * mPerDeg * math.Cos(lat0*math.Pi/180), y: pos[0] * mPerDeg}
		w := math.Pow(10, e.Get(m.StrengthKey).Float()/10)
		ts[n] = wt{p, w}
		n++
		sw += w
		x += w * p.x
		y += w * p.y
	}
	if n == 0 {
		return 0, 0, 0, false
	}
	x, y = x/sw, y/sw
	// Accuracy: the weighted root mean square distance of the towers from
	// the estimate, bounded: one dominant tower gives cellAccMin, towers
	// heard alike spread it up to cellAccMax.
	var v float64
	for _, t := range ts[:n] {
		v += t.w * ((t.p.x-x)*(t.p.x-x) + (t.p.y-y)*(t.p.y-y))
	}
	acc = math.Min(cellAccMax, math.Max(cellAccMin, math.Sqrt(v/sw)))
	lat = y / mPerDeg
	lon = x / (mPerDeg * math.Cos(lat0*math.Pi/180))
	return lat, lon, acc, true
}

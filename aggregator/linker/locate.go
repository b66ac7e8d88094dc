package linker

import (
	"math"
	"strings"

	"exhaust/aggregator/obs"
)

// mPerDeg is the length of a degree of latitude, in metres.
const mPerDeg = 111_320.0

// point is a position in local metres: y northwards, x eastwards, at the
// scale of the point's own latitude (a city is small enough for that).
type point struct{ x, y float64 }

func project(lat, lon float64) point {
	return point{x: lon * mPerDeg * math.Cos(lat*math.Pi/180), y: lat * mPerDeg}
}

// cellAccMin and cellAccMax bound the accuracy credited to a triangulated
// position: half the fixes are within 130 m of the truth, nine in ten
// within 270 m, and a fixed bias (buildings) makes the error repeat.
const cellAccMin, cellAccMax = 200.0, 300.0

// towerPlace is the prefix of the place id cell events give their serving
// tower: "tower:T042".
const towerPlace = "tower:"

// learnTower records a tower's position from an event located at it: the
// operator's events carry the serving tower's position, so the linker
// builds the tower map an analyst would get from the public antenna
// registry.
func (l *Linker) learnTower(r *obs.Record) {
	if r.Where == nil || !strings.HasPrefix(r.Where.Place, towerPlace) {
		return
	}
	id := r.Where.Place[len(towerPlace):]
	if _, ok := l.towers[id]; !ok {
		l.towers[id] = [2]float64{r.Where.Lat, r.Where.Lon}
	}
}

// locate estimates where a phone.cell record's phone was, from the signal
// strengths of the towers it measured: each becomes a distance by
// inverting the path-loss model, and a few Gauss-Newton steps fit the
// position that best agrees with them, starting from their centroid
// weighted by 1/d². It returns the position and an accuracy in metres; ok
// is false when no measured tower's position is known.
func (l *Linker) locate(r *obs.Record) (lat, lon, acc float64, ok bool) {
	type obsTower struct {
		p point
		d float64
	}
	var ts [8]obsTower
	n := 0
	var lat0 float64
	for _, m := range r.Measurements {
		pos, known := l.towers[m.Tower]
		if !known || n == len(ts) {
			continue
		}
		if n == 0 {
			lat0 = pos[0]
		}
		// Project at one latitude so that the towers share a frame.
		p := point{x: pos[1] * mPerDeg * math.Cos(lat0*math.Pi/180), y: pos[0] * mPerDeg}
		d := 100 * math.Pow(10, (l.cfg.CellRefRSSI-float64(m.RSSI))/(10*l.cfg.CellPathLossExp))
		ts[n] = obsTower{p, math.Max(d, 20)}
		n++
	}
	if n == 0 {
		return 0, 0, 0, false
	}
	var sw, x, y float64
	for _, t := range ts[:n] {
		w := 1 / (t.d * t.d)
		sw += w
		x += w * t.p.x
		y += w * t.p.y
	}
	x, y = x/sw, y/sw
	if n >= 3 {
		// Maximum likelihood under log-normal shadowing: least squares on
		// the signal strengths themselves, in dB, by Gauss-Newton.
		k := 10 * l.cfg.CellPathLossExp / math.Ln10
		for range 10 {
			var a11, a12, a22, b1, b2 float64
			for _, t := range ts[:n] {
				dx, dy := x-t.p.x, y-t.p.y
				r := math.Max(math.Hypot(dx, dy), 20)
				// Predicted minus measured loss, in dB: k·ln(r/d).
				res := k * math.Log(r/t.d)
				gx, gy := k*dx/(r*r), k*dy/(r*r)
				a11 += gx * gx
				a12 += gx * gy
				a22 += gy * gy
				b1 += gx * res
				b2 += gy * res
			}
			det := a11*a22 - a12*a12
			if math.Abs(det) < 1e-18 {
				break
			}
			sx := (a22*b1 - a12*b2) / det
			sy := (a11*b2 - a12*b1) / det
			// Damped: never jump more than 200 m in one step.
			if step := math.Hypot(sx, sy); step > 200 {
				sx, sy = sx*200/step, sy*200/step
			}
			x, y = x-sx, y-sy
			if math.Hypot(sx, sy) < 1 {
				break
			}
		}
	}
	// Accuracy: the nearest tower's distance bounds how wrong the fix can
	// reasonably be; with three towers or more it is much better.
	near := ts[0].d
	for _, t := range ts[:n] {
		near = math.Min(near, t.d)
	}
	acc = near
	if n >= 3 {
		acc = math.Min(near, cellAccMax)
	}
	acc = math.Max(acc, cellAccMin)
	lat = y / mPerDeg
	lon = x / (mPerDeg * math.Cos(lat0*math.Pi/180))
	return lat, lon, acc, true
}

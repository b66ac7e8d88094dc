package facts

import (
	"maps"
	"math"
	"slices"
)

// The store fits its radio model to the nights of the phones it follows:
// a phone asleep at home is a receiver standing still, heard all night by
// the same towers, whose positions the operator knows. No constant of the
// simulator enters the fit; the choices below are the store's own.
const (
	// fitMinReports is how many night reports make a phone's night a
	// stable place for the fit: enough to average out the fast fading (an
	// idle phone reports every 30 to 60 minutes, so about one night).
	fitMinReports = 8
	// fitFirst is how many stable places the first fit waits for; each
	// later fit waits for four times as many as the one before, so the model
	// keeps up with the data at a cost that grows with its logarithm.
	fitFirst = 16
	// fitSample is the most stable places one fit uses, spread evenly
	// over the phones in key order (a hash: no bias to any district).
	fitSample = 96
	// fitLast is the count of stable places after which the model is no
	// longer refitted: by then a fit's sample is spread over ten times as
	// many places as it uses, and another fit would cost a second of the
	// applying goroutine for no better a model.
	fitLast = 1024
)

// fitExps are the path-loss exponents the fit tries: 2 (free space) to 5
// (dense urban, obstructed), the span Rappaport's Table 4.2 gives for
// outdoor radio, in steps of a quarter.
var fitExps = func() []float64 {
	var out []float64
	for n := 2.0; n <= 5.001; n += 0.25 {
		out = append(out, n)
	}
	return out
}()

// noteNight counts a phone's night that just became a stable place, and
// refits the radio model when their number has grown fourfold since the last
// fit, up to fitLast. It is called from Observe, so the model depends only on the
// records observed, in order, never on when Derive is called.
func (s *Store) noteNight(c *cellClass) {
	if c.Ev.N != fitMinReports {
		return
	}
	s.radioPlaces++
	if s.radioPlaces < max(s.radioNext, fitFirst) || s.radioPlaces > fitLast {
		return
	}
	s.radio = s.fitRadio()
	s.radioNext = 4 * s.radioPlaces
	if s.radio.Exp == 0 {
		s.radioNext = 2 * s.radioPlaces // too few usable places yet: try again sooner
	}
}

// model returns the radio model locate should use.
func (s *Store) model() radioModel {
	if s.radio.Exp == 0 {
		return priorRadio
	}
	return s.radio
}

// fitRadio fits the path-loss exponent, the shadowing and the level to the
// stable nights, by profile likelihood: for each exponent tried, every
// night is located with the level left free, and the exponent kept is the
// one whose median misfit per degree of freedom is least. The median, not
// the sum, so that a phone whose night was not at one place (a night
// shift, a night out) does not sway it. Then the shadowing is the root of
// that median misfit, and the level the median of the nights' fitted
// levels, its spread their median absolute deviation (scaled to a
// standard deviation).
func (s *Store) fitRadio() radioModel {
	type night struct {
		obs    []towerMean
		silent []latLon
		dof    float64
		logs   gridLogs // the same for every exponent tried
	}
	var stable []key
	for _, k := range slices.Sorted(maps.Keys(s.cells)) {
		if c := &s.cells[k].Night; c.Ev.N >= fitMinReports && len(c.Towers) >= 3 {
			stable = append(stable, k)
		}
	}
	var nights []night
	step := max(1, (len(stable)+fitSample-1)/fitSample)
	for i := 0; i < len(stable); i += step {
		c := &s.cells[stable[i]].Night
		obs, heard := s.towerMeans(c.Towers, int(c.Ev.N))
		if len(obs) < 3 {
			continue
		}
		nt := night{obs: obs, silent: s.silentTowers(heard)}
		for _, o := range obs {
			nt.dof += math.Min(1, 2*o.Share)
		}
		// Two coordinates and a level are fitted.
		if nt.dof -= 3; nt.dof < 0.5 {
			continue
		}
		nights = append(nights, nt)
	}
	if len(nights) < fitFirst/2 {
		return s.radio
	}
	m := priorRadio
	bestMisfit := math.Inf(1)
	misfits := make([]float64, len(nights))
	levels := make([]float64, len(nights))
	for _, n := range fitExps {
		try := radioModel{Exp: n, SigmaDB: priorRadio.SigmaDB}
		for i := range nights {
			nt := &nights[i]
			_, c, _, _ := locateWith(nt.obs, nt.silent, try, false, &nt.logs)
			misfits[i] = c / nt.dof
		}
		if mf := median(misfits); mf < bestMisfit {
			bestMisfit, m.Exp = mf, n
		}
	}
	try := radioModel{Exp: m.Exp, SigmaDB: math.Sqrt(bestMisfit)}
	for i := range nights {
		nt := &nights[i]
		_, _, levels[i], _ = locateWith(nt.obs, nt.silent, try, false, &nt.logs)
	}
	m.SigmaDB = math.Round(10*math.Sqrt(bestMisfit)) / 10
	m.Level = math.Round(10*median(levels)) / 10
	for i := range levels {
		levels[i] = math.Abs(levels[i] - m.Level)
	}
	// 1.4826 turns a median absolute deviation into a standard deviation
	// for normal data; at least 1 dB, so that the prior never pins a fix.
	m.LevelSigmaDB = math.Max(1, math.Round(14.826*median(levels))/10)
	return m
}

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// towerMeans turns a class's tower statistics into what locate reads, for
// the towers whose position is known, strongest first; heard holds every
// tower listed, known or not.
func (s *Store) towerMeans(towers []towerStat, reports int) (obs []towerMean, heard map[int32]bool) {
	heard = make(map[int32]bool, len(towers))
	for _, ts := range towers {
		heard[ts.T] = true
		i, known := s.towerAt[ts.T]
		if !known {
			continue // never seen serving: the position is unknown
		}
		p := s.towers[i]
		obs = append(obs, towerMean{Lat: p.Lat, Lon: p.Lon, RSSI: float64(ts.Sum) / float64(ts.N), N: int(ts.N), Share: float64(ts.N) / float64(reports)})
	}
	return obs, heard
}

// silentTowers returns the known towers not in heard.
func (s *Store) silentTowers(heard map[int32]bool) []latLon {
	out := make([]latLon, 0, len(s.towers))
	for _, p := range s.towers {
		if !heard[p.T] {
			out = append(out, latLon{p.Lat, p.Lon})
		}
	}
	return out
}

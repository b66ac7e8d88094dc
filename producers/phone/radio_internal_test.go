package phone

import (
	"math"
	"math/rand/v2"
	"testing"

	"exhaust/world"
)

// TestShadowingStatistics checks the shadowing field against the model it
// stands for: standard deviation shadowSigma, and a correlation that falls
// to about 1/e at shadowDecorrM (Gudmundson), near 1 a few metres apart and
// near 0 several decorrelation distances apart.
func TestShadowingStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	corr := func(distM float64) (rho, sigma float64) {
		const n = 40000
		var sa, sb, saa, sbb, sab float64
		for range n {
			seed := rng.Uint64()
			a := world.Point{Lat: 48.8 + rng.Float64()*0.1, Lon: 2.25 + rng.Float64()*0.2}
			th := rng.Float64() * 2 * math.Pi
			b := world.Point{
				Lat: a.Lat + distM*math.Sin(th)/metresPerDegree,
				Lon: a.Lon + distM*math.Cos(th)/(metresPerDegree*math.Cos(a.Lat*math.Pi/180)),
			}
			x, y := shadowField(seed, a), shadowField(seed, b)
			sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
		}
		ma, mb := sa/n, sb/n
		va, vb := saa/n-ma*ma, sbb/n-mb*mb
		return (sab/n - ma*mb) / math.Sqrt(va*vb), math.Sqrt(va)
	}
	for _, tc := range []struct {
		distM, lo, hi float64
	}{
		{5, 0.9, 1},
		{shadowDecorrM, 1/math.E - 0.06, 1/math.E + 0.06},
		{4 * shadowDecorrM, -0.03, 0.03},
	} {
		rho, sigma := corr(tc.distM)
		t.Logf("%.0f m apart: correlation %.3f, σ %.2f dB", tc.distM, rho, sigma)
		if rho < tc.lo || rho > tc.hi {
			t.Errorf("correlation %.3f at %.0f m, want within [%.2f, %.2f]", rho, tc.distM, tc.lo, tc.hi)
		}
		if math.Abs(sigma-shadowSigma) > 0.15 {
			t.Errorf("σ %.2f dB, want %v", sigma, shadowSigma)
		}
	}
}

package facts_test

import (
	"bytes"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

// TestRadioFit checks that the store fits its own path-loss model to the
// phones' nights, within the span physics allows (the simulator's values
// are not asserted: the fit is biased by the reports' censoring, see
// docs/location.md), and that a snapshot keeps it.
func TestRadioFit(t *testing.T) {
	cfg := world.DefaultConfig()
	cfg.Persons = 40
	r := generate(t, "radiofit", cfg, 2, false)
	s := r.store()
	exp, sigma, level, levelSigma := s.RadioModel()
	t.Logf("fitted: n %.2f, shadowing %.1f dB, level %.1f ± %.1f dBm at 100 m", exp, sigma, level, levelSigma)
	if exp < 2 || exp > 5 || sigma < 2 || sigma > 15 || level > -20 || level < -100 || levelSigma < 1 {
		t.Errorf("implausible fit: n %v, σ %v dB, level %v ± %v dBm", exp, sigma, level, levelSigma)
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	n := facts.New()
	if err := n.Load(&buf); err != nil {
		t.Fatal(err)
	}
	if e2, s2, l2, ls2 := n.RadioModel(); e2 != exp || s2 != sigma || l2 != level || ls2 != levelSigma {
		t.Errorf("loaded model %v %v %v %v, saved %v %v %v %v", e2, s2, l2, ls2, exp, sigma, level, levelSigma)
	}
}

package score

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPackedPointsAreWidePoints fills traces that stay packed and checks
// that they read, score and save exactly as the same traces held wide;
// then a point that does not fit turns them wide and they go on alike.
func TestPackedPointsAreWidePoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	packed, wide := NewTraces(), NewTraces()
	wide.widen()
	add := func(key, place string, bin int64) {
		packed.Add(key, place, bin)
		wide.Add(key, place, bin)
	}
	const hour = 495_000 // an hour of 2026 since the epoch
	for range 5000 {
		add(fmt.Sprint("sim-", rng.IntN(40)), fmt.Sprint("tower-", rng.IntN(300)), hour+rng.Int64N(24*30))
	}
	same := func(stage string) {
		t.Helper()
		if packed.Len() != wide.Len() || packed.TotalPoints() != wide.TotalPoints() || packed.Points("sim-7") != wide.Points("sim-7") {
			t.Fatalf("%s: packed %d traces, %d points; wide %d, %d", stage, packed.Len(), packed.TotalPoints(), wide.Len(), wide.TotalPoints())
		}
		for _, p := range []int{1, 2, 4} {
			a := packed.Unicity(p, 3, rand.New(rand.NewPCG(1, 2)))
			b := wide.Unicity(p, 3, rand.New(rand.NewPCG(1, 2)))
			if a != b {
				t.Errorf("%s: ε_%d %v packed, %v wide", stage, p, a, b)
			}
		}
		a := packed.UnicityCurve(6, 3, rand.New(rand.NewPCG(1, 2)))
		b := wide.UnicityCurve(6, 3, rand.New(rand.NewPCG(1, 2)))
		if !slices.Equal(a, b) {
			t.Errorf("%s: curve %v packed, %v wide", stage, a, b)
		}
		var sa, sb bytes.Buffer
		if err := packed.Save(&sa); err != nil {
			t.Fatal(err)
		}
		if err := wide.Save(&sb); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sa.Bytes(), sb.Bytes()) {
			t.Errorf("%s: packed and wide traces save differently", stage)
		}
		loaded := NewTraces()
		if err := loaded.Load(&sa); err != nil {
			t.Fatal(err)
		}
		var sc bytes.Buffer
		if err := loaded.Save(&sc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sc.Bytes(), sb.Bytes()) {
			t.Errorf("%s: traces saved, loaded and saved again differ", stage)
		}
	}
	if packed.packed == nil {
		t.Fatal("traces of a month of hours are not packed")
	}
	same("packed")
	add("sim-3", "tower-1", hour+1<<17) // beyond the packed window
	if packed.packed != nil {
		t.Fatal("a point beyond the window did not widen the traces")
	}
	for range 500 {
		add(fmt.Sprint("sim-", rng.IntN(40)), fmt.Sprint("tower-", rng.IntN(300)), hour+rng.Int64N(24*30))
	}
	same("widened")
}

package score_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"exhaust/aggregator/score"
)

// TestAddCurveExact builds shop × day traces by hand, where every draw gives
// the same answer, so the curve is exact.
func TestAddCurveExact(t *testing.T) {
	tr := score.NewTraces()
	for _, p := range []struct {
		card, shop string
		day        int64
	}{
		{"k1", "shop:a", 1}, {"k1", "shop:b", 2},
		{"k2", "shop:a", 1}, {"k2", "shop:b", 2}, // the same as k1: never alone
		{"k3", "shop:c", 1}, {"k3", "shop:d", 1}, // nobody else there: alone from one point
		{"k4", "shop:a", 1}, // one point, k1's and k2's too: part of the crowd
		{"k4", "shop:a", 1}, // again: a trace is a set
	} {
		tr.Add(p.card, p.shop, p.day)
	}
	if tr.Len() != 4 || tr.Points("k4") != 1 || tr.TotalPoints() != 7 {
		t.Fatalf("Len %d, Points(k4) %d, TotalPoints %d; want 4, 1, 7", tr.Len(), tr.Points("k4"), tr.TotalPoints())
	}
	got := tr.UnicityCurve(3, 7, rand.New(rand.NewPCG(1, 2)))
	// ε1: k3 of the four traces; ε2: k3 of the three with two points; ε3:
	// no trace has three points.
	want := []float64{1.0 / 4, 1.0 / 3, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ε%d = %v, want %v (curve %v)", i+1, got[i], want[i], got)
		}
	}
}

// TestObserveIsAddOfTowerAndHour: Observe is Add(IMSI, tower, HourBin), so
// the snapshots of the two are the same bytes.
func TestObserveIsAddOfTowerAndHour(t *testing.T) {
	sims := []struct {
		imsi   string
		towers []string // by hour; "" not seen
	}{
		{"208010000000001", []string{"T1", "T2", "T2"}},
		{"208010000000002", []string{"", "T3", "T1"}},
	}
	observed, added := score.NewTraces(), score.NewTraces()
	for _, s := range sims {
		for h, tower := range s.towers {
			if tower == "" {
				continue
			}
			r := cell(s.imsi, tower, h)
			observed.Observe(r)
			added.Add(s.imsi, tower, score.HourBin(r.Time))
		}
	}
	var a, b bytes.Buffer
	if err := observed.Save(&a); err != nil {
		t.Fatal(err)
	}
	if err := added.Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("Observe and Add give different snapshots")
	}
	if added.TotalPoints() != 5 {
		t.Errorf("TotalPoints = %d, want 5", added.TotalPoints())
	}
}

func TestHourBinFloors(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want int64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(3599, 0), 0},
		{time.Unix(3600, 0), 1},
		{time.Unix(-1, 0), -1},
		{time.Unix(-3600, 0), -1},
	} {
		if got := score.HourBin(tc.at); got != tc.want {
			t.Errorf("HourBin(%d) = %d, want %d", tc.at.Unix(), got, tc.want)
		}
	}
}

package facts

import (
	"slices"
	"testing"
)

// The memo answers as locate does, from what it kept when nothing locate
// reads has changed, and solves again when anything has.
func TestLocateMemo(t *testing.T) {
	c := &locateMemo{m: map[[2]uint64]located{}}
	obs := []towerMean{
		{Lat: 48.8600, Lon: 2.3500, RSSI: -71, N: 12, Share: 0.9},
		{Lat: 48.8650, Lon: 2.3420, RSSI: -83, N: 7, Share: 0.5},
		{Lat: 48.8550, Lon: 2.3610, RSSI: -88, N: 4, Share: 0.3},
	}
	silent := []latLon{{Lat: 48.8700, Lon: 2.3550}}
	m := New().model()
	check := func(what string, obs []towerMean, silent []latLon, m radioModel, hits int) {
		t.Helper()
		want, wantOK := locate(obs, silent, m)
		got, ok := c.locate(obs, silent, m)
		if got != want || ok != wantOK {
			t.Errorf("%s: %+v, %v; locate gives %+v, %v", what, got, ok, want, wantOK)
		}
		if c.hits != hits {
			t.Errorf("%s: %d answers from the memo, want %d", what, c.hits, hits)
		}
	}
	check("first", obs, silent, m, 0)
	check("again", obs, silent, m, 1)
	louder := slices.Clone(obs)
	louder[1].RSSI += 3
	check("a tower louder", louder, silent, m, 1)
	check("one more silent tower", obs, append(slices.Clone(silent), latLon{Lat: 48.85, Lon: 2.34}), m, 1)
	steeper := m
	steeper.Exp += 0.5
	check("another radio model", obs, silent, steeper, 1)
	check("the first again", obs, silent, m, 2)

	for i := range memoMost - len(c.m) {
		c.m[[2]uint64{uint64(i), 1}] = located{}
	}
	check("past the bound", louder[:2], silent, m, 2)
	if len(c.m) != 1 {
		t.Errorf("past the bound the memo holds %d answers, want 1", len(c.m))
	}
}

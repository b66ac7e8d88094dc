package facts

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"exhaust/event"
)

// TestLocate checks the locator on synthetic reports, drawn from a
// path-loss model of the test's own (not the simulator's): exact signals put
// the estimate on the phone whatever the model's reference level, noisy
// ones near it with an honest radius, and one tower alone gives its cell.
func TestLocate(t *testing.T) {
	// The test's radio: −62 dBm at 100 m, 31 dB per decade, towers 400 m
	// apart. locate knows the slope (fitted in a real run) and how much
	// the signals stray from the model (little when exact); the level it
	// knows roughly (exact), or not at all (free, noisy). With the level
	// free, four towers in a square have a second exact solution: the
	// silent towers rule it out.
	const refDBm, slope = -62.0, 3.1
	signal := func(d float64) float64 { return refDBm - 10*slope*math.Log10(math.Max(d, nearestM)/100) }
	exact := radioModel{Exp: slope, SigmaDB: 1, Level: refDBm, LevelSigmaDB: 1}
	free := radioModel{Exp: slope, SigmaDB: 1}
	noisy := radioModel{Exp: slope, SigmaDB: 8}
	m := noisy
	phone := latLon{48.8556, 2.3962}
	// A 400 m grid of towers around the phone, off-centre.
	var grid []latLon
	for i := -3; i <= 3; i++ {
		for j := -3; j <= 3; j++ {
			grid = append(grid, latLon{phone.Lat + (float64(i)*400+130)/metresPerDegree, phone.Lon + (float64(j)*400-90)/(metresPerDegree*math.Cos(phone.Lat*math.Pi/180))})
		}
	}
	// reports lists the n nearest towers with their signal plus noise.
	reports := func(n int, noise func(i int) float64) (obs []towerMean, silent []latLon) {
		type cand struct {
			p latLon
			d float64
		}
		var cs []cand
		for _, g := range grid {
			cs = append(cs, cand{g, distanceM(phone.Lat, phone.Lon, g.Lat, g.Lon)})
		}
		for i := range cs { // selection sort: a handful of towers
			for j := i + 1; j < len(cs); j++ {
				if cs[j].d < cs[i].d {
					cs[i], cs[j] = cs[j], cs[i]
				}
			}
		}
		for i, c := range cs {
			if i < n {
				obs = append(obs, towerMean{Lat: c.p.Lat, Lon: c.p.Lon, RSSI: signal(c.d) + noise(i), N: 20, Share: 1})
			} else {
				silent = append(silent, c.p)
			}
		}
		return obs, silent
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		n       int
		noise   func(i int) float64
		model   radioModel
		silent  bool
		maxErrM float64
	}{
		{"exact, 4 towers", 4, func(int) float64 { return 0 }, exact, false, 40},
		{"exact, level free, silent ones known", 4, func(int) float64 { return 0 }, free, true, 40},
		{"exact, level free and 15 dB louder", 5, func(int) float64 { return 15 }, free, true, 40},
		{"shadowing, 6 towers", 6, func(int) float64 { return rng.NormFloat64() * 8 }, noisy, true, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			obs, silent := reports(tc.n, tc.noise)
			if !tc.silent {
				silent = nil
			}
			f, ok := locate(obs, silent, tc.model)
			if !ok {
				t.Fatal("no fix")
			}
			if d := distanceM(f.Lat, f.Lon, phone.Lat, phone.Lon); d > tc.maxErrM {
				t.Errorf("fix %.0f m from the phone, want ≤ %.0f m", d, tc.maxErrM)
			}
			if f.RadiusM <= 0 || f.RadiusM > 1000 {
				t.Errorf("radius %.0f m", f.RadiusM)
			}
		})
	}
	t.Run("no towers", func(t *testing.T) {
		if _, ok := locate(nil, grid, m); ok {
			t.Error("a fix from nothing")
		}
	})
	t.Run("one tower: its cell, a wide radius", func(t *testing.T) {
		obs, silent := reports(1, func(int) float64 { return 0 })
		f, ok := locate(obs, silent, m)
		if !ok || f.RadiusM < 100 {
			t.Errorf("fix %+v, want a wide radius", f)
		}
		if d := distanceM(f.Lat, f.Lon, obs[0].Lat, obs[0].Lon); d > 200 {
			t.Errorf("fix %.0f m from the only tower heard, want within its cell", d)
		}
	})
}

func TestFuse(t *testing.T) {
	a := fix{Lat: 48.85, Lon: 2.39, RadiusM: 100}
	b := fix{Lat: 48.86, Lon: 2.39, RadiusM: 100}
	f := fuse(a, b)
	if math.Abs(f.Lat-48.855) > 1e-9 || math.Abs(f.RadiusM-100/math.Sqrt2) > 1e-9 {
		t.Errorf("fuse = %+v", f)
	}
	if f := fuse(a, fix{Lat: 0, Lon: 0, RadiusM: 1e9}); distanceM(f.Lat, f.Lon, a.Lat, a.Lon) > 1 {
		t.Errorf("a vague estimate moved a precise one: %+v", f)
	}
}

func TestTimeClass(t *testing.T) {
	paris := paris()
	tests := []struct {
		name        string
		at          time.Time
		night, work bool
		day         time.Time // the key's date
	}{
		{"Sunday 23:30 is the night of Monday", time.Date(2026, 11, 29, 23, 30, 0, 0, paris), true, false, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"Monday 03:00", time.Date(2026, 11, 30, 3, 0, 0, 0, paris), true, false, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"Monday 07:00 is morning", time.Date(2026, 11, 30, 7, 0, 0, 0, paris), false, false, time.Time{}},
		{"Monday 10:00 is work", time.Date(2026, 11, 30, 10, 0, 0, 0, paris), false, true, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)},
		{"Monday 13:00 is lunch", time.Date(2026, 11, 30, 13, 0, 0, 0, paris), false, false, time.Time{}},
		{"Sunday 10:00 is no work", time.Date(2026, 11, 29, 10, 0, 0, 0, paris), false, false, time.Time{}},
		{"summer time", time.Date(2026, 7, 6, 22, 15, 0, 0, paris), true, false, time.Date(2026, 7, 7, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			night, work, day := timeClass(tc.at.UTC())
			if night != tc.night || work != tc.work {
				t.Errorf("night %v work %v, want %v %v", night, work, tc.night, tc.work)
			}
			if (night || work) && int64(day) != tc.day.Unix()/86400 {
				t.Errorf("day %v, want %v", time.Unix(int64(day)*86400, 0).UTC(), tc.day)
			}
		})
	}
}

func TestAddFirst(t *testing.T) {
	var fs []firstSession
	for _, f := range []firstSession{{Day: 5, T: 50}, {Day: 3, T: 30}, {Day: 5, T: 40}, {Day: 5, T: 60}} {
		fs = addFirst(fs, f)
	}
	if len(fs) != 2 || fs[0] != (firstSession{Day: 3, T: 30}) || fs[1] != (firstSession{Day: 5, T: 40}) {
		t.Errorf("firsts %v", fs)
	}
	for d := int32(10); d < 20; d++ {
		fs = addFirst(fs, firstSession{Day: d, T: stamp(d)})
	}
	if len(fs) != maxMornings || fs[0].Day != 13 || fs[len(fs)-1].Day != 19 {
		t.Errorf("firsts %v, want the last %d days", fs, maxMornings)
	}
	if got := addFirst(fs, firstSession{Day: 1, T: 1}); got[0].Day != 13 {
		t.Errorf("an old morning displaced a recent one: %v", got)
	}
}

func TestParseUUID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"190ef733-6c77-4d5b-89cd-6c648bf03ba4", true},
		{"190EF733-6C77-4D5B-89CD-6C648BF03BA4", false}, // could not be given back as it came
		{"190ef7336c774d5b89cd6c648bf03ba4", false},
		{"190ef733-6c77-4d5b-89cd-6c648bf03bag", false},
		{"", false},
	} {
		u, ok := parseUUID(tc.in)
		if ok != tc.ok {
			t.Errorf("parseUUID(%q) ok = %v", tc.in, ok)
		}
		if ok {
			if got := formatUUID(u); got != tc.in {
				t.Errorf("round trip %q → %q", tc.in, got)
			}
		}
	}
}

func TestHashNumber(t *testing.T) {
	// The operator writes the first 16 hex digits of the number's SHA-256.
	const number = "+33661544915"
	sum := sha256.Sum256([]byte(number))
	written := hex.EncodeToString(sum[:])[:16]
	h, ok := parseHash(written)
	if !ok || h != hashNumber(number) {
		t.Errorf("parseHash(%q) = %016x, %v; hashNumber = %016x", written, h, ok, hashNumber(number))
	}
	for _, bad := range []string{"not a hash", "4d6cd0a4bbb16b5", "4d6cd0a4bbb16b5z"} {
		if _, ok := parseHash(bad); ok {
			t.Errorf("parseHash(%q) accepted", bad)
		}
	}
}

func TestKeyOf(t *testing.T) {
	a := keyOf(event.ID{Kind: event.MAC, Value: "3c:22:fb:ca:10:b2"})
	if a != keyOf(event.ID{Kind: event.MAC, Value: "3c:22:fb:ca:10:b2"}) {
		t.Error("keyOf is not a function")
	}
	// The separator keeps kind and value apart.
	if keyOf(event.ID{Kind: "ab", Value: "c"}) == keyOf(event.ID{Kind: "a", Value: "bc"}) {
		t.Error("kind and value run together")
	}
}

func TestStamp(t *testing.T) {
	at := time.Date(2026, 11, 29, 8, 47, 42, 0, time.UTC)
	if got := toStamp(at).Time(); !got.Equal(at) {
		t.Errorf("round trip %v → %v", at, got)
	}
	if toStamp(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)) != math.MaxInt32 {
		t.Error("a far future time does not saturate")
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{euros(5470), "54,70 €"},
		{euros(123456), "1 234,56 €"},
		{euros(-5), "-0,05 €"},
		{duration(5), "5 s"},
		{duration(1620), "27 min"},
		{duration(29664), "8 h 14 min"},
		{duration(7200), "2 h"},
		{thousands(6412), "6 412"},
		{thousands(999), "999"},
		{minutesClock(-30), "23:30"},
		{list([]string{"a", "b", "c"}), "a, b and c"},
		{plural(1, "night", "nights"), "1 night"},
		{plural(2, "night", "nights"), "2 nights"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestNameFromEmail(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"claire.dubois@example.net", "Claire Dubois", true},
		{"jean-pierre.martin@example.net", "Jean-Pierre Martin", true},
		{"cdubois@example.net", "", false},
		{"claire.dubois2@example.net", "", false},
		{"no-at-sign", "", false},
	} {
		got, ok := nameFromEmail(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("nameFromEmail(%q) = %q, %v", tc.in, got, ok)
		}
	}
}

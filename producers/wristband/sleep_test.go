package wristband_test

import (
	"slices"
	"testing"
	"time"

	"exhaust/producers"
	"exhaust/producers/wristband"
	"exhaust/world"
)

// nightStats compares the wristband's sleep records with the truth over
// many nights, epoch by epoch and in summary.
type nightStats struct {
	nights int
	// agree[s] and total[s] count true epochs of stage s inside the
	// device's record, and those the device labelled the same.
	agree, total        map[string]int
	sleepAsSleep, sleep int // true sleep epochs labelled any sleep stage
	tstBias             time.Duration
	bedErr, wakeErr     []time.Duration // device − truth
}

// stageAt returns the phase kind covering t, or "".
func stageAt[P any](phases []P, kind func(P) (string, time.Time, time.Time), t time.Time) string {
	for _, p := range phases {
		k, s, e := kind(p)
		if !t.Before(s) && t.Before(e) {
			return k
		}
	}
	return ""
}

func worldPhase(p world.SleepPhase) (string, time.Time, time.Time) { return p.Kind, p.Start, p.End }
func devicePhase(p wristband.Phase) (string, time.Time, time.Time) { return p.Phase, p.Start, p.End }

func collectNights(t *testing.T, persons, days int) nightStats {
	t.Helper()
	w, err := world.New(world.Config{Seed: 1, Persons: persons, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	st := nightStats{agree: map[string]int{}, total: map[string]int{}}
	for i := 1; i <= days; i++ {
		day := w.Day(i)
		evs, err := producers.Collect(wristband.New(), 1, day)
		if err != nil {
			t.Fatal(err)
		}
		bySerial := map[string]*world.Sleep{}
		for _, pl := range day.Present() {
			if pl.Person.Wristband != nil {
				bySerial[pl.Person.Wristband.Serial] = pl.Sleep
			}
		}
		for _, e := range kinds(evs, wristband.KindSleep) {
			d := e.Data.(wristband.Sleep)
			truth := bySerial[d.IDs[0].Value]
			if truth == nil {
				t.Fatalf("day %d: a sleep record for %s, who slept no night", i, d.IDs[0].Value)
			}
			st.nights++
			st.bedErr = append(st.bedErr, d.Bed.Sub(truth.Bed))
			st.wakeErr = append(st.wakeErr, d.Wake.Sub(truth.Wake))
			var trueTST time.Duration
			for _, p := range truth.Phases {
				if p.Kind != "awake" && p.Kind != "falling_asleep" {
					trueTST += p.End.Sub(p.Start)
				}
			}
			devTST := time.Duration(d.TotalsS.Light+d.TotalsS.Deep+d.TotalsS.REM) * time.Second
			st.tstBias += devTST - trueTST
			for at := d.Bed.Add(15 * time.Second); at.Before(d.Wake); at = at.Add(30 * time.Second) {
				tk := stageAt(truth.Phases, worldPhase, at)
				if tk == "" || tk == "falling_asleep" {
					tk = "awake"
				}
				dk := stageAt(d.Phases, devicePhase, at)
				st.total[tk]++
				if dk == tk {
					st.agree[tk]++
				}
				if tk != "awake" {
					st.sleep++
					if dk != "awake" {
						st.sleepAsSleep++
					}
				}
			}
		}
	}
	return st
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func abs(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = max(d, -d)
	}
	return out
}

// TestSleepErrsLikeAConsumerDevice checks the wristband's nights against
// the truth over a week of 300 people: the device errs, and by the amounts
// published validation studies report (see sleep.go), not more.
func TestSleepErrsLikeAConsumerDevice(t *testing.T) {
	st := collectNights(t, 300, 7)
	if st.nights < 300 {
		t.Fatalf("%d nights: too few to say anything", st.nights)
	}
	share := func(k string) float64 { return float64(st.agree[k]) / float64(max(st.total[k], 1)) }
	sens := float64(st.sleepAsSleep) / float64(st.sleep)
	tst := st.tstBias / time.Duration(st.nights)
	t.Logf("%d nights: sleep sensitivity %.2f; stage agreement light %.2f, deep %.2f, REM %.2f, in-bed wake %.2f; "+
		"TST bias %+v; bed error median %v (|·| %v), wake error median %v (|·| %v)",
		st.nights, sens, share("light"), share("deep"), share("rem"), share("awake"), tst.Round(time.Second),
		median(st.bedErr), median(abs(st.bedErr)), median(st.wakeErr), median(abs(st.wakeErr)))
	// Ranges: the published figures (de Zambotti 2018, Chinoy 2021) with
	// room for the lag of a device that does not flicker.
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"sleep sensitivity", sens, 0.93, 0.995},
		{"light agreement", share("light"), 0.65, 0.90},
		{"deep agreement", share("deep"), 0.35, 0.65},
		{"REM agreement", share("rem"), 0.55, 0.85},
		{"in-bed wake agreement", share("awake"), 0.10, 0.65},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s %.2f, want %.2f to %.2f", c.name, c.got, c.min, c.max)
		}
	}
	if tst <= 0 || tst > 30*time.Minute {
		t.Errorf("total sleep time bias %v, want overestimated by some minutes", tst)
	}
	exact := 0
	for i := range st.bedErr {
		if st.bedErr[i] == 0 && st.wakeErr[i] == 0 {
			exact++
		}
	}
	if exact > st.nights/10 {
		t.Errorf("%d of %d nights with bed and wake exactly right: the device copies the truth", exact, st.nights)
	}
	if m := median(abs(st.bedErr)); m > 20*time.Minute {
		t.Errorf("median bedtime error %v, want within 20 minutes", m)
	}
	if m := median(abs(st.wakeErr)); m > 10*time.Minute {
		t.Errorf("median wake error %v, want within 10 minutes", m)
	}
}

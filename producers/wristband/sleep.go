package wristband

import (
	"math/rand/v2"
	"time"

	"exhaust/event"
	"exhaust/world"
)

// How the wristband scores a night, and how it errs.
//
// A wrist device sees movement and heart rate, not brain waves, so what it
// reports differs from polysomnography (PSG, the truth: world.Sleep) in the
// ways validation studies measure:
//
//   - de Zambotti M, Goldstone A, Claudatos S, Colrain IM, Baker FC (2018).
//     A validation study of Fitbit Charge 2 compared with polysomnography in
//     adults. Chronobiology International 35(4):465–476. Epoch by epoch:
//     sensitivity to sleep 0.96, specificity to wake 0.61; light sleep
//     (N1+N2) recognised 81 % of the time, deep (N3) 49 %, REM 74 %. Total
//     sleep time overestimated by 9 min, sleep-onset latency underestimated
//     by 4 min, light sleep overestimated by 34 min, deep underestimated by
//     24 min.
//   - Chinoy ED et al. (2021). Performance of seven consumer sleep-tracking
//     devices compared with polysomnography. Sleep 44(5):zsaa291. Across
//     devices: sensitivity ≥ 0.93, specificity 0.18–0.54, stages "mixed".
//   - Haghayegh S et al. (2019). Accuracy of wristband Fitbit models in
//     assessing sleep: systematic review and meta-analysis. J Med Internet
//     Res 21(11):e16273. Total sleep time overestimated, wake after sleep
//     onset underestimated, specificity 0.10–0.52 for older models.
//   - Liang Z, Martell MAC (2019). Accuracy of Fitbit wristbands in
//     measuring sleep stage transitions. JMIR mHealth uHealth 7(6):e13384.
//     The device overestimates the probability of staying in a stage and
//     underestimates transitions: it does not flicker.
//
// The model: the true night is cut into 30-second epochs; each epoch's
// device label is drawn from a per-stage confusion matrix, but held from
// one epoch to the next with a probability (labelHold), so the device's
// stages come in runs and lag the true changes. The record starts at the
// first sustained run of sleep labels (a wrist device has no lights-off
// mark, so the wearer's time falling asleep is mostly invisible) and ends
// at the last sleep label before the wearer moves in the morning.

// epoch is the scoring unit of sleep staging: 30 seconds, as in PSG
// scoring (AASM manual) and in the studies above.
const epoch = 30 * time.Second

// The stages a device tells apart, as indices of confusion.
const (
	stWake = iota
	stLight
	stDeep
	stREM
	nStages
)

// stageName is the phase kind the record reports for a device stage.
var stageName = [nStages]string{stWake: "awake", stLight: "light", stDeep: "deep", stREM: "rem"}

// confusion[truth][device] is the share of true epochs of a stage that the
// device labels as each stage. The diagonal is de Zambotti et al. 2018's
// per-stage agreement (wake 0.61, light 0.81, deep 0.49, REM 0.74), so
// sleep is labelled sleep 96–99 % of the time; the off-diagonal split is
// ours, after the direction of errors those studies describe: missed wake
// and missed deep or REM sleep mostly read as light sleep.
var confusion = [nStages][nStages]float64{
	stWake:  {0.50, 0.38, 0.02, 0.10},
	stLight: {0.03, 0.81, 0.09, 0.07},
	stDeep:  {0.01, 0.47, 0.49, 0.03},
	stREM:   {0.02, 0.22, 0.02, 0.74},
}

// labelHold is the probability that the device keeps its previous epoch's
// label instead of drawing a new one: a label lasts 1/(1−labelHold) = 6
// epochs (3 min) on average before the device reconsiders, the stickiness
// Liang and Martell 2019 measured. Our figure; it keeps runs of a few
// minutes, the grain of a consumer app's hypnogram.
const labelHold = 5.0 / 6

// onsetEpochs is how long a run of sleep labels must last for the device
// to decide the wearer fell asleep: 10 minutes, the onset rule of wrist
// actigraphy scoring (Cole-Kripke family: the first sustained stretch of
// sleep). Shorter dozes before it are left out of the record.
const onsetEpochs = 6

// maxStillAfterWake is how long a wearer may lie still after truly waking
// before the wrist moves: at most 10 minutes (our assumption), or less when
// they reach for the phone first. The device reads that stillness like any
// other in-bed wake, so its wake time can come late.
const maxStillAfterWake = 10 * time.Minute

// stageOf maps a world phase kind to the stage a PSG would score.
func stageOf(kind string) int {
	switch kind {
	case "light":
		return stLight
	case "deep":
		return stDeep
	case "rem":
		return stREM
	}
	return stWake // "falling_asleep", "awake": in bed, not asleep
}

// draw picks a device label for a true stage.
func draw(rng *rand.Rand, truth int) int {
	u := rng.Float64()
	row := &confusion[truth]
	for s := range nStages - 1 {
		if u < row[s] {
			return s
		}
		u -= row[s]
	}
	return nStages - 1
}

// trueStages lists the truth epoch by epoch from s.Bed to until: the
// night's phases, then quiet wake.
func trueStages(s *world.Sleep, until time.Time) []int {
	n := int(until.Sub(s.Bed) / epoch)
	out := make([]int, n)
	k := 0
	for i := range out {
		mid := s.Bed.Add(time.Duration(i)*epoch + epoch/2)
		for k < len(s.Phases) && !mid.Before(s.Phases[k].End) {
			k++
		}
		if k < len(s.Phases) && !mid.Before(s.Phases[k].Start) {
			out[i] = stageOf(s.Phases[k].Kind)
		} else {
			out[i] = stWake
		}
	}
	return out
}

// label is the device's reading of a night, epoch by epoch.
func label(rng *rand.Rand, truth []int) []int {
	out := make([]int, len(truth))
	cur := stWake // the wearer was up and moving before bed
	for i, t := range truth {
		if i == 0 || rng.Float64() >= labelHold {
			cur = draw(rng, t)
		}
		out[i] = cur
	}
	return out
}

// minRunEpochs is the shortest run of one stage the record shows: the
// apps draw the night as a hypnogram of runs and count wakes under three
// minutes as sleep (Fitbit's help on sleep stages says the same of short
// wakes). It also keeps a night's record small: unfolded, a restless night
// has a hundred runs.
const minRunEpochs = 6

// foldShortRuns relabels every run of fewer than minRunEpochs epochs, but
// the first, with the stage of the run before it.
func foldShortRuns(labels []int) {
	for i := 0; i < len(labels); {
		j := i
		for j < len(labels) && labels[j] == labels[i] {
			j++
		}
		if i > 0 && j-i < minRunEpochs {
			for k := i; k < j; k++ {
				labels[k] = labels[i-1]
			}
			// The merged run may now reach the next one: rescan from the
			// start of the run it joined.
			for i > 0 && labels[i-1] == labels[i] {
				i--
			}
			continue
		}
		i = j
	}
}

// firstMove is when the wearer's wrist first moves after waking: reaching
// for the phone, or getting up.
func firstMove(plan *world.Plan) time.Time {
	s := plan.Sleep
	t := s.Wake.Add(maxStillAfterWake)
	p := plan.Person
	for _, a := range plan.Apps {
		if a.Device != nil && a.Device != p.Phone {
			continue
		}
		if !a.Start.Before(s.Wake) && a.Start.Before(t) {
			t = a.Start
		}
	}
	for _, seg := range plan.Segments {
		if seg.Place == nil && seg.Start.After(s.Wake) && seg.Start.Before(t) {
			t = seg.Start // left home
		}
	}
	return t
}

// nightRecord is the wristband's record of the night that ended this
// morning; ok is false when the device saw no sleep it could score.
func nightRecord(rng *rand.Rand, plan *world.Plan, ids []event.ID) (Sleep, bool) {
	s := plan.Sleep
	if s == nil || !s.Wake.After(s.Bed) {
		return Sleep{}, false
	}
	labels := label(rng, trueStages(s, firstMove(plan)))
	asleep := func(i int) bool { return labels[i] != stWake }
	onset, run := -1, 0
	for i := range labels {
		if !asleep(i) {
			run = 0
			continue
		}
		if run++; run == onsetEpochs {
			onset = i - onsetEpochs + 1
			break
		}
	}
	if onset < 0 {
		return Sleep{}, false
	}
	end := len(labels)
	for end > onset && !asleep(end-1) {
		end--
	}
	foldShortRuns(labels[onset:end])
	at := func(i int) time.Time { return s.Bed.Add(time.Duration(i) * epoch).UTC() }
	d := Sleep{
		Common:    event.Common{IDs: ids},
		Bed:       at(onset),
		Wake:      at(end),
		DurationS: secs(time.Duration(end-onset) * epoch),
		Phases:    []Phase{},
	}
	for i := onset; i < end; {
		j := i
		for j < end && labels[j] == labels[i] {
			j++
		}
		d.Phases = append(d.Phases, Phase{Phase: stageName[labels[i]], Start: at(i), End: at(j)})
		n := secs(time.Duration(j-i) * epoch)
		switch labels[i] {
		case stLight:
			d.TotalsS.Light += n
		case stDeep:
			d.TotalsS.Deep += n
		case stREM:
			d.TotalsS.REM += n
		default:
			d.TotalsS.Awake += n
		}
		i = j
	}
	return d, true
}

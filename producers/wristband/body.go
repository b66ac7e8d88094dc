package wristband

import (
	"hash/fnv"
	"sort"
	"time"

	"exhaust/world"
)

// effort is what the body does in a minute: steps, heart rate above resting,
// and energy in METs (multiples of the resting metabolic rate; 1 MET is about
// 1 kcal per kg per hour).
type effort struct {
	spm  float64 // steps per minute
	hrUp float64 // beats per minute above resting
	met  float64
}

// Efforts of everyday activities, after the Compendium of Physical
// Activities' orders of magnitude.
var (
	asleep    = effort{0, -7, 0.95}
	lounging  = effort{4, 5, 1.5}   // at home
	desk      = effort{3, 6, 1.4}   // office work
	seated    = effort{1, 4, 1.3}   // café
	browsing  = effort{30, 15, 2.3} // shopping
	strolling = effort{60, 22, 3.0} // in a park
	walking   = effort{105, 30, 3.5}
	riding    = effort{4, 12, 1.5}  // standing in a metro carriage
	training  = effort{40, 25, 4.0} // at the gym, between exercises
)

// sport is a workout's intensity: steps per minute, the share of the heart
// rate reserve it takes, and METs.
type sport struct {
	spm     float64
	reserve float64
	met     float64
}

// sports are the workouts the world knows, with a default for others.
var sports = map[string]sport{
	"running":  {165, 0.70, 9.8},
	"fitness":  {35, 0.55, 5.5},
	"yoga":     {4, 0.25, 2.5},
	"swimming": {8, 0.60, 7.0}, // arm strokes fool the step counter a little
}

var otherSport = sport{50, 0.5, 6.0}

func sportOf(name string) sport {
	if s, ok := sports[name]; ok {
		return s
	}
	return otherSport
}

// maxHR is the maximum heart rate assumed for everyone (220 minus age for
// a thirty-year-old).
const maxHR = 190.0

// body is a wearer's physiology: what the wristband needs to turn movement
// into heart rate and calories. It is stable from day to day, derived from
// the wristband's serial, so each wearer keeps their own resting heart rate,
// which is itself a fingerprint.
type body struct {
	restingHR float64 // bpm
	weightKg  float64
}

func bodyOf(serial string) body {
	h := fnv.New64a()
	h.Write([]byte(serial))
	s := h.Sum64()
	return body{restingHR: float64(52 + s%21), weightKg: float64(55 + (s>>8)%36)}
}

// effortAt is what the wearer's body does during the minute starting at t.
func effortAt(plan *world.Plan, t time.Time) (effort, *world.Workout) {
	mid := t.Add(30 * time.Second)
	if !plan.Awake(mid) {
		return asleep, nil
	}
	for i := range plan.Workouts {
		w := &plan.Workouts[i]
		if !mid.Before(w.Start) && mid.Before(w.End) {
			return effort{}, w
		}
	}
	s := segmentAt(plan, mid)
	if s == nil {
		return lounging, nil
	}
	if s.Place == nil {
		if s.Trip != nil {
			for _, l := range s.Trip.Legs {
				if !mid.Before(l.Board) && mid.Before(l.Alight) {
					return riding, nil
				}
			}
		}
		return walking, nil
	}
	switch s.Activity {
	case "work":
		return desk, nil
	case "cafe":
		return seated, nil
	case "shopping":
		return browsing, nil
	case "park":
		return strolling, nil
	case "gym":
		return training, nil
	}
	return lounging, nil
}

// minute returns steps, heart rate and kcal of the minute starting at t.
func (b body) minute(plan *world.Plan, t time.Time) (steps, hr, kcal float64) {
	e, w := effortAt(plan, t)
	if w != nil {
		s := sportOf(w.Sport)
		return s.spm, b.restingHR + s.reserve*(maxHR-b.restingHR), s.met * b.weightKg / 60
	}
	return e.spm, b.restingHR + e.hrUp, e.met * b.weightKg / 60
}

// segmentAt returns the plan's segment covering t, or nil.
func segmentAt(plan *world.Plan, t time.Time) *world.Segment {
	segs := plan.Segments
	i := sort.Search(len(segs), func(i int) bool { return segs[i].End.After(t) })
	if i < len(segs) && !t.Before(segs[i].Start) {
		return &segs[i]
	}
	return nil
}

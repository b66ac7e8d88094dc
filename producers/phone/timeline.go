package phone

import (
	"sort"
	"time"

	"exhaust/world"
)

// interval is a stretch of time [start, end).
type interval struct{ start, end time.Time }

func (iv interval) contains(t time.Time) bool { return !t.Before(iv.start) && t.Before(iv.end) }

// window returns the stretch of time a plan covers: its segments' extent, or
// the calendar day when the plan has none.
func window(day *world.Day, plan *world.Plan) interval {
	if n := len(plan.Segments); n > 0 {
		return interval{plan.Segments[0].Start, plan.Segments[n-1].End}
	}
	return interval{day.Date, day.Date.AddDate(0, 0, 1)}
}

// onIntervals returns when the person's phone is switched on within w: all
// the time, except while asleep for those who switch it off at night.
func onIntervals(plan *world.Plan, w interval) []interval {
	if plan.Person.Phone == nil {
		return nil
	}
	if !plan.Person.Privacy.PhoneOffAtNight {
		return []interval{w}
	}
	return awakeIntervals(plan, w)
}

// awakeIntervals returns when the person is awake within w. Plan.Awake is
// sampled every minute and each change is then located to the second.
func awakeIntervals(plan *world.Plan, w interval) []interval {
	var out []interval
	last := w.end.Add(-time.Second)
	state := plan.Awake(w.start)
	start := w.start
	for prev := w.start; prev.Before(last); {
		t := prev.Add(time.Minute)
		if t.After(last) {
			t = last
		}
		if s := plan.Awake(t); s != state {
			edge := flip(plan, prev, t, state)
			if state {
				out = append(out, interval{start, edge})
			} else {
				start = edge
			}
			state = s
		}
		prev = t
	}
	if state {
		out = append(out, interval{start, w.end})
	}
	return out
}

// flip returns the first second in (lo, hi] at which Awake is no longer
// state, given Awake(lo) == state and Awake(hi) != state.
func flip(plan *world.Plan, lo, hi time.Time, state bool) time.Time {
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if !mid.After(lo) {
			break
		}
		if plan.Awake(mid) == state {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// isOn reports whether t falls in one of the intervals.
func isOn(on []interval, t time.Time) bool {
	for _, iv := range on {
		if iv.contains(t) {
			return true
		}
	}
	return false
}

// nextOn returns the first instant at or after t when the phone is on, and
// false if it stays off until the end of the day.
func nextOn(on []interval, t time.Time) (time.Time, bool) {
	for _, iv := range on {
		if iv.contains(t) {
			return t, true
		}
		if iv.start.After(t) {
			return iv.start, true
		}
	}
	return time.Time{}, false
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

// moving reports whether the person is travelling at t.
func moving(plan *world.Plan, t time.Time) bool {
	s := segmentAt(plan, t)
	return s != nil && s.Place == nil
}

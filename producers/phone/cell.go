package phone

import (
	"math/rand/v2"
	"sort"
	"time"

	"exhaust/event"
	"exhaust/world"
)

// Cell event timing.
const (
	// Idle phones confirm where they are every half hour to hour (the
	// periodic tracking-area update; 3GPP's default T3412 is 54 min).
	periodicMin = 30 * time.Minute
	periodicMax = 60 * time.Minute
	// tripSample is how often the phone's radio is modelled along a trip:
	// fine enough to catch every handover between 350 m cells.
	tripSample = time.Minute
)

// servingChange records that the phone camped on tower at a time (nil: the
// phone detached).
type servingChange struct {
	at    time.Time
	tower *world.Tower
}

// cellLog is a phone's serving towers over the day, in time order.
type cellLog []servingChange

// servingAt returns the tower serving the phone at t, or nil.
func (l cellLog) servingAt(t time.Time) *world.Tower {
	i := sort.Search(len(l), func(i int) bool { return l[i].at.After(t) })
	if i == 0 {
		return nil
	}
	return l[i-1].tower
}

// cell emits what the operator's network sees of plan's phone: attach and
// detach when it is switched on and off, handovers along trips and periodic
// updates when idle. It returns the serving towers over the day, which call
// and SMS records are located with.
func (o *observer) cell(rng *rand.Rand, plan *world.Plan, w interval, on []interval) cellLog {
	ph := plan.Person.Phone
	ids := []event.ID{{Kind: event.IMSI, Value: ph.IMSI}, {Kind: event.IMEI, Value: ph.IMEI}}
	emit := func(kind string, t time.Time, serving *world.Tower, ms []measurement) {
		d := Cell{
			Common: event.Common{IDs: ids, Where: o.towerWhere(serving)},
			Event:  kind,
			Tower:  serving.ID,
		}
		for _, m := range ms {
			d.Measurements = append(d.Measurements, Measurement{Tower: m.tower.ID, RSSIdBm: m.rssi})
		}
		o.emit.Emit(KindCell, t, d)
	}
	var log cellLog
	for _, iv := range on {
		pos, _ := plan.Where(iv.start)
		ms := o.radio.measure(rng, pos, nil)
		if len(ms) == 0 {
			return nil // a city without towers: no network at all
		}
		serving := ms[0].tower
		log = append(log, servingChange{iv.start, serving})
		last := iv.start
		if iv.start.After(w.start) {
			emit(EventAttach, iv.start, serving, ms)
		} else {
			// Camped since yesterday: its last update was some time ago.
			last = iv.start.Add(-randDur(rng, 0, periodicMin))
		}
		next := last.Add(randDur(rng, periodicMin, periodicMax))
		for t := iv.start.Truncate(time.Minute).Add(tripSample); t.Before(iv.end); t = t.Add(tripSample) {
			trip := moving(plan, t)
			due := !t.Before(next)
			if !trip && !due {
				continue
			}
			at := t.Add(randDur(rng, 0, tripSample)).Truncate(time.Second)
			if !at.Before(iv.end) {
				at = t
			}
			pos, _ := plan.Where(at)
			ms := o.radio.measure(rng, pos, serving)
			kind := ""
			if best := ms[0]; best.tower != serving {
				cur, _ := rssiOf(ms, serving)
				margin := idleHysteresisDB
				if trip {
					margin = hysteresisDB
				}
				if best.rssi >= cur+margin {
					kind = EventHandover
					serving = best.tower
					log = append(log, servingChange{at, serving})
				}
			}
			if kind == "" && due {
				kind = EventPeriodic
			}
			if kind == "" {
				continue
			}
			emit(kind, at, serving, ms)
			next = at.Add(randDur(rng, periodicMin, periodicMax))
		}
		if iv.end.Before(w.end) {
			pos, _ := plan.Where(iv.end.Add(-time.Second))
			emit(EventDetach, iv.end, serving, o.radio.measure(rng, pos, serving))
			log = append(log, servingChange{iv.end, nil})
		}
	}
	return log
}

// towerWhere is where the network places a phone served by t: at the tower,
// give or take the cell's radius.
func (o *observer) towerWhere(t *world.Tower) *event.Where {
	if t == nil {
		return nil
	}
	return &event.Where{Place: towerPlace + t.ID, Lat: round(t.Point.Lat, 6), Lon: round(t.Point.Lon, 6), AccuracyM: o.radio.cellRadius(t)}
}

// randDur returns a uniform duration in [lo, hi), to the millisecond.
func randDur(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Millisecond)))*time.Millisecond
}

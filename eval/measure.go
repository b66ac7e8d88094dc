package eval

import (
	"math"
	"slices"

	"exhaust/aggregator"
	"exhaust/aggregator/facts"
	"exhaust/event"
	"exhaust/world"
)

// unionFind connects the identifiers that appear together in one event.
type unionFind struct {
	index  map[event.ID]int32
	parent []int32
}

func newUnionFind() *unionFind { return &unionFind{index: map[event.ID]int32{}} }

func (u *unionFind) node(id event.ID) int32 {
	i, ok := u.index[id]
	if !ok {
		i = int32(len(u.parent))
		u.index[id] = i
		u.parent = append(u.parent, i)
	}
	return i
}

func (u *unionFind) find(i int32) int32 {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

// join connects every identifier of one event's ids.
func (u *unionFind) join(ids []event.ID) {
	if len(ids) == 0 {
		return
	}
	first := u.find(u.node(ids[0]))
	for _, id := range ids[1:] {
		if r := u.find(u.node(id)); r != first {
			u.parent[r] = first
		}
	}
}

// root is id's component, or -1 for an identifier no event carried.
func (u *unionFind) root(id event.ID) int32 {
	i, ok := u.index[id]
	if !ok {
		return -1
	}
	return u.find(i)
}

func pairs(n int) int64 { return int64(n) * int64(n-1) / 2 }

// ratio is num/den, or 1 when den is 0 (as package score has it: nothing
// to find is nothing missed).
func ratio(num, den int64) float64 {
	if den == 0 {
		return 1
	}
	return float64(num) / float64(den)
}

// sameEvent counts, over the identifiers of the profiles that the truth
// knows, one person's pairs (Pairs), those that joins connects (Joinable)
// and those of Joinable in one profile (Kept).
func sameEvent(joins *unionFind, profiles []*aggregator.Profile, owner map[event.ID]string) SameEvent {
	type key struct {
		person string
		root   int32
	}
	type keptKey struct {
		key
		profile int
	}
	byPerson := map[string]int{}
	byRoot := map[key]int{}
	byProfile := map[keptKey]int{}
	for pi, p := range profiles {
		for _, m := range p.Identifiers {
			id := event.ID{Kind: m.Kind, Value: m.Value}
			person, ok := owner[id]
			if !ok {
				continue
			}
			byPerson[person]++
			r := joins.root(id)
			if r < 0 {
				continue // alone: joins nothing
			}
			k := key{person, r}
			byRoot[k]++
			byProfile[keptKey{k, pi}]++
		}
	}
	var s SameEvent
	for _, n := range byPerson {
		s.Pairs += pairs(n)
	}
	for _, n := range byRoot {
		s.Joinable += pairs(n)
	}
	for _, n := range byProfile {
		s.Kept += pairs(n)
	}
	s.Recall, s.Bound = ratio(s.Kept, s.Joinable), ratio(s.Joinable, s.Pairs)
	return s
}

// areaErrors measures the home fact against the home of the people who
// sleep at home with their phone on (residents, not on night shifts, phone
// on at night), and the work fact against the workplace of the people who
// have one (night workers included), each read from the profile holding
// the person's SIM.
func areaErrors(w *world.World, profiles []*aggregator.Profile) (home, work Distances) {
	type areas struct{ home, work *facts.AreaValue }
	bySIM := map[string]areas{}
	for _, p := range profiles {
		var a areas
		for _, f := range p.Facts {
			v, ok := f.Value.(facts.AreaValue)
			if !ok {
				continue
			}
			switch f.Name {
			case facts.FactHome:
				a.home = &v
			case facts.FactWork:
				a.work = &v
			}
		}
		for _, id := range p.Identifiers {
			if id.Kind == event.IMSI {
				bySIM[id.Value] = a
			}
		}
	}
	var homeErr, workErr []float64
	for _, p := range w.People {
		a := bySIM[p.Phone.IMSI]
		if p.Arrive == 0 && p.Occupation != world.OccNight && !p.Privacy.PhoneOffAtNight {
			home.People++
			if a.home != nil {
				homeErr = append(homeErr, world.Distance(world.Point{Lat: a.home.Lat, Lon: a.home.Lon}, p.Home.Point))
			}
		}
		if p.Work != nil {
			work.People++
			if a.work != nil {
				workErr = append(workErr, world.Distance(world.Point{Lat: a.work.Lat, Lon: a.work.Lon}, p.Work.Point))
			}
		}
	}
	home.P50, home.P90, home.Found = quantile(homeErr, 0.5), quantile(homeErr, 0.9), share(len(homeErr), home.People)
	work.P50, work.P90, work.Found = quantile(workErr, 0.5), quantile(workErr, 0.9), share(len(workErr), work.People)
	return home, work
}

// sleepTally gathers, day by day, the error of the sleep fact's last night
// against the night that ended that day.
type sleepTally struct {
	nights    int
	bed, wake []float64 // absolute errors in minutes, of the nights found
}

// observe compares, for each wristband wearer in the city on day who slept
// the night before, the sleep fact of the profile holding their wristband,
// as it stands once day is applied, with that night. The night counts as
// found when the fact's last wake falls on day.
func (t *sleepTally) observe(day *world.Day, e *aggregator.Engine) {
	end := day.Date.AddDate(0, 0, 1)
	for _, pl := range day.Present() {
		p := pl.Person
		if p.Wristband == nil || !p.Privacy.WearsWristband || pl.Sleep == nil {
			continue
		}
		t.nights++
		prof, ok := e.ProfileOf(event.ID{Kind: event.Wristband, Value: p.Wristband.Serial})
		if !ok {
			continue
		}
		for _, f := range prof.Facts {
			v, ok := f.Value.(facts.SleepValue)
			if !ok || f.Name != facts.FactSleep || v.LastWake.Before(day.Date) || !v.LastWake.Before(end) {
				continue
			}
			t.bed = append(t.bed, math.Abs(v.LastBed.Sub(pl.Sleep.Bed).Minutes()))
			t.wake = append(t.wake, math.Abs(v.LastWake.Sub(pl.Sleep.Wake).Minutes()))
		}
	}
}

func (t *sleepTally) result() SleepError {
	return SleepError{
		Bed:    Quantiles{P50: quantile(t.bed, 0.5), P90: quantile(t.bed, 0.9)},
		Wake:   Quantiles{P50: quantile(t.wake, 0.5), P90: quantile(t.wake, 0.9)},
		Found:  share(len(t.bed), t.nights),
		Nights: t.nights,
	}
}

// quantile is the nearest-rank q-quantile of xs (sorted in place), or nil
// when xs is empty.
func quantile(xs []float64, q float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	v := xs[min(max(i, 0), len(xs)-1)]
	return &v
}

// share is n/of, or 0 when of is 0.
func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

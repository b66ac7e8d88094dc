package world

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"time"
)

// waypoint is a timed point of a trip's path.
type waypoint struct {
	t time.Time
	p Point
}

// Day returns day i (1-based) for the whole population. It is a pure
// function of the world's Config and i: each person's day is drawn from a
// generator keyed by (seed, person id, day), so days can be computed in any
// order and populations of different sizes agree on the people they share.
// Day panics if i < 1.
func (w *World) Day(i int) *Day {
	if i < 1 {
		panic(fmt.Sprintf("world: day %d: days are numbered from 1", i))
	}
	return w.part(i, 0, len(w.People))
}

// Activities of segments.
const (
	ActSleep    = "sleep"
	ActHome     = "home"
	ActWork     = "work"
	ActShopping = "shopping"
	ActCafe     = "cafe"
	ActGym      = "gym"
	ActPark     = "park"
	ActCommute  = "commute"
	ActWalk     = "walk"
	ActVisit    = "visit" // a sight, a museum, a one-off trip
)

// Moments of the hero's seed Sunday, in order (DESIGN.md).
const (
	MomentNight       = "night"
	MomentWakeUp      = "wake-up"
	MomentMorning     = "morning"
	MomentLateMorning = "late-morning"
	MomentMall        = "mall"
	MomentFnac        = "fnac"
	MomentStarbucks   = "starbucks"
	MomentEvening     = "evening"
)

// MomentNames lists the hero's moments in order.
var MomentNames = []string{MomentNight, MomentWakeUp, MomentMorning, MomentLateMorning, MomentMall, MomentFnac, MomentStarbucks, MomentEvening}

func isWeekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

// jitter draws a normal deviation of standard deviation sd, clipped to ±2sd.
func jitter(r *rand.Rand, sd time.Duration) time.Duration {
	x := math.Max(-2, math.Min(2, r.NormFloat64()))
	return time.Duration(x * float64(sd)).Round(time.Second)
}

// between draws a duration uniformly in [lo, hi), to the second.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return (lo + time.Duration(r.Int64N(int64(hi-lo)))).Round(time.Second)
}

func clampDur(d, lo, hi time.Duration) time.Duration { return max(lo, min(hi, d)) }

// wakeAt is when p wakes up on day. It has its own generator so the
// previous day's plan can know it without drawing the whole day.
func (w *World) wakeAt(p *Person, day int) time.Time {
	date := w.Date(day)
	r := seeded(w.cfg.Seed, "wake", p.ID, strconv.Itoa(day))
	h := p.Habits
	d := h.Wake + jitter(r, h.Jitter)
	if isWeekend(date) {
		d += h.WeekendLate
	} else if p.Work == nil {
		d += h.WeekendLate / 2
	}
	if p.Occupation == OccShift {
		if works, early := p.worksShift(day); works && early {
			// Up an hour or so before the early shift.
			d = shiftEarly - time.Duration(55+r.IntN(30))*time.Minute
		}
	}
	d = clampDur(d, 4*time.Hour+30*time.Minute, 11*time.Hour)
	if p.ID == HeroID && day == 1 {
		// The seed's Sunday: she wakes between half past eight and a quarter past nine.
		d = clampDur(d, 8*time.Hour+30*time.Minute, 9*time.Hour+15*time.Minute)
	}
	return date.Add(d)
}

// bedAt is when p goes to bed in the evening of day (possibly after
// midnight, i.e. on day+1's date).
func (w *World) bedAt(p *Person, day int) time.Time {
	date := w.Date(day)
	r := seeded(w.cfg.Seed, "bed", p.ID, strconv.Itoa(day))
	h := p.Habits
	d := h.Bed + jitter(r, h.Jitter)
	if wd := date.Weekday(); wd == time.Friday || wd == time.Saturday {
		d += h.WeekendLate / 2
	}
	if p.Occupation == OccShift {
		if works, early := p.worksShift(day + 1); works && early {
			d = min(d, 22*time.Hour+time.Duration(r.IntN(40))*time.Minute)
		}
	}
	return date.Add(clampDur(d, 21*time.Hour+30*time.Minute, 27*time.Hour))
}

// builder lays a person's day out segment by segment.
type builder struct {
	w       *World
	c       *City
	p       *Person
	plan    *Plan
	r       *rand.Rand
	t       time.Time
	at      *Place
	moment  string
	bed     time.Time
	tickets []string // bought and not yet used
	nTicket int      // tickets bought today, for their numbers
	metro   int      // metro trips so far today
	topUp   bool     // tops the pass up at the first station today
}

func (w *World) plan(p *Person, day int) *Plan {
	if !p.InCity(day) {
		return &Plan{Person: p, Day: day} // away: nothing to see
	}
	r := seeded(w.cfg.Seed, "day", p.ID, strconv.Itoa(day))
	date, end := w.Date(day), w.Date(day+1)
	b := &builder{w: w, c: w.City, p: p, r: r, t: date, at: p.Home}
	plan := &Plan{Person: p, Day: day}
	b.plan = plan
	hero := p.ID == HeroID && day == 1
	nightShift := p.Occupation == OccNight && p.worksNight(day)
	if p.Occupation == OccNight && p.worksNight(day-1) {
		b.afterNightShift() // at work at midnight; sleeps in the day
	} else {
		wake, bedPrev := w.wakeAt(p, day), w.bedAt(p, day-1)
		plan.Sleep = sleepNight(r, bedPrev, wake)
		if hero {
			b.moment = MomentNight
		}
		b.stay(p.Home, ActHome, bedPrev)
		b.stay(p.Home, ActSleep, wake)
	}
	b.bed = w.bedAt(p, day)
	if nightShift {
		b.bed = date.Add(nightStart) // no bed tonight: the latest an outing may end
	}
	b.topUp = p.PassID != "" && date.Weekday() == time.Monday && r.Float64() < 0.3
	switch works, early := p.worksShift(day); {
	case hero:
		b.topUp = false
		b.heroSunday()
	case nightShift || plan.Sleep == nil:
		b.nightWorkerDay()
	case p.Occupation == OccVisitor:
		b.sightseeing()
	case p.Occupation == OccOffice && !isWeekend(date):
		b.workday(date.Add(between(r, 8*time.Hour, 9*time.Hour+45*time.Minute)), date.Add(between(r, 17*time.Hour, 19*time.Hour)), 0.7)
	case p.Occupation == OccShift && works:
		start := date.Add(shiftLate)
		if early {
			start = date.Add(shiftEarly)
		}
		b.workday(start, start.Add(shiftLength), 0.3)
	case p.Occupation == OccStudent && !isWeekend(date):
		start := date.Add(8*time.Hour + time.Duration(r.IntN(12))*30*time.Minute)
		b.workday(start, start.Add(time.Duration(2+r.IntN(6))*time.Hour), 0.5)
	case p.Occupation == OccRemote && !isWeekend(date):
		b.homeWorkday()
	default:
		b.freeDay()
	}
	if nightShift {
		b.toNightShift()
	} else {
		b.travel(p.Home)
		bed := b.bed
		if bed.After(end) {
			bed = end // bed after midnight: the day ends at home, awake
		}
		b.stay(p.Home, ActHome, bed)
		b.stay(p.Home, ActSleep, end)
	}
	if !hero {
		b.phoneLife()
	}
	sort.SliceStable(plan.Apps, func(i, j int) bool { return plan.Apps[i].Start.Before(plan.Apps[j].Start) })
	sort.SliceStable(plan.Messages, func(i, j int) bool { return plan.Messages[i].Time.Before(plan.Messages[j].Time) })
	sort.SliceStable(plan.Searches, func(i, j int) bool { return plan.Searches[i].Time.Before(plan.Searches[j].Time) })
	sort.SliceStable(plan.Purchases, func(i, j int) bool { return plan.Purchases[i].Time.Before(plan.Purchases[j].Time) })
	w.extendPlan(plan)
	return plan
}

// stay keeps the person at place pl doing act until the given time. Stays
// that would end before now are dropped.
func (b *builder) stay(pl *Place, act string, until time.Time) {
	until = until.Truncate(time.Second)
	if !until.After(b.t) {
		return
	}
	segs := b.plan.Segments
	if n := len(segs); n > 0 && segs[n-1].Trip == nil && segs[n-1].Place == pl && segs[n-1].Activity == act && segs[n-1].Moment == b.moment {
		segs[n-1].End = until
	} else {
		b.plan.Segments = append(segs, Segment{Start: b.t, End: until, Activity: act, Place: pl, Moment: b.moment})
	}
	b.t, b.at = until, pl
}

// stayFor is stay for a duration.
func (b *builder) stayFor(pl *Place, act string, d time.Duration) { b.stay(pl, act, b.t.Add(d)) }

// walkTime is how long walking between two points takes: 1.3 m/s along
// streets 25 % longer than the straight line.
func walkTime(a, b Point) time.Duration {
	s := Distance(a, b) * 1.25 / 1.3
	return max(30*time.Second, time.Duration(s*float64(time.Second)).Round(time.Second))
}

// hopTime is the ride between two consecutive stations: a dwell plus the
// run at about 40 km/h.
func hopTime(a, b *Station) time.Duration {
	return (35*time.Second + time.Duration(Distance(a.Point, b.Point)/11*float64(time.Second))).Round(time.Second)
}

// metroOption is one way to ride between two points.
type metroOption struct {
	from, to *Station
	legs     []Leg
	cost     time.Duration // expected door-to-door time
}

// metroCache maps a pair of points to the best stations between them (a
// metroEntry; an empty one for no ride). Stations are the same in every
// City, so the cache is shared. A day asks for the same rides again and
// again (estimates, then the trip), a city's next day for the same
// commutes; but each home is a point of its own, so a large city's pairs
// are too many to keep them all (at 100,000 people, some 50 MB a day
// added): the most recent are kept. The repeats are close together, within
// a plan: at 3,000 people × 2 days, 4,096 entries a generation hit 12,238
// times where 32,768 hit 12,493.
var metroCache = memo[[2]Point, metroEntry]{size: 1 << 12}

type metroEntry struct {
	from, to string
	cost     time.Duration
}

// bestMetro finds the quickest ride between two points, trying the few
// stations near each end.
func (c *City) bestMetro(a, b Point) *metroOption {
	key := [2]Point{a, b}
	if e, ok := metroCache.get(key); ok {
		if e.from == "" {
			return nil
		}
		from, to := c.Station(e.from), c.Station(e.to)
		return &metroOption{from, to, c.Route(from, to), e.cost}
	}
	m := c.findMetro(a, b)
	var e metroEntry
	if m != nil {
		e = metroEntry{m.from.ID, m.to.ID, m.cost}
	}
	metroCache.put(key, e)
	return m
}

// nearStations caches stationsNear by point, as station ids: places do
// not move, and every City has the same stations. Bounded as metroCache
// is: every home is a point.
var nearStations = memo[Point, nearIDs]{size: 1 << 12}

// nearIDs are the ids of the stations near a point (stationsNear): n of
// them.
type nearIDs struct {
	ids [3]string
	n   int
}

// stationsNear returns the station nearest to p, plus the next two if
// within 700 m: where a trip from p may enter the metro.
func (c *City) stationsNear(p Point) []*Station {
	var top [3]*Station
	var td [3]float64
	for _, s := range c.Stations {
		d := Distance(p, s.Point)
		for k := range top {
			if top[k] == nil || d < td[k] {
				copy(top[k+1:], top[k:2])
				copy(td[k+1:], td[k:2])
				top[k], td[k] = s, d
				break
			}
		}
	}
	out := top[:1]
	for k := 1; k < 3; k++ {
		if top[k] != nil && td[k] < 700 {
			out = append(out, top[k])
		}
	}
	return out
}

// findMetro is bestMetro without the cache.
func (c *City) findMetro(a, b Point) *metroOption {
	near := func(p Point) []*Station {
		// Cached as ids: every City has its own Station values.
		if v, ok := nearStations.get(p); ok {
			out := make([]*Station, v.n)
			for i, id := range v.ids[:v.n] {
				out[i] = c.Station(id)
			}
			return out
		}
		out := c.stationsNear(p)
		var v nearIDs
		for i, s := range out {
			v.ids[i] = s.ID
		}
		v.n = len(out)
		nearStations.put(p, v)
		return out
	}
	var best *metroOption
	for _, s1 := range near(a) {
		for _, s2 := range near(b) {
			legs := c.Route(s1, s2)
			if len(legs) == 0 {
				continue
			}
			cost := walkTime(a, s1.Point) + walkTime(s2.Point, b) + 3*time.Minute
			for i, l := range legs {
				if i > 0 {
					cost += 4 * time.Minute
				}
				stops := c.Stops(l)
				for k := 1; k < len(stops); k++ {
					cost += hopTime(stops[k-1], stops[k])
				}
			}
			if best == nil || cost < best.cost {
				best = &metroOption{s1, s2, legs, cost}
			}
		}
	}
	return best
}

// travel moves the person from where they are to pl: on foot when close or
// when walking is as quick, by metro otherwise.
func (b *builder) travel(pl *Place) {
	if b.at == pl || pl == nil {
		return
	}
	from := b.at
	walk := walkTime(from.Point, pl.Point)
	if Distance(from.Point, pl.Point) > 1200 {
		if m := b.c.bestMetro(from.Point, pl.Point); m != nil && m.cost < walk {
			b.ride(pl, m.from, m.to)
			return
		}
	}
	trip := &Trip{Mode: "walk", From: from, To: pl,
		path: []waypoint{{b.t, from.Point}, {b.t.Add(walk), pl.Point}}}
	b.move(trip, b.t.Add(walk), ActWalk)
}

// etaMargin covers what an estimate of a ride leaves out: waiting for the
// train and changing lines take up to five minutes each.
const etaMargin = 15 * time.Minute

// eta is about how long travel takes from a to c.
func (b *builder) eta(a, c *Place) time.Duration {
	walk := walkTime(a.Point, c.Point)
	if Distance(a.Point, c.Point) > 1200 {
		if m := b.c.bestMetro(a.Point, c.Point); m != nil && m.cost < walk {
			return m.cost
		}
	}
	return walk
}

// homeBy is when the person must be home: bedtime, or a little before
// midnight for late sleepers, as a plan ends at midnight.
func (b *builder) homeBy() time.Time {
	return minTime(b.bed, b.w.Date(b.plan.Day+1).Add(-5*time.Minute))
}

func minTime(a, c time.Time) time.Time {
	if a.Before(c) {
		return a
	}
	return c
}

// left is how long the person can stay at pl (where they are or are about
// to be) and still be home by homeBy.
func (b *builder) left(pl *Place) time.Duration {
	return b.homeBy().Sub(b.t) - b.eta(pl, b.p.Home) - etaMargin
}

// goFor travels to pl for a stay of about d and returns that stay,
// shortened so the person is home by homeBy; when not even a short stay
// fits, it stays put and returns false.
func (b *builder) goFor(pl *Place, d time.Duration) (time.Duration, bool) {
	if pl == nil || b.left(pl)-b.eta(b.at, pl) < min(d, 10*time.Minute) {
		return 0, false
	}
	b.travel(pl)
	return max(time.Minute, min(d, b.left(pl))), true
}

// move appends a trip segment ending at end.
func (b *builder) move(trip *Trip, end time.Time, act string) {
	b.plan.Segments = append(b.plan.Segments, Segment{Start: b.t, End: end, Activity: act, Trip: trip, Moment: b.moment})
	b.t, b.at = end, trip.To
}

// ride takes the metro to pl from station s1 to station s2: walk to s1,
// buy tickets or top the pass up if needed, ride the legs (changing lines
// on foot inside stations), walk from s2.
func (b *builder) ride(pl *Place, s1, s2 *Station) {
	from := b.at
	trip := &Trip{Mode: "metro", From: from, To: pl, Legs: b.c.Route(s1, s2)}
	t := b.t.Add(walkTime(from.Point, s1.Point))
	trip.path = append(trip.path, waypoint{b.t, from.Point}, waypoint{t, s1.Point})
	if b.p.PassID == "" {
		if len(b.tickets) == 0 {
			n := 2 // a return journey
			if b.metro > 0 {
				n = 1
			}
			t = t.Add(between(b.r, 40*time.Second, 100*time.Second))
			b.buyTickets(t, s1.Place, n)
		}
		trip.Ticket, b.tickets = b.tickets[0], b.tickets[1:]
	} else if b.topUp {
		b.topUp = false
		t = t.Add(between(b.r, 50*time.Second, 120*time.Second))
		b.pay(t, s1.Place, []Item{{Name: "Navigo Semaine", Category: "pass", PriceCents: 3160, Qty: 1}},
			func(pu *Purchase) { pu.Pass = b.p.PassID })
	}
	t = t.Add(between(b.r, 20*time.Second, 60*time.Second)) // to the gate
	for i := range trip.Legs {
		l := &trip.Legs[i]
		if i > 0 {
			t = t.Add(between(b.r, 2*time.Minute, 5*time.Minute)) // corridors
			trip.path = append(trip.path, waypoint{t, l.From.Point})
		}
		l.Board = t
		t = t.Add(between(b.r, time.Minute, 5*time.Minute)) // waiting for the train
		trip.path = append(trip.path, waypoint{t, l.From.Point})
		stops := b.c.Stops(*l)
		for k := 1; k < len(stops); k++ {
			t = t.Add(hopTime(stops[k-1], stops[k]))
			trip.path = append(trip.path, waypoint{t, stops[k].Point})
		}
		l.Alight = t
	}
	t = t.Add(30 * time.Second) // up to the street
	trip.path = append(trip.path, waypoint{t, s2.Point})
	t = t.Add(walkTime(s2.Point, pl.Point))
	trip.path = append(trip.path, waypoint{t, pl.Point})
	b.metro++
	b.move(trip, t, ActCommute)
}

// TicketID returns the number of the n-th ticket (0-based) person bought on
// day. Numbers are stable so the ground truth of a day can list them, and
// never collide: the 48-bit number is a bijection (permuteBits, keyed by the
// seed) of the population index (20 bits, past MaxPersons), the day (16
// bits, 179 years) and n (12 bits, 4,096 tickets a day). An id outside that
// range (no person of a world has one) gets a hash instead.
func TicketID(seed int64, personID string, day, n int) string {
	i := personIndex(personID)
	if i < 0 || i >= 1<<20 || day < 0 || day >= 1<<16 || n < 0 || n >= 1<<12 {
		h := hashBytes(fmt.Sprint(seed), "ticket", personID, strconv.Itoa(day), strconv.Itoa(n))
		return fmt.Sprintf("TKT-%X", h[:6])
	}
	x := uint64(i)<<28 | uint64(day)<<12 | uint64(n)
	return fmt.Sprintf("TKT-%012X", permuteBits(x, seedOffset(seed, "ticket", 1<<48), 48))
}

func (b *builder) buyTickets(t time.Time, station *Place, n int) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = TicketID(b.w.cfg.Seed, b.p.ID, b.plan.Day, b.nTicket)
		b.nTicket++
	}
	b.tickets = append(b.tickets, ids...)
	b.pay(t, station, []Item{{Name: "Ticket Métro-Train-RER", Category: "ticket", PriceCents: 250, Qty: n}},
		func(pu *Purchase) { pu.Tickets, pu.TicketIDs = n, ids })
}

// pay records a purchase, paid by card or in cash per the person's habits,
// with their loyalty account when they show it at a shop of its chain.
func (b *builder) pay(t time.Time, pl *Place, items []Item, more func(*Purchase)) {
	pu := Purchase{Time: t.Truncate(time.Second), Place: pl, Items: items, Method: "card", Moment: b.moment}
	if b.p.Privacy.PaysCash {
		pu.Method = "cash"
	}
	for _, it := range items {
		pu.TotalCents += it.PriceCents * it.Qty
	}
	if acct := b.p.Loyalty[pl.Chain]; pl.Chain != "" && acct != "" && b.p.Privacy.UsesLoyaltyCard {
		pu.Loyalty = acct
	}
	if more != nil {
		more(&pu)
	}
	b.plan.Purchases = append(b.plan.Purchases, pu)
}

// workday: get ready, commute, work from start to end with lunch out on
// some days, then maybe sport, errands, an evening out, home.
func (b *builder) workday(start, end time.Time, lunchOut float64) {
	r, home, work := b.r, b.p.Home, b.p.Work
	ready := between(r, 25*time.Minute, 70*time.Minute)
	// Leave in time, if the hour allows it: the commute is about a
	// quarter of an hour to an hour.
	leave := start.Add(-between(r, 25*time.Minute, 55*time.Minute))
	if b.t.Add(ready).Before(leave) {
		b.stay(home, ActHome, leave)
	} else {
		b.stayFor(home, ActHome, ready)
	}
	b.syncWristband(20 * time.Minute)
	if r.Float64() < 0.2 {
		b.errand(useBakery, 0)
	}
	b.travel(work)
	date := b.w.Date(b.plan.Day)
	noon := date.Add(between(r, 12*time.Hour, 13*time.Hour))
	if noon.After(b.t.Add(time.Hour)) && noon.Before(end.Add(-time.Hour)) && r.Float64() < lunchOut && b.p.life.lunch.len() > 0 {
		b.stay(work, ActWork, noon)
		b.lunchOut()
		b.travel(work)
	}
	b.stay(work, ActWork, end)
	b.evening()
}

// lunchOut: a restaurant near work, the usual one most days.
func (b *builder) lunchOut() {
	r := b.r
	lunch := b.favourite(b.p.life.lunch)
	b.travel(lunch)
	start := b.t
	b.stayFor(lunch, ActCafe, between(r, 35*time.Minute, 70*time.Minute))
	items := []Item{{Name: "Formule déjeuner", Category: "food", PriceCents: 1290 + 100*r.IntN(7), Qty: 1}}
	if r.Float64() < b.p.Habits.CafeRate {
		items = append(items, b.drink())
	}
	b.pay(start.Add((b.t.Sub(start))*9/10), lunch, items, nil)
}

// evening: after work, what the rest of the day holds before going home.
func (b *builder) evening() {
	r := b.r
	latest := b.bed.Add(-2 * time.Hour)
	if !b.t.Add(time.Hour).Before(latest) {
		return
	}
	switch x := r.Float64(); {
	case b.sportDay():
		b.sport()
	case x < 0.08:
		b.mall(false)
	case x < 0.20:
		b.eveningOut()
	case x < 0.25:
		b.visitFriend()
	}
	if b.t.Add(time.Hour).Before(latest) && r.Float64() < 0.35 {
		b.errand(useGrocery, 0)
	}
}

// freeDay: a weekend or a day without work: home, outings in random
// order, home.
func (b *builder) freeDay() {
	r, home := b.r, b.p.Home
	b.stayFor(home, ActHome, between(r, time.Hour, 3*time.Hour))
	b.syncWristband(time.Hour)
	date := b.w.Date(b.plan.Day)
	weekend := isWeekend(date)
	retired := b.p.Occupation == OccRetired
	var outings []func()
	if b.sportDay() {
		outings = append(outings, b.sport)
	}
	if (weekend && r.Float64() < 0.5) || (retired && r.Float64() < 0.4) {
		outings = append(outings, b.parkWalk)
	}
	if r.Float64() < 0.2 {
		outings = append(outings, func() { b.mall(true) })
	}
	if r.Float64() < 0.45 || (retired && r.Float64() < 0.5) {
		outings = append(outings, func() { b.errand(useGrocery, 0) })
	}
	if r.Float64() < b.p.Habits.CafeRate {
		outings = append(outings, b.localCafe)
	}
	if weekend && r.Float64() < 0.25 {
		outings = append(outings, b.visitFriend)
	}
	if r.Float64() < 0.1 {
		outings = append(outings, b.oneOff)
	}
	r.Shuffle(len(outings), func(i, j int) { outings[i], outings[j] = outings[j], outings[i] })
	if r.Float64() < 0.5 || retired {
		// The bakery first: the morning's bread.
		outings = append([]func(){func() { b.errand(useBakery, 0) }}, outings...)
	}
	for i, o := range outings {
		if b.t.After(date.Add(18*time.Hour)) || b.t.Add(3*time.Hour).After(b.bed) {
			break
		}
		if i > 0 && r.Float64() < 0.5 {
			// Home in between, for lunch or a rest.
			b.travel(home)
			b.stayFor(home, ActHome, between(r, 45*time.Minute, 2*time.Hour))
		}
		o()
	}
	if (date.Weekday() == time.Saturday && r.Float64() < 0.3) || r.Float64() < 0.08 {
		if b.t.Add(3 * time.Hour).Before(b.bed) {
			b.travel(home)
			b.stay(home, ActHome, date.Add(between(r, 19*time.Hour, 20*time.Hour+30*time.Minute)))
			b.eveningOut()
		}
	}
}

// favourite picks among places nearest first: the usual one most of the
// time, the others now and then.
func (b *builder) favourite(s localSet) *Place {
	switch x, n := b.r.Float64(), s.len(); {
	case n == 0:
		return nil
	case x < 0.65 || n == 1:
		return b.c.localPlace(s, 0)
	case x < 0.9 || n == 2:
		return b.c.localPlace(s, 1)
	default:
		return b.c.localPlace(s, 2)
	}
}

// errand: a quick stop at a local place of use u (the bakery, the
// supermarket), buying something; stay is its length (0: by use).
func (b *builder) errand(u use, stay time.Duration) {
	pl := b.favourite(b.p.life.locals[u])
	if pl == nil {
		return
	}
	if stay == 0 {
		stay = between(b.r, 4*time.Minute, 10*time.Minute)
		if u == useGrocery {
			stay = between(b.r, 10*time.Minute, 30*time.Minute)
		}
	}
	stay, ok := b.goFor(pl, stay)
	if !ok {
		return
	}
	start := b.t
	b.stayFor(pl, ActShopping, stay)
	if items := b.basket(pl); items != nil {
		b.pay(start.Add(b.t.Sub(start)*8/10), pl, items, nil)
	}
}

// localCafe: a coffee at a café near home, sometimes with the tablet.
func (b *builder) localCafe() {
	pl := b.favourite(b.p.life.locals[useCafe])
	if pl == nil {
		return
	}
	d, ok := b.goFor(pl, between(b.r, 20*time.Minute, 75*time.Minute))
	if !ok {
		return
	}
	b.cafe(pl, d, b.p.Tablet != nil && b.r.Float64() < 0.3)
}

// eveningOut: dinner, drinks or a film, near home or anywhere in the city.
func (b *builder) eveningOut() {
	r := b.r
	u := []use{useRestaurant, useBar, useCinema}[r.IntN(3)]
	var pl *Place
	if r.Float64() < 0.5 {
		pl = b.favourite(b.p.life.locals[u])
	} else {
		// Somewhere else in town: near a random point where people go out.
		pt, _ := jobPoint(r)
		if ps := b.c.nearest(u, pt, 1); len(ps) > 0 {
			pl = ps[0]
		}
	}
	if pl == nil {
		return
	}
	d := between(r, 75*time.Minute, 150*time.Minute)
	if u == useBar {
		d = between(r, 45*time.Minute, 120*time.Minute)
	}
	d, ok := b.goFor(pl, d)
	if !ok {
		return
	}
	start := b.t
	b.stayFor(pl, ActCafe, d)
	if items := b.basket(pl); items != nil {
		at := start.Add(b.t.Sub(start) * 9 / 10)
		if u == useCinema {
			at = start.Add(between(r, time.Minute, 5*time.Minute))
		}
		b.pay(at, pl, items, nil)
	}
}

// visitFriend: an afternoon or evening at a contact's home.
func (b *builder) visitFriend() {
	cs := b.p.Habits.Contacts
	if len(cs) == 0 {
		return
	}
	f := b.w.Person(cs[b.r.IntN(len(cs))])
	if f == nil || f.Home.Kind != KindHome {
		return
	}
	if d, ok := b.goFor(f.Home, between(b.r, 90*time.Minute, 4*time.Hour)); ok {
		b.stayFor(f.Home, ActHome, d)
	}
}

// oneOff: a trip out of the routine, to a place of the city the person
// does not usually go to: a sight, a shop or a café across town.
func (b *builder) oneOff() {
	r := b.r
	var pl *Place
	if r.Float64() < 0.4 {
		sights := b.c.PlacesOf(KindSight)
		pl = sights[r.IntN(len(sights))]
	} else {
		pt, _ := jobPoint(r)
		u := []use{useBooks, useCafe, usePharmacy, useGrocery, useRestaurant}[r.IntN(5)]
		if ps := b.c.nearest(u, pt, 1); len(ps) > 0 {
			pl = ps[0]
		}
	}
	if pl == nil {
		return
	}
	d, ok := b.goFor(pl, between(r, 20*time.Minute, 2*time.Hour))
	if !ok {
		return
	}
	start := b.t
	b.stayFor(pl, ActVisit, d)
	if items := b.basket(pl); items != nil && r.Float64() < 0.7 {
		b.pay(start.Add(between(r, time.Minute, 10*time.Minute)), pl, items, nil)
	}
}

// homeWorkday: working from home, some days from a café near home for a
// few hours; lunch out now and then; the evening as anyone's.
func (b *builder) homeWorkday() {
	r, home := b.r, b.p.Home
	date := b.w.Date(b.plan.Day)
	b.stayFor(home, ActHome, between(r, 30*time.Minute, 90*time.Minute))
	b.syncWristband(30 * time.Minute)
	if r.Float64() < 0.25 {
		b.localCafe()
		b.travel(home)
	}
	b.stay(home, ActHome, date.Add(between(r, 12*time.Hour, 13*time.Hour)))
	if r.Float64() < 0.25 {
		if pl := b.favourite(b.p.life.locals[useRestaurant]); pl != nil {
			b.travel(pl)
			start := b.t
			b.stayFor(pl, ActCafe, between(r, 40*time.Minute, 70*time.Minute))
			b.pay(start.Add(b.t.Sub(start)*9/10), pl, b.basket(pl), nil)
		}
		b.travel(home)
	}
	b.stay(home, ActHome, date.Add(between(r, 17*time.Hour, 18*time.Hour+30*time.Minute)))
	b.evening()
}

// sightseeing: a visitor's day: two to four sights of their list (the
// next ones each day), lunch and coffee near them, maybe shopping.
func (b *builder) sightseeing() {
	r, p := b.r, b.p
	date := b.w.Date(b.plan.Day)
	b.stayFor(p.Home, ActHome, between(r, 30*time.Minute, 90*time.Minute))
	seen := p.life.sightsSeen
	first := ((b.plan.Day - p.Arrive) * 3) % max(len(seen), 1)
	for k := range 2 + r.IntN(3) {
		if len(seen) == 0 || b.t.After(date.Add(18*time.Hour)) {
			break
		}
		s := seen[(first+k)%len(seen)]
		d, ok := b.goFor(s, between(r, 45*time.Minute, 2*time.Hour+30*time.Minute))
		if !ok {
			break
		}
		start := b.t
		b.stayFor(s, ActVisit, d)
		if items := b.basket(s); items != nil {
			b.pay(start.Add(between(r, time.Minute, 6*time.Minute)), s, items, nil)
		}
		if k == 0 {
			if ps := b.c.nearest(useRestaurant, s.Point, 3); len(ps) > 0 {
				pl := ps[r.IntN(len(ps))]
				d, ok := b.goFor(pl, between(r, 45*time.Minute, 80*time.Minute))
				if !ok {
					break
				}
				st := b.t
				b.stayFor(pl, ActCafe, d)
				b.pay(st.Add(b.t.Sub(st)*9/10), pl, []Item{{Name: "Menu", Category: "food", PriceCents: 1800 + 100*r.IntN(15), Qty: 1}}, nil)
			}
		}
	}
	if r.Float64() < 0.3 {
		b.mall(false)
	}
	if b.t.Before(date.Add(20 * time.Hour)) {
		b.eveningOut()
	}
}

// afterNightShift opens a night worker's day at work, where the night
// began: the shift ends, the ride home, the day's sleep.
func (b *builder) afterNightShift() {
	r, p := b.r, b.p
	date := b.w.Date(b.plan.Day)
	b.stay(p.Work, ActWork, date.Add(nightEnd+jitter(r, 10*time.Minute)))
	b.travel(p.Home)
	b.stayFor(p.Home, ActHome, between(r, 15*time.Minute, 50*time.Minute))
	bed := b.t
	wake := bed.Add(between(r, 5*time.Hour+30*time.Minute, 7*time.Hour+30*time.Minute))
	b.plan.Sleep = sleepNight(r, bed, wake)
	b.stay(p.Home, ActSleep, wake)
}

// nightWorkerDay: the waking hours of a night worker around their shifts:
// home, errands, sport.
func (b *builder) nightWorkerDay() {
	r, home := b.r, b.p.Home
	b.stayFor(home, ActHome, between(r, 30*time.Minute, 90*time.Minute))
	b.syncWristband(time.Hour)
	if r.Float64() < 0.4 && b.t.Add(2*time.Hour).Before(b.bed) {
		b.errand(useGrocery, 0)
	}
	if b.sportDay() && b.t.Add(3*time.Hour).Before(b.bed) {
		b.sport()
	}
}

// toNightShift: home until it is time to go, then to work for the night,
// which runs past midnight into the next day's plan.
func (b *builder) toNightShift() {
	p := b.p
	date := b.w.Date(b.plan.Day)
	b.travel(p.Home)
	b.stay(p.Home, ActHome, date.Add(nightStart-between(b.r, 35*time.Minute, 50*time.Minute)))
	b.travel(p.Work)
	b.stay(p.Work, ActWork, b.w.Date(b.plan.Day+1))
}

func (b *builder) sportDay() bool {
	return b.p.Habits.Sport != "" && slices.Contains(b.p.Habits.SportDays, b.w.Date(b.plan.Day).Weekday())
}

// sport: a run in the nearest park, or a session at the nearest gym.
func (b *builder) sport() {
	s := b.p.Habits.Sport
	u, act := useGym, ActGym
	if s == "running" {
		u, act = usePark, ActPark
	}
	// Their usual place near home, or the nearest one when out.
	pl := b.favourite(b.p.life.locals[u])
	if b.at != b.p.Home {
		if ps := b.c.nearest(u, b.at.Point, 1); len(ps) > 0 {
			pl = ps[0]
		}
	}
	if pl == nil {
		return
	}
	d, ok := b.goFor(pl, between(b.r, 45*time.Minute, 80*time.Minute))
	if !ok || d < 20*time.Minute {
		return
	}
	start := b.t
	b.stayFor(pl, act, d)
	b.plan.Workouts = append(b.plan.Workouts, Workout{Start: start.Add(5 * time.Minute), End: b.t.Add(-5 * time.Minute), Sport: s, Moment: b.moment})
}

// parkWalk: a weekend stroll in a park.
func (b *builder) parkWalk() {
	parks := b.c.PlacesOf(KindPark)
	pl := b.favourite(b.p.life.locals[usePark])
	if pl == nil || b.r.Float64() < 0.4 {
		pl = parks[b.r.IntN(len(parks))]
	}
	if d, ok := b.goFor(pl, between(b.r, time.Hour, 2*time.Hour)); ok {
		b.stayFor(pl, ActPark, d)
	}
}

// mall: browse a few shops of the mall, buy some things, maybe a coffee.
func (b *builder) mall(long bool) {
	r := b.r
	var shops []*Place
	for _, p := range b.c.PlacesOf(KindShop) {
		if p.Mall != nil {
			shops = append(shops, p)
		}
	}
	n := 1 + r.IntN(2)
	if long {
		n = 2 + r.IntN(3)
	}
	visit := pick(r, shops, n)
	// Walk the mall west to east, as the shops are laid out.
	sort.SliceStable(visit, func(i, j int) bool { return visit[i].Point.Lon < visit[j].Point.Lon })
	if _, ok := b.goFor(visit[0], 45*time.Minute); !ok {
		return
	}
	for _, s := range visit {
		b.at = s // shops of a mall are next door to each other
		d := min(between(r, 8*time.Minute, 25*time.Minute), b.left(s))
		if d < 5*time.Minute {
			return
		}
		start := b.t
		b.stayFor(s, ActShopping, d)
		if items := b.basket(s); items != nil && r.Float64() < 0.6 {
			b.pay(start.Add(b.t.Sub(start)*8/10), s, items, nil)
		}
	}
	if r.Float64() < b.p.Habits.CafeRate*1.5 {
		cafe := b.c.Place(StarbucksID)
		if d := min(between(r, 20*time.Minute, 60*time.Minute), b.left(cafe)); d >= 10*time.Minute {
			b.at = cafe
			b.cafe(cafe, d, b.p.Tablet != nil && r.Float64() < 0.3)
		}
	}
}

// cafe: order, pay, sit for d, maybe working on the tablet.
func (b *builder) cafe(pl *Place, d time.Duration, tablet bool) {
	start := b.t
	b.stayFor(pl, ActCafe, d)
	drink := b.drink()
	own := b.p.Habits.OwnCup
	items := []Item{drink}
	if b.r.Float64() < 0.3 {
		items = append(items, pastries[b.r.IntN(len(pastries))])
	}
	b.pay(start.Add(between(b.r, time.Minute, 4*time.Minute)), pl, items, func(pu *Purchase) { pu.OwnCup = own })
	if tablet && b.p.Tablet != nil && d > 20*time.Minute {
		s := start.Add(8 * time.Minute)
		b.plan.TabletUse = append(b.plan.TabletUse, AppSession{Start: s, Duration: b.t.Add(-5 * time.Minute).Sub(s),
			App: "Google Docs", Device: b.p.Tablet, Moment: b.moment})
	}
}

var pastries = []Item{
	{Name: "cookie", Category: "food", PriceCents: 290, Qty: 1},
	{Name: "muffin", Category: "food", PriceCents: 340, Qty: 1},
	{Name: "croissant", Category: "food", PriceCents: 190, Qty: 1},
}

var drinkPrices = map[string]int{
	"espresso": 250, "café crème": 380, "cappuccino": 450, "latte": 480, "caramel macchiato": 560,
	"chai latte": 520, "flat white": 470, "thé vert": 390,
}

func (b *builder) drink() Item {
	o := b.p.Habits.CafeOrder
	price := drinkPrices[o]
	if price == 0 {
		price = 450
	}
	if b.p.Habits.OwnCup {
		price -= 40 // the own-cup discount
	}
	return Item{Name: o, Category: "drink", PriceCents: price, Qty: 1}
}

// books is a small catalogue of titles by genre.
var books = map[string][]string{
	"crime":            {"Le Chant des morts", "Les Rivières pourpres", "La Nuit du carrefour", "Pars vite et reviens tard"},
	"science fiction":  {"Fondation", "La Horde du Contrevent", "Le Problème à trois corps", "Dune", "Les Furtifs"},
	"fantasy":          {"Le Sorceleur", "La Passe-miroir", "Le Nom du vent", "Le Trône de fer"},
	"romance":          {"Orgueil et Préjugés", "Un jour", "La Liste de mes envies"},
	"essay":            {"Tout le monde ment", "L'Homme nu", "Monstres 2.0", "Surveiller et punir", "L'Âge du capitalisme de surveillance", "Sapiens"},
	"history":          {"Histoire de la France", "Le Siècle des Lumières", "Paris, biographie d'une ville"},
	"comics":           {"Astérix", "L'Arabe du futur", "Blacksad", "Persepolis"},
	"literary fiction": {"L'Étranger", "Le Consentement", "Chanson douce", "L'Anomalie"},
	"cooking":          {"Ottolenghi Simple", "Le Grand Livre de la pâtisserie", "Cuisine du marché"},
	"travel":           {"Guide du Routard Japon", "Lonely Planet Islande", "Sur la route"},
}

// chooseBooks picks n books of the person's genres.
func (b *builder) chooseBooks(n int) []Item {
	var items []Item
	seen := map[string]bool{}
	genres := b.p.Habits.BookGenres
	for len(items) < n && len(genres) > 0 {
		g := genres[len(items)%len(genres)]
		titles := books[g]
		if len(titles) == 0 {
			break
		}
		t := titles[b.r.IntN(len(titles))]
		if seen[t] {
			if len(seen) >= len(titles)*len(genres) {
				break
			}
			continue
		}
		seen[t] = true
		items = append(items, Item{Name: t, Category: "book", Genre: g, PriceCents: 790 + 100*b.r.IntN(16), Qty: 1})
	}
	return items
}

// basket is what someone buys in a shop, by merchant category.
func (b *builder) basket(s *Place) []Item {
	r := b.r
	switch s.MCC {
	case "5942":
		return b.chooseBooks(1 + r.IntN(2))
	case "5651":
		return []Item{{Name: []string{"pull", "chemise", "jean", "écharpe"}[r.IntN(4)], Category: "clothing", PriceCents: 2990 + 1000*r.IntN(5), Qty: 1}}
	case "5661":
		return []Item{{Name: "baskets", Category: "shoes", PriceCents: 5990 + 1000*r.IntN(4), Qty: 1}}
	case "5732":
		return []Item{{Name: []string{"câble USB-C", "écouteurs", "chargeur", "coque"}[r.IntN(4)], Category: "electronics", PriceCents: 1490 + 500*r.IntN(6), Qty: 1}}
	case "5411":
		return []Item{{Name: "courses", Category: "groceries", PriceCents: 800 + 100*r.IntN(40), Qty: 1}}
	case "5912":
		return []Item{{Name: []string{"paracétamol", "crème solaire", "pastilles"}[r.IntN(3)], Category: "pharmacy", PriceCents: 350 + 100*r.IntN(10), Qty: 1}}
	case mccBakery:
		items := []Item{{Name: "baguette", Category: "food", PriceCents: 120, Qty: 1 + r.IntN(2)}}
		if r.Float64() < 0.4 {
			items = append(items, Item{Name: []string{"croissant", "pain au chocolat", "éclair", "tarte aux pommes"}[r.IntN(4)], Category: "food", PriceCents: 130 + 50*r.IntN(8), Qty: 1})
		}
		return items
	case mccRestaurant:
		return []Item{{Name: "Dîner", Category: "food", PriceCents: 1800 + 100*r.IntN(40), Qty: 1}}
	case mccBar:
		return []Item{{Name: []string{"demi", "verre de vin", "cocktail", "spritz"}[r.IntN(4)], Category: "drink", PriceCents: 550 + 50*r.IntN(12), Qty: 1 + r.IntN(3)}}
	case mccCafe:
		return []Item{b.drink()}
	case mccCinema:
		return []Item{{Name: "Place de cinéma", Category: "cinema", PriceCents: 1150 + 50*r.IntN(4), Qty: 1}}
	case mccAttractions:
		return []Item{{Name: "Billet d'entrée", Category: "attraction", PriceCents: 1500 + 100*r.IntN(10), Qty: 1}}
	}
	return nil
}

// syncWristband opens the wristband's app at home within the next d, as
// most wearers do in the morning; the wristband uploads through the phone.
func (b *builder) syncWristband(within time.Duration) {
	if b.p.Wristband == nil || !b.p.Privacy.WearsWristband || b.r.Float64() > 0.8 {
		return
	}
	wake := b.plan.Sleep.Wake
	t := wake.Add(between(b.r, 2*time.Minute, max(3*time.Minute, within)))
	if t.After(b.t) {
		t = b.t.Add(-2 * time.Minute)
	}
	b.plan.Apps = append(b.plan.Apps, AppSession{Start: t, Duration: between(b.r, 40*time.Second, 3*time.Minute), App: WristbandApp, Device: b.p.Phone, Moment: b.moment})
}

// awakeSpans returns the stretches of the day the person is up.
func (pl *Plan) awakeSpans() [][2]time.Time {
	var out [][2]time.Time
	for _, s := range pl.Segments {
		if s.Activity == ActSleep {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1].Equal(s.Start) {
			out[n-1][1] = s.End
		} else {
			out = append(out, [2]time.Time{s.Start, s.End})
		}
	}
	return out
}

// randomAwake draws a time uniformly over the awake spans.
func randomAwake(r *rand.Rand, spans [][2]time.Time) time.Time {
	var total time.Duration
	for _, s := range spans {
		total += s[1].Sub(s[0])
	}
	if total <= 0 {
		return time.Time{}
	}
	x := time.Duration(r.Int64N(int64(total)))
	for _, s := range spans {
		if d := s[1].Sub(s[0]); x < d {
			return s[0].Add(x).Truncate(time.Second)
		}
		x -= s[1].Sub(s[0])
	}
	return spans[len(spans)-1][1]
}

// sessionLength draws how long an app stays open, by category.
func sessionLength(r *rand.Rand, app string) time.Duration {
	switch AppCategory(app) {
	case "video", "music":
		return between(r, 10*time.Minute, 50*time.Minute)
	case "games", "social":
		return between(r, 2*time.Minute, 20*time.Minute)
	case "messages":
		return between(r, 20*time.Second, 4*time.Minute)
	}
	return between(r, 40*time.Second, 8*time.Minute)
}

// phoneLife draws the day's app sessions, messages, searches and evening
// tablet use, over the hours the person is up.
func (b *builder) phoneLife() {
	r, p, plan := b.r, b.p, b.plan
	spans := plan.awakeSpans()
	if len(spans) == 0 {
		return
	}
	wake := plan.Sleep.Wake
	apps := p.Habits.Apps
	var sessions []AppSession
	first := wake.Add(p.Habits.PhoneDelay).Truncate(time.Second)
	sessions = append(sessions, AppSession{Start: first, App: apps[r.IntN(len(apps))]})
	for range 10 + r.IntN(20) {
		sessions = append(sessions, AppSession{Start: randomAwake(r, spans), App: apps[r.IntN(len(apps))]})
	}
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].Start.Before(sessions[j].Start) })
	var end time.Time
	for _, s := range sessions {
		if s.App == WristbandApp {
			continue // syncs are placed by syncWristband
		}
		if s.Start.Before(end) {
			s.Start = end.Add(between(r, 10*time.Second, 5*time.Minute))
		}
		s.Duration = sessionLength(r, s.App)
		if !plan.Awake(s.Start) || !plan.Awake(s.Start.Add(s.Duration)) {
			continue
		}
		s.Device, s.Moment = p.Phone, plan.momentAt(s.Start)
		plan.Apps = append(plan.Apps, s)
		end = s.Start.Add(s.Duration)
	}
	for range 1 + r.IntN(7) {
		t := randomAwake(r, spans)
		m := Message{Time: t, Kind: "sms", Outgoing: r.IntN(2) == 0, Moment: plan.momentAt(t)}
		if r.Float64() < 0.3 {
			m.Kind, m.Duration = "call", between(r, 20*time.Second, 15*time.Minute)
		}
		m.Peer = b.peer()
		plan.Messages = append(plan.Messages, m)
	}
	for range r.IntN(5) {
		if len(p.Habits.Topics) == 0 {
			break
		}
		t := randomAwake(r, spans)
		plan.Searches = append(plan.Searches, Search{Time: t, Topic: p.Habits.Topics[r.IntN(len(p.Habits.Topics))], Device: p.Phone, Moment: plan.momentAt(t)})
	}
	if p.Tablet != nil && r.Float64() < 0.5 {
		bed := b.bed
		start := bed.Add(-between(r, 40*time.Minute, 150*time.Minute))
		if _, at := plan.Where(start); at == p.Home && plan.Awake(start) {
			app := []string{"Netflix", "YouTube", "Le Monde"}[r.IntN(3)]
			d := min(bed.Sub(start)-5*time.Minute, between(r, 15*time.Minute, 90*time.Minute))
			plan.Apps = append(plan.Apps, AppSession{Start: start, Duration: d, App: app, Device: p.Tablet, Moment: plan.momentAt(start)})
		}
	}
}

// peer draws a correspondent: mostly contacts, sometimes an outside number
// (family out of town, a delivery, the doctor's office).
func (b *builder) peer() string {
	cs := b.p.Habits.Contacts
	if len(cs) > 0 && b.r.Float64() < 0.85 {
		if c := b.w.Person(cs[b.r.IntN(len(cs))]); c != nil {
			return c.Phone.MSISDN
		}
	}
	// +337 numbers are never given to simulated people (theirs are +336).
	return fmt.Sprintf("+337%08d", b.r.IntN(100_000_000))
}

// momentAt returns the moment tag of the segment at t ("" outside the hero's day 1).
func (pl *Plan) momentAt(t time.Time) string {
	if s := pl.segmentAt(t); s != nil {
		return s.Moment
	}
	return ""
}

// sleepNight draws the phases of a night from bed to wake: falling asleep,
// then ~90-minute cycles of light, deep and REM sleep with deep sleep early
// in the night and REM late, sometimes a brief awakening between cycles.
func sleepNight(r *rand.Rand, bed, wake time.Time) *Sleep {
	s := &Sleep{Bed: bed, Wake: wake}
	if !wake.After(bed) {
		return s
	}
	t := bed
	add := func(kind string, d time.Duration) bool {
		end := t.Add(d)
		if !end.Before(wake) {
			s.Phases = append(s.Phases, SleepPhase{Kind: kind, Start: t, End: wake})
			t = wake
			return false
		}
		s.Phases = append(s.Phases, SleepPhase{Kind: kind, Start: t, End: end})
		t = end
		return true
	}
	if !add("falling_asleep", between(r, 10*time.Minute, 25*time.Minute)) {
		return s
	}
	for cycle := 0; ; cycle++ {
		length := float64(between(r, 80*time.Minute, 110*time.Minute))
		deep := math.Max(0.05, 0.35-0.1*float64(cycle))
		rem := math.Min(0.35, 0.12+0.06*float64(cycle))
		light := 1 - deep - rem
		ok := add("light", time.Duration(length*light/2).Round(time.Second)) &&
			add("deep", time.Duration(length*deep).Round(time.Second)) &&
			add("light", time.Duration(length*light/2).Round(time.Second)) &&
			add("rem", time.Duration(length*rem).Round(time.Second))
		if ok && r.Float64() < 0.3 {
			ok = add("awake", between(r, time.Minute, 5*time.Minute))
		}
		if !ok {
			return s
		}
	}
}

// segmentAt returns the segment covering t, or nil outside the day.
func (pl *Plan) segmentAt(t time.Time) *Segment {
	segs := pl.Segments
	i := sort.Search(len(segs), func(i int) bool { return segs[i].End.After(t) })
	if i == len(segs) || t.Before(segs[i].Start) {
		return nil
	}
	return &segs[i]
}

// Where returns where the person is at t: the place's position and the
// place while there, or a point interpolated along the trip (and a nil
// place) while moving. Before the day it answers the first segment's place,
// after it the last one's.
func (pl *Plan) Where(t time.Time) (Point, *Place) {
	segs := pl.Segments
	if len(segs) == 0 {
		return Point{}, nil
	}
	s := pl.segmentAt(t)
	switch {
	case s != nil:
	case t.Before(segs[0].Start):
		s = &segs[0]
	default:
		s = &segs[len(segs)-1]
	}
	if s.Trip == nil {
		return s.Place.Point, s.Place
	}
	return s.Trip.at(t), nil
}

// at interpolates the trip's path at t.
func (tr *Trip) at(t time.Time) Point {
	path := tr.path
	if len(path) == 0 {
		return tr.From.Point
	}
	if !t.After(path[0].t) {
		return path[0].p
	}
	for i := 1; i < len(path); i++ {
		a, b := path[i-1], path[i]
		if t.Before(b.t) {
			span := b.t.Sub(a.t)
			if span <= 0 {
				return b.p
			}
			return lerp(a.p, b.p, float64(t.Sub(a.t))/float64(span))
		}
	}
	return path[len(path)-1].p
}

// Underground reports whether the person is on a metro train at t, between
// boarding and alighting a leg: where no GPS and no street-level Wi-Fi
// reaches (the operator covers the tunnels with its own antennas).
func (pl *Plan) Underground(t time.Time) bool {
	s := pl.segmentAt(t)
	if s == nil || s.Trip == nil {
		return false
	}
	for _, l := range s.Trip.Legs {
		if !t.Before(l.Board) && t.Before(l.Alight) {
			return true
		}
	}
	return false
}

// Awake reports whether the person is up at t: false from going to bed to
// waking.
func (pl *Plan) Awake(t time.Time) bool {
	if s := pl.segmentAt(t); s != nil {
		return s.Activity != ActSleep
	}
	if pl.Sleep != nil && !t.Before(pl.Sleep.Bed) && t.Before(pl.Sleep.Wake) {
		return false
	}
	if n := len(pl.Segments); n > 0 && !t.Before(pl.Segments[n-1].End) {
		return pl.Segments[n-1].Activity != ActSleep
	}
	return true
}

// TicketIDs returns the numbers of the single tickets bought this day, in
// purchase order.
func (pl *Plan) TicketIDs() []string {
	var out []string
	for _, pu := range pl.Purchases {
		out = append(out, pu.TicketIDs...)
	}
	return out
}

// Syncs returns the times the person's wristband synced through the phone
// (sessions of WristbandApp).
func (pl *Plan) Syncs() []time.Time {
	var out []time.Time
	for _, a := range pl.Apps {
		if a.App == WristbandApp {
			out = append(out, a.Start)
		}
	}
	return out
}

// momentsOf splits a plan into its tagged moments, in order.
func momentsOf(pl *Plan) []Moment {
	var out []Moment
	for _, s := range pl.Segments {
		if s.Moment == "" {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Name == s.Moment {
			out[n-1].End = s.End
			continue
		}
		out = append(out, Moment{Name: s.Moment, Start: s.Start, End: s.End})
	}
	return out
}

package facts

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"exhaust/event"
)

// --- body: sleep, wake-up, activity ---

func (v *view) sleep() (Fact, bool) {
	var e evidence
	var last *bandPart
	var nights int
	var sumDur, sumBed, sumWake int64
	var serials []string
	for i, a := range v.accs {
		b := a.Band
		if b == nil || b.Nights == 0 {
			continue
		}
		serials = append(serials, v.ids[i].Value)
		e.add(&b.SleepEv)
		nights += int(b.Nights)
		sumDur, sumBed, sumWake = sumDur+b.SumDur, sumBed+b.SumBed, sumWake+b.SumWake
		if last == nil || b.LastWake > last.LastWake {
			last = b
		}
	}
	if last == nil {
		return Fact{}, false
	}
	val := SleepValue{
		LastBed:       last.LastBed.Time(),
		LastWake:      last.LastWake.Time(),
		LastDurationS: int(last.LastDur),
		LastPhasesS:   map[string]int{},
		Nights:        nights,
		AvgDurationS:  int(sumDur / int64(nights)),
		AvgBed:        minutesClock(int(sumBed/int64(nights)) + 12*60),
		AvgWake:       minutesClock(int(sumWake / int64(nights))),
	}
	for i, p := range phaseNames {
		val.LastPhasesS[p] = int(last.LastTot[i])
	}
	display := fmt.Sprintf("sleep: last night %s → %s, %s (deep %s, REM %s, light %s)",
		clock(val.LastBed), clock(val.LastWake), duration(val.LastDurationS),
		duration(val.LastPhasesS["deep"]), duration(val.LastPhasesS["rem"]), duration(val.LastPhasesS["light"]))
	if nights > 1 {
		display += fmt.Sprintf("; %s on average over %d nights, in bed at %s, up at %s", duration(val.AvgDurationS), nights, val.AvgBed, val.AvgWake)
	}
	why := fmt.Sprintf("your wristband %s uploaded %s, phase by phase", list(serials), plural(nights, "night's sleep record", "nights' sleep records"))
	return e.fact(FactSleep, val, display, why, 0.95), true
}

// maxWakeToPhoneS is the longest delay still read as "picked the phone up
// on waking".
const maxWakeToPhoneS = 3 * 3600

func (v *view) wakeToPhone() (Fact, bool) {
	var wakes []stamp
	var e evidence
	firsts := map[int32]firstSession{}
	for _, a := range v.accs {
		if b := a.Band; b != nil && len(b.Wakes) > 0 {
			wakes = append(wakes, b.Wakes...)
			e.add(&b.SleepEv)
		}
		if p := a.Apps; p != nil {
			for _, f := range p.Firsts {
				if g, ok := firsts[f.Day]; !ok || f.T < g.T {
					firsts[f.Day] = f
				}
			}
		}
	}
	if len(wakes) == 0 || len(firsts) == 0 {
		return Fact{}, false
	}
	slices.Sort(wakes)
	wakes = slices.Compact(wakes)
	var delays []int
	var lastWake stamp
	var lastFirst firstSession
	for _, w := range wakes {
		f, ok := firsts[dayKey(w.Time())]
		// A session a minute "before" waking is the wristband's clock.
		if !ok || f.T < w-60 || f.T-w > maxWakeToPhoneS {
			continue
		}
		delays = append(delays, int(max(0, f.T-w)))
		lastWake, lastFirst = w, f
	}
	if len(delays) == 0 {
		return Fact{}, false
	}
	for _, a := range v.accs {
		if a.Apps != nil && len(a.Apps.Firsts) > 0 {
			e.add(&a.Apps.Ev)
		}
	}
	sorted := slices.Clone(delays)
	slices.Sort(sorted)
	val := WakeToPhoneValue{
		LastDelayS:   delays[len(delays)-1],
		LastApp:      v.s.str(lastFirst.App),
		MedianDelayS: sorted[len(sorted)/2],
		Mornings:     len(delays),
	}
	display := fmt.Sprintf("wake to phone: %s after waking (%s)", duration(val.LastDelayS), val.LastApp)
	if val.Mornings > 1 {
		display += fmt.Sprintf("; median %s over %d mornings", duration(val.MedianDelayS), val.Mornings)
	}
	why := fmt.Sprintf("your wristband says you woke at %s; your phone's first app session, %s, started %s later",
		lastWake.Time().In(paris()).Format("15:04:05"), val.LastApp, duration(val.LastDelayS))
	conf := 0.9 - 0.3/float64(val.Mornings)
	return e.fact(FactWakeToPhone, val, display, why, conf), true
}

func (v *view) activity() (Fact, bool) {
	var e evidence
	var val ActivityValue
	var steps, kcal, hr int64
	var lastDay int32
	var workouts []WorkoutValue
	for _, a := range v.accs {
		b := a.Band
		if b == nil || (b.Hours == 0 && len(b.Workouts) == 0) {
			continue
		}
		e.add(&b.ActEv)
		e.add(&b.WorkoutEv)
		e.add(&b.SyncEv)
		val.Days += int(b.Days)
		val.Hours += int(b.Hours)
		val.WristbandSync += int(b.Syncs)
		steps, kcal, hr = steps+b.Steps, kcal+b.Kcal, hr+b.HRSum
		if b.LastDay >= lastDay {
			lastDay, val.LastDaySteps = b.LastDay, int(b.DaySteps)
		}
		for _, w := range b.Workouts {
			workouts = append(workouts, WorkoutValue{Sport: v.s.str(w.Sport), Sessions: int(w.N), Minutes: int(w.Secs / 60), Kcal: int(w.Kcal)})
		}
	}
	if e.n == 0 {
		return Fact{}, false
	}
	if val.Days > 0 {
		val.StepsPerDay, val.KcalPerDay = int(steps/int64(val.Days)), int(kcal/int64(val.Days))
	}
	if val.Hours > 0 {
		val.HeartRateAvg = int(hr / int64(val.Hours))
	}
	slices.SortFunc(workouts, func(a, b WorkoutValue) int { return cmp.Compare(a.Sport, b.Sport) })
	for _, w := range workouts {
		if n := len(val.Workouts); n > 0 && val.Workouts[n-1].Sport == w.Sport {
			val.Workouts[n-1].Sessions += w.Sessions
			val.Workouts[n-1].Minutes += w.Minutes
			val.Workouts[n-1].Kcal += w.Kcal
			continue
		}
		val.Workouts = append(val.Workouts, w)
	}
	display := fmt.Sprintf("activity: %s steps and %s kcal a day over %s, heart rate %d bpm on average",
		thousands(val.StepsPerDay), thousands(val.KcalPerDay), plural(val.Days, "day", "days"), val.HeartRateAvg)
	var sports []string
	for _, w := range val.Workouts {
		sports = append(sports, fmt.Sprintf("%s ×%d (%s)", w.Sport, w.Sessions, duration(60*w.Minutes)))
	}
	if len(sports) > 0 {
		display += "; " + strings.Join(sports, ", ")
	}
	why := fmt.Sprintf("your wristband uploaded %s of steps, heart rate and calories", plural(val.Hours, "hour", "hours"))
	if len(val.Workouts) > 0 {
		why += " and " + plural(len(val.Workouts), "kind of workout", "kinds of workout")
	}
	if val.WristbandSync > 0 {
		why += fmt.Sprintf(", in %s through your phone", plural(val.WristbandSync, "sync", "syncs"))
	}
	return e.fact(FactActivity, val, display, why, 0.9), true
}

// --- where they go: trips and places ---

// metro is a cluster's passes and tickets together.
type metro struct {
	trips           []trip
	n               int // trips, including those no longer kept
	stations, lines []count
	purchases       []Count
	passes, tickets []string
	bought          int // tickets sold
	ev              evidence
}

// metro gathers the cluster's passes and tickets.
func (v *view) metro() metro {
	var m metro
	for i, a := range v.accs {
		if tp := a.Transit; tp != nil {
			m.ev.add(&tp.Ev)
			m.ev.add(&tp.BuyEv)
			m.passes = append(m.passes, v.ids[i].Value)
			m.trips = append(m.trips, tp.Trips...)
			m.n += int(tp.NTrips)
			if tp.Open.In != 0 {
				m.trips = append(m.trips, tp.Open)
				m.n++
			}
			for _, ss := range tp.Stations {
				m.stations = addCount(m.stations, ss.S, ss.In+ss.Out)
			}
			m.lines = append(m.lines, tp.Lines...)
			m.purchases = append(m.purchases, v.counts(tp.Products)...)
		}
		if tk := a.Ticket; tk != nil {
			m.ev.add(&tk.Ev)
			m.tickets = append(m.tickets, v.ids[i].Value)
			if tk.Bought {
				m.bought++
			}
			t := tk.Trip
			if t.In == 0 && t.Out == 0 {
				continue
			}
			m.trips = append(m.trips, t)
			m.n++
			if t.In != 0 {
				m.stations = addCount(m.stations, t.FromS, 1)
				m.lines = addCount(m.lines, t.FromL, 1)
			}
			if t.Out != 0 {
				m.stations = addCount(m.stations, t.ToS, 1)
				m.lines = addCount(m.lines, t.ToL, 1)
			}
		}
	}
	if m.bought > 0 {
		m.purchases = append(m.purchases, Count{Name: "ticket", Count: m.bought})
	}
	m.purchases = sortCounts(m.purchases)
	return m
}

func (v *view) trips() (Fact, bool) {
	m := v.metro()
	if m.n == 0 && len(m.purchases) == 0 {
		return Fact{}, false
	}
	e, all, n := m.ev, m.trips, m.n
	at := func(t trip) stamp { return max(t.In, t.Out) }
	slices.SortFunc(all, func(a, b trip) int {
		if c := cmp.Compare(at(a), at(b)); c != 0 {
			return c
		}
		return cmp.Compare(v.s.str(a.FromS)+v.s.str(a.ToS), v.s.str(b.FromS)+v.s.str(b.ToS))
	})
	inferred := chainTrips(all)
	if len(all) > maxTrips {
		all = all[len(all)-maxTrips:]
		inferred = inferred[len(inferred)-maxTrips:]
	}
	val := TripsValue{Trips: n, Lines: v.counts(m.lines), Purchases: m.purchases}
	for _, s := range m.stations {
		val.Stations = append(val.Stations, Count{Name: v.s.placeName(s.S), Count: int(s.N)})
	}
	val.Stations = sortCounts(val.Stations)
	guessed := 0
	for i, t := range all {
		tv := TripValue{}
		if t.In != 0 {
			tv.From, tv.FromName, tv.FromLine, tv.In = v.s.str(t.FromS), v.s.placeName(t.FromS), v.s.str(t.FromL), t.In.Time()
		}
		switch {
		case t.Out != 0:
			tv.To, tv.ToName, tv.ToLine, tv.Out = v.s.str(t.ToS), v.s.placeName(t.ToS), v.s.str(t.ToL), t.Out.Time()
		case inferred[i] >= 0:
			tv.To, tv.ToName, tv.ToInferred = v.s.str(inferred[i]), v.s.placeName(inferred[i]), true
			guessed++
		}
		val.Recent = append(val.Recent, tv)
	}
	var shown []string
	for _, t := range val.Recent[max(0, len(val.Recent)-3):] {
		shown = append(shown, tripLine(t))
	}
	display := fmt.Sprintf("trips: %s — %s", plural(n, "metro trip", "metro trips"), strings.Join(shown, "; "))
	var why []string
	for _, p := range m.passes {
		why = append(why, fmt.Sprintf("the metro gates read your pass %s", p))
	}
	if len(m.tickets) > 0 {
		why = append(why, fmt.Sprintf("the gates read %s", plural(len(m.tickets), "single ticket", "single tickets")))
	}
	if guessed > 0 {
		why = append(why, "where no gate reads the way out, a trip ends where your next one starts that day, and the day's last one where the day's first started")
	}
	if len(val.Purchases) > 0 {
		why = append(why, "ticket machines sold you "+countNames(val.Purchases, 3))
	}
	return e.fact(FactTrips, val, display, list(why), 0.95), true
}

// chainTrips infers the destination of trips no exit gate closed (Paris
// metro gates read entries only), the "trip chaining" transit agencies run
// on entry-only fare data (Barry et al. 2002, Transportation Research
// Record 1817): a trip ends where the next one of the same local day
// starts, and the day's last trip where its first started, the way home.
// trips are in time order; the result holds, per trip, the inferred
// destination, or -1 when the trip has its exit tap or no destination can
// be told (a lone trip that day, or a next trip from the same station).
func chainTrips(trips []trip) []int32 {
	out := make([]int32, len(trips))
	for i := range out {
		out[i] = -1
	}
	start := func(t trip) stamp { return max(t.In, t.Out) }
	for i := 0; i < len(trips); {
		// One local day of trips: [i, j).
		day := dayKey(start(trips[i]).Time())
		j := i
		for j < len(trips) && dayKey(start(trips[j]).Time()) == day {
			j++
		}
		for k := i; k < j; k++ {
			t := trips[k]
			if t.In == 0 || t.Out != 0 {
				continue
			}
			var to trip
			switch {
			case k+1 < j:
				to = trips[k+1]
			case k > i:
				to = trips[i] // the day's last trip: home, to the first station
			default:
				continue
			}
			if to.In != 0 && to.FromS != t.FromS {
				out[k] = to.FromS
			}
		}
		i = j
	}
	return out
}

// tripLine formats a trip: "Sun 11:01 Alexandre Dumas (2) → Châtelet (1)
// 11:26", or "… → Châtelet?" when the destination is inferred.
func tripLine(t TripValue) string {
	from, to := "?", "?"
	if t.FromName != "" {
		from = fmt.Sprintf("%s %s (%s)", dayClock(t.In), t.FromName, t.FromLine)
	}
	if t.ToInferred {
		return from + " → " + t.ToName + "?"
	}
	if t.ToName != "" {
		to = fmt.Sprintf("%s (%s) %s", t.ToName, t.ToLine, clock(t.Out))
		if t.FromName == "" {
			to = fmt.Sprintf("%s (%s) %s", t.ToName, t.ToLine, dayClock(t.Out))
		}
	}
	return from + " → " + to
}

func (v *view) places() (Fact, bool) {
	type visit struct {
		dwell, wifi, pays, taps int
	}
	byPlace := map[int32]*visit{}
	get := func(p int32) *visit {
		vs := byPlace[p]
		if vs == nil {
			vs = &visit{}
			byPlace[p] = vs
		}
		return vs
	}
	var e evidence
	var payments, taps int
	// Sessions and sightings by the sensors that noticed them.
	type noticed struct{ sessions, seen int }
	var by []string
	byName := map[string]*noticed{}
	for _, a := range v.accs {
		if w := a.WiFi; w != nil {
			e.add(&w.Ev)
			name := "sensors at places"
			if w.By != 0 {
				name = v.s.str(w.By)
			}
			nt := byName[name]
			if nt == nil {
				nt = &noticed{}
				byName[name] = nt
				by = append(by, name)
			}
			// One device's time at each place (its networks together);
			// several devices of one person are there at the same time,
			// so across devices the longest counts, not the sum.
			mine := map[int32]*visit{}
			for _, wp := range w.Places {
				m := mine[wp.P]
				if m == nil {
					m = &visit{}
					mine[wp.P] = m
				}
				m.dwell += int(wp.DwellS)
				m.dwell = max(m.dwell, int(wp.SpanS))
				m.wifi += int(max(wp.Assoc, wp.Visits))
				nt.sessions += int(wp.Assoc)
				nt.seen += int(wp.Probes)
			}
			for p, m := range mine {
				vs := get(p)
				vs.dwell = max(vs.dwell, m.dwell)
				vs.wifi = max(vs.wifi, m.wifi)
			}
		}
		if y := a.Pay; y != nil {
			e.add(&y.Ev)
			for _, c := range y.Places {
				get(c.C).pays += int(c.N)
				payments += int(c.N)
			}
		}
	}
	m := v.metro()
	e.merge(&m.ev)
	for _, c := range m.stations {
		get(c.S).taps += int(c.N)
		taps += int(c.N)
	}
	if len(byPlace) == 0 {
		return Fact{}, false
	}
	var val PlacesValue
	for p, vs := range byPlace {
		name := v.s.placeName(p)
		if name == v.s.str(p) {
			name = ""
		}
		val.Places = append(val.Places, PlaceVisitValue{Place: v.s.str(p), Name: name, DwellS: vs.dwell, WiFi: vs.wifi, Payments: vs.pays, Taps: vs.taps})
	}
	slices.SortFunc(val.Places, func(a, b PlaceVisitValue) int {
		if c := cmp.Compare(b.DwellS, a.DwellS); c != 0 {
			return c
		}
		if c := cmp.Compare(b.WiFi+b.Payments+b.Taps, a.WiFi+a.Payments+a.Taps); c != 0 {
			return c
		}
		return cmp.Compare(a.Place, b.Place)
	})
	if len(val.Places) > maxPlaces {
		val.Places = val.Places[:maxPlaces]
	}
	var shown []string
	for i, p := range val.Places {
		if i == 5 {
			shown = append(shown, fmt.Sprintf("%d more", len(val.Places)-5))
			break
		}
		name := p.Place
		if p.Name != "" {
			name = p.Name
		}
		switch {
		case p.DwellS >= 60:
			shown = append(shown, fmt.Sprintf("%s %s", name, duration(p.DwellS)))
		case p.Payments > 0:
			shown = append(shown, fmt.Sprintf("%s (paid %s)", name, plural(p.Payments, "time", "times")))
		case p.Taps > 0:
			shown = append(shown, fmt.Sprintf("%s (%s)", name, plural(p.Taps, "tap", "taps")))
		default:
			shown = append(shown, name+" (passed by)")
		}
	}
	display := "places: " + strings.Join(shown, ", ")
	var why []string
	slices.Sort(by)
	for _, name := range by {
		nt := byName[name]
		switch {
		case nt.sessions > 0:
			why = append(why, fmt.Sprintf("%s logged %s and %s of your devices", name,
				plural(nt.sessions, "session", "sessions"), plural(nt.seen, "sighting", "sightings")))
		case nt.seen > 0:
			why = append(why, fmt.Sprintf("%s noticed you %s", name, plural(nt.seen, "time", "times")))
		}
	}
	if payments > 0 {
		why = append(why, fmt.Sprintf("your card paid %s", plural(payments, "time", "times")))
	}
	if taps > 0 {
		why = append(why, fmt.Sprintf("the metro gates read you %s", plural(taps, "time", "times")))
	}
	return e.fact(FactPlaces, val, display, list(why), 0.9), true
}

// --- money: spending, shopping, interests, café ---

func (v *view) spending() (Fact, bool) {
	var e evidence
	var cats, places []catStat
	var cards []string
	for i, a := range v.accs {
		y := a.Pay
		if y == nil || y.Ev.N == 0 {
			continue
		}
		e.add(&y.Ev)
		cards = append(cards, v.ids[i].Value)
		for _, c := range y.Cats {
			cats = mergeCat(cats, c)
		}
		for _, c := range y.Places {
			places = mergeCat(places, c)
		}
	}
	if len(cats) == 0 {
		return Fact{}, false
	}
	var val SpendingValue
	for _, c := range cats {
		val.Payments += int(c.N)
		val.TotalCents += int(c.Cents)
		val.ByCategory = append(val.ByCategory, CategoryValue{Category: v.s.str(c.C), Payments: int(c.N), Cents: int(c.Cents)})
	}
	slices.SortFunc(val.ByCategory, func(a, b CategoryValue) int {
		if c := cmp.Compare(b.Cents, a.Cents); c != 0 {
			return c
		}
		return cmp.Compare(a.Category, b.Category)
	})
	var parts []string
	for _, c := range val.ByCategory {
		parts = append(parts, fmt.Sprintf("%s %s", strings.ReplaceAll(c.Category, "_", " "), euros(c.Cents)))
	}
	display := fmt.Sprintf("spending: %s in %s — %s", euros(val.TotalCents), plural(val.Payments, "card payment", "card payments"), strings.Join(parts, ", "))
	slices.SortFunc(places, func(a, b catStat) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return cmp.Compare(v.s.placeName(a.C), v.s.placeName(b.C))
	})
	var merchants []string
	for i, p := range places {
		if i == 3 {
			merchants = append(merchants, fmt.Sprintf("%d more", len(places)-3))
			break
		}
		merchants = append(merchants, v.s.placeName(p.C))
	}
	why := fmt.Sprintf("your bank card %s paid %s", list(cards), list(merchants))
	return e.fact(FactSpending, val, display, why, 0.95), true
}

func mergeCat(cs []catStat, c catStat) []catStat {
	for i := range cs {
		if cs[i].C == c.C {
			cs[i].N += c.N
			cs[i].Cents += c.Cents
			return cs
		}
	}
	return append(cs, c)
}

func (v *view) shopping() (Fact, bool) {
	var e evidence
	var val ShoppingValue
	var accounts []string
	for i, a := range v.accs {
		b := a.Basket
		if b == nil || b.Baskets == 0 {
			continue
		}
		e.add(&b.Ev)
		accounts = append(accounts, v.ids[i].Value)
		val.Baskets += int(b.Baskets)
		val.TotalCents += int(b.Cents)
		chain := v.s.str(b.Chain)
		j := slices.IndexFunc(val.Chains, func(c ChainValue) bool { return c.Chain == chain })
		if j < 0 {
			val.Chains = append(val.Chains, ChainValue{Chain: chain})
			j = len(val.Chains) - 1
		}
		val.Chains[j].Baskets += int(b.Baskets)
		val.Chains[j].Cents += int(b.Cents)
		val.Chains[j].Items += int(b.Items)
	}
	if val.Baskets == 0 {
		return Fact{}, false
	}
	slices.SortFunc(val.Chains, func(a, b ChainValue) int {
		if c := cmp.Compare(b.Cents, a.Cents); c != 0 {
			return c
		}
		return cmp.Compare(a.Chain, b.Chain)
	})
	var parts []string
	for _, c := range val.Chains {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", c.Chain, euros(c.Cents), plural(c.Items, "item", "items")))
	}
	display := fmt.Sprintf("shopping: %s in %s — %s", euros(val.TotalCents), plural(val.Baskets, "loyalty basket", "loyalty baskets"), strings.Join(parts, ", "))
	why := fmt.Sprintf("the tills itemised every basket of your loyalty %s %s", pluralWord(len(accounts), "card", "cards"), list(accounts))
	return e.fact(FactShopping, val, display, why, 0.95), true
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (v *view) interests() (Fact, bool) {
	var e evidence
	var genres, topics []count
	var books, searches int
	var chains []string
	for _, a := range v.accs {
		if b := a.Basket; b != nil && len(b.Genres) > 0 {
			e.add(&b.Ev)
			genres = append(genres, b.Genres...)
			for _, g := range b.Genres {
				books += int(g.N)
			}
			chains = append(chains, v.s.str(b.Chain))
		}
		if p := a.Apps; p != nil && len(p.Topics) > 0 {
			e.add(&p.Search)
			topics = append(topics, p.Topics...)
			searches += int(p.Search.N)
		}
	}
	if len(genres) == 0 && len(topics) == 0 {
		return Fact{}, false
	}
	val := InterestsValue{BookGenres: v.counts(genres), SearchTopics: v.counts(topics)}
	var parts, why []string
	if len(val.BookGenres) > 0 {
		parts = append(parts, "books: "+countNames(val.BookGenres, 4))
		slices.Sort(chains)
		why = append(why, fmt.Sprintf("the %s till itemised %s with their genres", list(slices.Compact(chains)), plural(books, "book", "books")))
	}
	if len(val.SearchTopics) > 0 {
		parts = append(parts, "searches: "+countNames(val.SearchTopics, 5))
		why = append(why, fmt.Sprintf("the search engine filed %s under your advertising id", plural(searches, "search", "searches")))
	}
	return e.fact(FactInterests, val, "interests: "+strings.Join(parts, "; "), list(why), 0.85), true
}

func (v *view) cafe() (Fact, bool) {
	var e evidence
	var drinks, places []count
	var basketVisits, cardVisits, ownCup int
	var chains []string
	for _, a := range v.accs {
		if b := a.Basket; b != nil && b.CafeVisits > 0 {
			e.add(&b.CafeEv)
			basketVisits += int(b.CafeVisits)
			ownCup += int(b.OwnCup)
			drinks = append(drinks, b.Drinks...)
			places = append(places, b.Stores...)
			chains = append(chains, v.s.str(b.Chain))
		}
		if y := a.Pay; y != nil && len(y.Cafe) > 0 {
			e.add(&y.CafeEv)
			for _, c := range y.Cafe {
				cardVisits += int(c.N)
				places = append(places, count{S: c.C, N: c.N})
			}
		}
	}
	if basketVisits+cardVisits == 0 {
		return Fact{}, false
	}
	// A visit paid by card with the loyalty card shown is in both: the
	// larger count is the best guess without double counting.
	val := CafeValue{Visits: max(basketVisits, cardVisits), OwnCup: ownCup, Orders: v.counts(drinks)}
	if len(val.Orders) > 0 {
		val.Order = val.Orders[0].Name
	}
	if basketVisits > 0 {
		val.OwnCupShare = round(float64(ownCup)/float64(basketVisits), 2)
	}
	var ps []Count
	for _, p := range places {
		ps = append(ps, Count{Name: v.s.placeName(p.S), Count: int(p.N)})
	}
	val.Places = sortCounts(ps)
	days := v.observedDays()
	val.VisitsPerWeek = round(float64(val.Visits)*7/float64(max(days, 7)), 1)

	var parts []string
	if val.Order != "" {
		parts = append(parts, val.Order)
	}
	if basketVisits > 0 {
		parts = append(parts, fmt.Sprintf("own cup %d of %s", ownCup, plural(basketVisits, "visit", "visits")))
	}
	parts = append(parts, fmt.Sprintf("%s in %s", plural(val.Visits, "visit", "visits"), plural(days, "day", "days")))
	display := "café: " + strings.Join(parts, ", ")
	var why []string
	if basketVisits > 0 {
		slices.Sort(chains)
		why = append(why, fmt.Sprintf("the %s till itemised your %s and noted your cup", list(slices.Compact(chains)), pluralWord(basketVisits, "order", "orders")))
	}
	if cardVisits > 0 {
		why = append(why, fmt.Sprintf("your card paid %s at cafés and fast food places (merchant code 5814)", plural(cardVisits, "time", "times")))
	}
	return e.fact(FactCafe, val, display, list(why), 0.9), true
}

// observedDays is the number of calendar days between the cluster's first
// and last events, both included.
func (v *view) observedDays() int {
	var first, last stamp
	for i, a := range v.accs {
		if i == 0 || a.First < first {
			first = a.First
		}
		if i == 0 || a.Last > last {
			last = a.Last
		}
	}
	return int(dayKey(last.Time())-dayKey(first.Time())) + 1
}

// --- phone life: apps, devices, contacts ---

func deviceName(bits uint8) string {
	switch bits {
	case devPhone:
		return "phone"
	case devTablet:
		return "tablet"
	case devPhone | devTablet:
		return "phone or tablet"
	}
	return "device"
}

func (v *view) apps() (Fact, bool) {
	var e evidence
	var all []AppValue
	var adids []string
	for i, a := range v.accs {
		p := a.Apps
		if p == nil || len(p.Apps) == 0 {
			continue
		}
		e.add(&p.Ev)
		adids = append(adids, short(v.ids[i].Value))
		for _, st := range p.Apps {
			all = append(all, AppValue{App: v.s.str(st.App), Category: v.s.str(v.s.appCat[st.App]), Device: deviceName(st.Device), Sessions: int(st.N), Seconds: int(st.Secs)})
		}
	}
	if len(all) == 0 {
		return Fact{}, false
	}
	slices.SortFunc(all, func(a, b AppValue) int {
		return cmp.Or(cmp.Compare(a.App, b.App), cmp.Compare(a.Device, b.Device))
	})
	var val AppsValue
	for _, ap := range all {
		val.Sessions += ap.Sessions
		if n := len(val.Apps); n > 0 && val.Apps[n-1].App == ap.App && val.Apps[n-1].Device == ap.Device {
			val.Apps[n-1].Sessions += ap.Sessions
			val.Apps[n-1].Seconds += ap.Seconds
			continue
		}
		val.Apps = append(val.Apps, ap)
	}
	slices.SortStableFunc(val.Apps, func(a, b AppValue) int { return cmp.Compare(b.Seconds, a.Seconds) })
	var shown []string
	for i, ap := range val.Apps {
		if i == 4 {
			shown = append(shown, fmt.Sprintf("%d more", len(val.Apps)-4))
			break
		}
		shown = append(shown, fmt.Sprintf("%s %s", ap.App, duration(ap.Seconds)))
	}
	display := fmt.Sprintf("apps: %s (%s)", strings.Join(shown, ", "), plural(val.Sessions, "session", "sessions"))
	why := fmt.Sprintf("app analytics logged %s under advertising %s %s", plural(val.Sessions, "session", "sessions"), pluralWord(len(adids), "id", "ids"), list(adids))
	return e.fact(FactApps, val, display, why, 0.9), true
}

func (v *view) devices() (Fact, bool) {
	var e evidence
	var val DevicesValue
	wifiAt := map[string][]string{}
	var phoneIDs, tabletIDs int
	for i, a := range v.accs {
		id := v.ids[i]
		d := DeviceValue{Kind: string(id.Kind), ID: id.Value, Seen: int(a.Seen)}
		switch id.Kind {
		case event.IMEI:
			d.Device = "phone"
			phoneIDs = max(phoneIDs, 1)
		case event.IMSI:
			d.Device = "sim"
			if a.Cell != nil {
				e.add(&a.Cell.Night.Ev)
				e.add(&a.Cell.Work.Ev)
			}
		case event.MSISDN:
			d.Device = "phone number"
		case event.ADID:
			d.Device = "device"
			if p := a.Apps; p != nil {
				d.Device = deviceName(p.Device)
				e.add(&p.Ev)
				if p.Device&devTablet != 0 {
					tabletIDs++
				} else if p.Device&devPhone != 0 {
					phoneIDs++
				}
			}
		case event.MAC:
			d.Device = "wifi"
			val.WiFi++
			if w := a.WiFi; w != nil {
				e.add(&w.Ev)
				for _, wp := range w.Places {
					place := v.s.str(wp.P)
					if !slices.Contains(d.Networks, place) {
						d.Networks = append(d.Networks, place)
						wifiAt[place] = append(wifiAt[place], id.Value)
					}
				}
				slices.Sort(d.Networks)
			}
		case event.Wristband:
			d.Device = "wristband"
			val.Wristbands++
			if b := a.Band; b != nil {
				e.add(&b.SyncEv)
			}
		default:
			continue
		}
		val.Items = append(val.Items, d)
	}
	if len(val.Items) == 0 {
		return Fact{}, false
	}
	val.Phones = phoneIDs
	if val.Phones == 0 && len(v.idsOf(event.IMSI)) > 0 {
		val.Phones = 1
	}
	val.Tablets = tabletIDs
	if len(wifiAt) > 0 {
		val.WiFiAt = wifiAt
	}
	var parts []string
	if val.Phones > 0 {
		parts = append(parts, plural(val.Phones, "phone", "phones"))
	}
	if val.Tablets > 0 {
		parts = append(parts, plural(val.Tablets, "tablet", "tablets"))
	}
	if val.Wristbands > 0 {
		parts = append(parts, plural(val.Wristbands, "wristband", "wristbands"))
	}
	if val.WiFi > 0 {
		parts = append(parts, plural(val.WiFi, "Wi-Fi address", "Wi-Fi addresses"))
	}
	display := "devices: " + strings.Join(parts, ", ")
	// Places where several of the devices were seen: the seed's "two
	// connections, my phone and my tablet".
	for _, place := range slices.Sorted(maps.Keys(wifiAt)) {
		if macs := wifiAt[place]; len(macs) >= 2 {
			display += fmt.Sprintf("; %d Wi-Fi devices at %s (%s)", len(macs), v.s.placeNameOf(place), strings.Join(macs, ", "))
		}
	}
	var kinds []string
	for _, d := range val.Items {
		kinds = append(kinds, fmt.Sprintf("%s %s", d.Kind, short(d.ID)))
	}
	why := "identifiers linked into this profile: " + strings.Join(kinds, ", ")
	if e.n == 0 {
		e.n = len(val.Items)
	}
	return e.fact(FactDevices, val, display, why, 0.9), true
}

func (v *view) contacts() (Fact, bool) {
	var e evidence
	var all []contactStat
	var sms, calls int
	for _, a := range v.accs {
		m := a.Msg
		if m == nil || len(m.Contacts) == 0 {
			continue
		}
		e.add(&m.Ev)
		for _, c := range m.Contacts {
			i := slices.IndexFunc(all, func(x contactStat) bool { return x.H == c.H && x.Raw == c.Raw })
			if i < 0 {
				all = append(all, c)
				continue
			}
			all[i].SMSIn += c.SMSIn
			all[i].SMSOut += c.SMSOut
			all[i].CallIn += c.CallIn
			all[i].CallOut += c.CallOut
			all[i].CallS += c.CallS
		}
	}
	if len(all) == 0 {
		return Fact{}, false
	}
	var val ContactsValue
	known := 0
	for _, c := range all {
		cv := ContactValue{Hash: fmt.Sprintf("%016x", c.H), MSISDN: v.s.byHash[c.H], SMSIn: int(c.SMSIn), SMSOut: int(c.SMSOut),
			CallsIn: int(c.CallIn), CallsOut: int(c.CallOut), CallS: int(c.CallS)}
		if c.Raw >= 0 {
			cv.Hash, cv.MSISDN = v.s.str(c.Raw), ""
		}
		if cv.MSISDN != "" {
			known++
		}
		sms += cv.SMSIn + cv.SMSOut
		calls += cv.CallsIn + cv.CallsOut
		val.Contacts = append(val.Contacts, cv)
	}
	total := func(c ContactValue) int { return c.SMSIn + c.SMSOut + c.CallsIn + c.CallsOut }
	slices.SortFunc(val.Contacts, func(a, b ContactValue) int {
		return cmp.Or(cmp.Compare(total(b), total(a)), cmp.Compare(b.CallS, a.CallS), cmp.Compare(a.Hash, b.Hash))
	})
	var shown []string
	for i, c := range val.Contacts {
		if i == 3 {
			shown = append(shown, fmt.Sprintf("%d more", len(val.Contacts)-3))
			break
		}
		var what []string
		if n := c.SMSIn + c.SMSOut; n > 0 {
			what = append(what, plural(n, "SMS", "SMS"))
		}
		if n := c.CallsIn + c.CallsOut; n > 0 {
			what = append(what, fmt.Sprintf("%s (%s)", plural(n, "call", "calls"), duration(c.CallS)))
		}
		who := short(c.Hash)
		if c.MSISDN != "" {
			who += " = " + c.MSISDN
		}
		shown = append(shown, fmt.Sprintf("%s: %s", who, strings.Join(what, ", ")))
	}
	display := fmt.Sprintf("contacts: %s — %s", plural(len(val.Contacts), "correspondent", "correspondents"), strings.Join(shown, "; "))
	why := fmt.Sprintf("the operator's records of %s and %s; numbers are hashed, but the same number always gets the same hash",
		plural(sms, "SMS", "SMS"), plural(calls, "call", "calls"))
	if known > 0 {
		why += ", and " + pluralWord(known, "one hash is a number", fmt.Sprintf("%d hashes are numbers", known)) + " seen elsewhere in the stream"
	}
	return e.fact(FactContacts, val, display, why, 0.9), true
}

// --- who: name and e-mail ---

// registrations returns the cluster's loyalty member records, deduplicated
// and sorted, with their evidence.
func (v *view) registrations() ([]registration, []count, evidence) {
	var regs []registration
	var portals []count
	var e evidence
	for _, a := range v.accs {
		if r := a.Reg; r != nil {
			e.add(&r.Ev)
			for _, g := range r.Regs {
				if !slices.Contains(regs, g) {
					regs = append(regs, g)
				}
			}
			portals = append(portals, r.Portals...)
		}
	}
	slices.SortFunc(regs, func(a, b registration) int {
		return cmp.Or(cmp.Compare(v.s.str(a.Chain), v.s.str(b.Chain)), cmp.Compare(v.s.str(a.Name), v.s.str(b.Name)),
			cmp.Compare(v.s.str(a.Email), v.s.str(b.Email)))
	})
	return regs, portals, e
}

func (v *view) name() (Fact, bool) {
	regs, _, e := v.registrations()
	var names []Count
	chains := map[string][]string{}
	for _, r := range regs {
		n := v.s.str(r.Name)
		names = append(names, Count{Name: n, Count: 1})
		chains[n] = append(chains[n], v.s.str(r.Chain))
	}
	if len(names) > 0 {
		names = sortCounts(names)
		best := names[0].Name
		val := NameValue{Name: best}
		for _, c := range chains[best] {
			val.Sources = append(val.Sources, c+" loyalty registration")
		}
		why := fmt.Sprintf("you typed it in when you joined the %s loyalty %s", list(chains[best]), pluralWord(len(chains[best]), "scheme", "schemes"))
		if len(names) > 1 {
			why += fmt.Sprintf(" (other names given: %s)", countNames(names[1:], 3))
		}
		return e.fact(FactName, val, "name: "+best, why, 0.9), true
	}
	// No registration: an e-mail address typed at a portal often spells
	// the name out.
	for i, id := range v.ids {
		if id.Kind != event.Email {
			continue
		}
		if n, ok := nameFromEmail(id.Value); ok {
			var ee evidence
			if r := v.accs[i].Reg; r != nil {
				ee.add(&r.Ev)
			}
			if ee.n == 0 {
				continue
			}
			val := NameValue{Name: n, Sources: []string{"e-mail address"}}
			why := fmt.Sprintf("guessed from the e-mail address %s you gave to sign in", id.Value)
			return ee.fact(FactName, val, "name: "+n+" (from the e-mail address)", why, 0.5), true
		}
	}
	return Fact{}, false
}

// nameFromEmail reads "first.last@…" as "First Last".
func nameFromEmail(addr string) (string, bool) {
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return "", false
	}
	first, last, ok := strings.Cut(local, ".")
	if !ok || first == "" || last == "" || strings.ContainsAny(last, ".+_0123456789") {
		return "", false
	}
	title := func(s string) string {
		parts := strings.Split(s, "-")
		for i, p := range parts {
			if p != "" {
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
		return strings.Join(parts, "-")
	}
	return title(first) + " " + title(last), true
}

func (v *view) email() (Fact, bool) {
	regs, portals, e := v.registrations()
	emails := v.idsOf(event.Email)
	var chains []string
	for _, r := range regs {
		if r.Email >= 0 {
			emails = append(emails, v.s.str(r.Email))
		}
		chains = append(chains, v.s.str(r.Chain))
	}
	if len(emails) == 0 || e.n == 0 {
		return Fact{}, false
	}
	slices.Sort(emails)
	emails = slices.Compact(emails)
	slices.Sort(chains)
	chains = slices.Compact(chains)
	val := EmailValue{Emails: emails}
	var where []string
	for _, p := range v.counts(portals) {
		val.Sources = append(val.Sources, p.Name)
		where = append(where, "the "+p.Name)
	}
	for _, c := range chains {
		val.Sources = append(val.Sources, c+" loyalty registration")
	}
	var why []string
	if len(where) > 0 {
		why = append(why, "at "+list(where))
	}
	if len(chains) > 0 {
		why = append(why, fmt.Sprintf("when you joined the %s loyalty %s", list(chains), pluralWord(len(chains), "scheme", "schemes")))
	}
	return e.fact(FactEmail, val, "e-mail: "+strings.Join(emails, ", "), "you typed it in "+list(why), 0.95), true
}

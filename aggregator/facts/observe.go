package facts

import (
	"cmp"
	"math"
	"slices"

	"exhaust/aggregator/obs"
	"exhaust/event"
)

func (s *Store) observeCell(r *obs.Record) {
	if r.Event == "handover" {
		return // the phone is moving: no use for where it stays
	}
	night, work, day := timeClass(r.Time)
	if !night && !work {
		return
	}
	for _, k := range keys(r, event.IMSI) {
		cp := part(s.cells, k)
		c := &cp.Work
		if night {
			c = &cp.Night
		}
		if c.Ev.N == 0 || day != c.LastDay {
			c.Days++
			c.LastDay = day
		}
		c.Ev.add(r)
		for _, m := range r.Measurements {
			ti := s.intern(m.Tower)
			i := slices.IndexFunc(c.Towers, func(ts towerStat) bool { return ts.T == ti })
			if i < 0 {
				c.Towers = appendSmall(c.Towers, towerStat{T: ti})
				i = len(c.Towers) - 1
			}
			ts := &c.Towers[i]
			ts.N++
			ts.Sum += int32(m.RSSI)
			if ts.Days == 0 || ts.LastDay != day {
				ts.Days++
				ts.LastDay = day
			}
		}
		if night {
			s.noteNight(c)
		}
	}
}

func (s *Store) observeGPS(r *obs.Record) {
	if r.Where == nil || r.App == "system" {
		return // the OS's own fixes are taken while moving
	}
	night, work, _ := timeClass(r.Time)
	if !night && !work {
		return
	}
	for _, k := range keys(r, event.ADID) {
		gp := part(s.gps, k)
		g := &gp.Work
		if night {
			g = &gp.Night
		}
		if g.N == 0 {
			g.Lat0, g.Lon0 = r.Where.Lat, r.Where.Lon
		}
		dy := (r.Where.Lat - g.Lat0) * metresPerDegree
		dx := (r.Where.Lon - g.Lon0) * metresPerDegree * math.Cos(g.Lat0*math.Pi/180)
		g.SumSq += dx*dx + dy*dy
		g.N++
		g.SumLat += r.Where.Lat
		g.SumLon += r.Where.Lon
		g.SumAcc += r.Where.AccuracyM
		g.Ev.add(r)
	}
}

// firstSessionAfter is the local time of day from which an app session may
// be the first of the morning: everyone is asleep by 03:30 and nobody wakes
// before 04:30.
const firstSessionAfter = 3*60 + 30

func (s *Store) observeApp(r *obs.Record) {
	dev := devPhone
	if r.Device == "tablet" {
		dev = devTablet
	}
	app := s.intern(r.App)
	if _, ok := s.appCat[app]; !ok {
		s.appCat[app] = s.intern(r.Category)
	}
	lt := r.Time.In(paris())
	first := dev == devPhone && lt.Hour()*60+lt.Minute() >= firstSessionAfter
	for _, k := range keys(r, event.ADID) {
		p := part(s.apps, k)
		p.Device |= dev
		p.Ev.add(r)
		i := slices.IndexFunc(p.Apps, func(st appStat) bool { return st.App == app && st.Device == dev })
		if i < 0 {
			p.Apps = appendSmall(p.Apps, appStat{App: app, Device: dev})
			i = len(p.Apps) - 1
		}
		p.Apps[i].N++
		p.Apps[i].Secs += int32(r.DurationS)
		if first {
			p.Firsts = addFirst(p.Firsts, firstSession{Day: dayKey(r.Time), T: toStamp(r.Time), App: app})
		}
	}
}

// addFirst keeps the earliest session per day, for the most recent
// maxMornings days, sorted by day.
func addFirst(fs []firstSession, f firstSession) []firstSession {
	i, found := slices.BinarySearchFunc(fs, f.Day, func(e firstSession, d int32) int { return cmp.Compare(e.Day, d) })
	if found {
		if f.T < fs[i].T {
			fs[i] = f
		}
		return fs
	}
	if len(fs) >= maxMornings && i == 0 {
		return fs // older than every morning kept
	}
	fs = slices.Insert(fs, i, f)
	if len(fs) > maxMornings {
		fs = slices.Delete(fs, 0, 1)
	}
	return fs
}

func (s *Store) observeSearch(r *obs.Record) {
	topic := s.intern(r.Topic)
	for _, k := range keys(r, event.ADID) {
		p := part(s.apps, k)
		p.Topics = addCount(p.Topics, topic, 1)
		p.Search.add(r)
	}
}

// addCount adds n to name s in cs.
func addCount(cs []count, s int32, n int32) []count {
	for i := range cs {
		if cs[i].S == s {
			cs[i].N += n
			return cs
		}
	}
	return appendSmall(cs, count{S: s, N: n})
}

func (s *Store) observeMessage(r *obs.Record) {
	h, ok := parseHash(r.Correspondent)
	raw := int32(-1)
	if !ok {
		raw = s.intern(r.Correspondent)
	}
	in := r.Direction == "in"
	call := r.Type == "phone.call"
	for _, k := range keys(r, event.MSISDN) {
		m := part(s.msgs, k)
		m.Ev.add(r)
		i := slices.IndexFunc(m.Contacts, func(cs contactStat) bool { return cs.H == h && cs.Raw == raw })
		if i < 0 {
			if len(m.Contacts) >= maxContacts {
				m.Other++
				continue
			}
			m.Contacts = appendSmall(m.Contacts, contactStat{H: h, Raw: raw})
			i = len(m.Contacts) - 1
		}
		cs := &m.Contacts[i]
		switch {
		case call && in:
			cs.CallIn++
		case call:
			cs.CallOut++
		case in:
			cs.SMSIn++
		default:
			cs.SMSOut++
		}
		if call {
			cs.CallS += int32(r.DurationS)
		}
	}
}

// visitGap separates two probe visits of a device to one place.
const visitGap = 15 * 60

func (s *Store) observeWiFi(r *obs.Record) {
	place := where(r)
	if place == "" {
		return
	}
	s.learnPlace(place, r.Where)
	p, ssid := s.intern(place), s.intern(r.SSID)
	t := toStamp(r.Time)
	for _, k := range keys(r, event.MAC) {
		w := part(s.wifi, k)
		w.Ev.add(r)
		i := slices.IndexFunc(w.Places, func(wp wifiPlace) bool { return wp.P == p && wp.SSID == ssid })
		if i < 0 {
			if len(w.Places) >= maxPlaces {
				continue
			}
			w.Places = appendSmall(w.Places, wifiPlace{P: p, SSID: ssid})
			i = len(w.Places) - 1
		}
		wp := &w.Places[i]
		switch r.Type {
		case "wifi.probe":
			wp.Probes++
			switch {
			case wp.Visits == 0 || t-wp.LastProbe > visitGap:
				wp.Visits++
				wp.LastProbe = t
			case t > wp.LastProbe:
				wp.SpanS += int32(t - wp.LastProbe)
				wp.LastProbe = t
			}
		case "wifi.association":
			wp.Assoc++
			wp.DwellS += int32(r.DurationS)
		case "wifi.portal":
			wp.Portal++
		}
	}
	if r.Type == "wifi.portal" {
		for _, k := range keys(r, event.Email) {
			g := part(s.regs, k)
			g.Portals = addCount(g.Portals, ssid, 1)
			g.Ev.add(r)
		}
	}
}

func (s *Store) observeBand(r *obs.Record) {
	for _, k := range keys(r, event.Wristband) {
		b := part(s.bands, k)
		switch r.Type {
		case "wristband.sync":
			b.Syncs++
			b.SyncEv.add(r)
		case "wristband.sleep":
			observeSleep(b, r)
		case "wristband.activity":
			b.Hours++
			b.Steps += int64(r.Steps)
			b.Kcal += int64(r.Calories)
			b.HRSum += int64(r.HeartRate)
			switch d := dayKey(r.Start); {
			case b.Days == 0 || d > b.LastDay:
				b.Days++
				b.LastDay = d
				b.DaySteps = int32(r.Steps)
			case d == b.LastDay:
				b.DaySteps += int32(r.Steps)
			}
			b.ActEv.add(r)
		case "wristband.workout":
			sp := s.intern(r.Sport)
			i := slices.IndexFunc(b.Workouts, func(w workoutStat) bool { return w.Sport == sp })
			if i < 0 {
				b.Workouts = appendSmall(b.Workouts, workoutStat{Sport: sp})
				i = len(b.Workouts) - 1
			}
			b.Workouts[i].N++
			b.Workouts[i].Secs += int32(r.DurationS)
			b.Workouts[i].Kcal += int32(r.Calories)
			b.WorkoutEv.add(r)
		}
	}
}

func observeSleep(b *bandPart, r *obs.Record) {
	if r.Bed.IsZero() || r.Wake.IsZero() {
		return
	}
	wake := toStamp(r.Wake)
	if slices.Contains(b.Wakes, wake) {
		return // the same night uploaded again
	}
	b.Nights++
	dur := int64(r.DurationS)
	if dur <= 0 {
		dur = r.Wake.Unix() - r.Bed.Unix()
	}
	b.SumDur += dur
	bl, wl := r.Bed.In(paris()), r.Wake.In(paris())
	b.SumBed += int64((bl.Hour()*60 + bl.Minute() + 12*60) % (24 * 60)) // minutes after noon
	b.SumWake += int64(wl.Hour()*60 + wl.Minute())
	if wake > b.LastWake {
		b.LastBed, b.LastWake, b.LastDur = toStamp(r.Bed), wake, int32(dur)
		b.LastTot = [len(phaseNames)]int32{}
		for k, v := range r.TotalsS {
			if i := slices.Index(phaseNames[:], k); i >= 0 {
				b.LastTot[i] = int32(v)
			}
		}
	}
	i, _ := slices.BinarySearch(b.Wakes, wake)
	b.Wakes = slices.Insert(b.Wakes, i, wake)
	if len(b.Wakes) > maxMornings {
		b.Wakes = slices.Delete(b.Wakes, 0, 1)
	}
	b.SleepEv.add(r)
}

func (s *Store) observePayment(r *obs.Record) {
	place := where(r)
	s.nameOf(place, r.Merchant, false)
	s.learnPlace(place, r.Where)
	cat, p := s.intern(r.Category), s.intern(place)
	cents := int64(r.AmountCents)
	for _, k := range keys(r, event.Card) {
		y := part(s.pays, k)
		y.Ev.add(r)
		y.Cats = addCat(y.Cats, cat, cents, maxPlaces)
		var ok bool
		if y.Places, ok = addCatOK(y.Places, p, cents, maxPlaces); !ok {
			y.OtherPays++
		}
		if r.MCC == "5814" { // fast food and cafés
			y.Cafe = addCat(y.Cafe, p, cents, maxPlaces)
			y.CafeEv.add(r)
		}
	}
}

func addCat(cs []catStat, c int32, cents int64, limit int) []catStat {
	cs, _ = addCatOK(cs, c, cents, limit)
	return cs
}

// addCatOK adds a payment to c, and reports false when the list is full.
func addCatOK(cs []catStat, c int32, cents int64, limit int) ([]catStat, bool) {
	for i := range cs {
		if cs[i].C == c {
			cs[i].N++
			cs[i].Cents += cents
			return cs, true
		}
	}
	if len(cs) >= limit {
		return cs, false
	}
	return appendSmall(cs, catStat{C: c, N: 1, Cents: cents}), true
}

// maxTripS is the longest a metro trip may take from gate to gate.
const maxTripS = 4 * 3600

func (s *Store) observeTransit(r *obs.Record) {
	st := r.Station
	if st == "" {
		st = where(r)
	}
	s.nameOf(st, r.StationName, true)
	s.learnPlace(st, r.Where)
	si := s.intern(st)
	t := toStamp(r.Time)
	day := dayKey(r.Time)
	in := r.Direction == "in"
	li := s.intern(r.Line)
	for _, k := range keys(r, event.Pass) {
		tp := part(s.transits, k)
		if r.Type == "transit.purchase" {
			// Tickets loaded on a pass count one by one, a top-up once.
			n := int32(1)
			if r.Product == "ticket" {
				n = int32(max(r.Count, 1))
			}
			tp.Products = addCount(tp.Products, s.intern(r.Product), n)
			tp.BuyEv.add(r)
			continue
		}
		tp.Ev.add(r)
		tp.Lines = addCount(tp.Lines, li, 1)
		tp.tap(si, li, t, day, in)
	}
	for _, k := range keys(r, event.Ticket) {
		tk := part(s.tickets, k)
		tk.Ev.add(r)
		switch {
		case r.Type == "transit.purchase":
			tk.Bought = true
		case in && tk.Trip.In == 0:
			tk.Trip.FromS, tk.Trip.FromL, tk.Trip.In = si, li, t
		case !in && tk.Trip.Out == 0:
			tk.Trip.ToS, tk.Trip.ToL, tk.Trip.Out = si, li, t
		}
	}
}

// tap adds a gate tap: it opens a trip (in) or closes the open one (out).
func (tp *transitPart) tap(st, line int32, t stamp, day int32, in bool) {
	i := slices.IndexFunc(tp.Stations, func(ss stationStat) bool { return ss.S == st })
	if i < 0 && len(tp.Stations) < maxPlaces {
		tp.Stations = appendSmall(tp.Stations, stationStat{S: st})
		i = len(tp.Stations) - 1
	}
	if i >= 0 {
		if in {
			tp.Stations[i].In++
		} else {
			tp.Stations[i].Out++
		}
	}
	// The day's first tap-in and last tap-out: on most days, the station
	// nearest home.
	if day > tp.Day {
		tp.closeDay()
		tp.Day = day
	}
	if day == tp.Day {
		if in && (tp.FirstInT == 0 || t < tp.FirstInT) {
			tp.FirstInS, tp.FirstInT = st, t
		}
		if !in && t > tp.LastT {
			tp.LastOut, tp.LastT = st, t
		}
	}
	if in {
		if tp.Open.In != 0 {
			// Tapped in again without tapping out, as on every metro trip
			// (exits read nothing): the trip stays open-ended here, and
			// the trips fact infers where it ended (chainTrips).
			tp.push(tp.Open)
		}
		tp.Open = trip{FromS: st, FromL: line, In: t}
		return
	}
	if tp.Open.In != 0 && t >= tp.Open.In && t-tp.Open.In <= maxTripS {
		tr := tp.Open
		tr.ToS, tr.ToL, tr.Out = st, line, t
		tp.Open = trip{}
		tp.push(tr)
		return
	}
	tp.push(trip{ToS: st, ToL: line, Out: t})
}

// closeDay credits the followed day's first and last stations.
func (tp *transitPart) closeDay() {
	for k := range tp.Stations {
		ss := &tp.Stations[k]
		if tp.FirstInT != 0 && ss.S == tp.FirstInS {
			ss.DayFirst++
		}
		if tp.LastT != 0 && ss.S == tp.LastOut {
			ss.DayLast++
		}
	}
	tp.FirstInS, tp.FirstInT, tp.LastOut, tp.LastT = 0, 0, 0, 0
}

func (tp *transitPart) push(tr trip) {
	tp.NTrips++
	if len(tp.Trips) == maxTrips {
		tp.Trips = slices.Delete(tp.Trips, 0, 1)
	}
	tp.Trips = appendSmall(tp.Trips, tr)
}

func (s *Store) observeBasket(r *obs.Record) {
	chain := s.intern(r.Chain)
	store := r.Store
	if store == "" {
		store = where(r)
	}
	st := s.intern(store)
	var items, drinks int32
	type line struct {
		genre, drink int32
		qty          int32
	}
	var lines []line
	for _, it := range r.Items {
		q := int32(max(it.Qty, 1))
		items += q
		l := line{genre: -1, drink: -1, qty: q}
		if it.Genre != "" {
			l.genre = s.intern(it.Genre)
		}
		if it.Category == "drink" {
			l.drink = s.intern(it.Name)
			drinks++
		}
		lines = append(lines, l)
	}
	for _, k := range keys(r, event.Loyalty) {
		b := part(s.baskets, k)
		b.Chain = chain
		b.Baskets++
		b.Cents += int64(r.TotalCents)
		b.Items += items
		b.Stores = addCount(b.Stores, st, 1)
		for _, l := range lines {
			if l.genre >= 0 {
				b.Genres = addCount(b.Genres, l.genre, l.qty)
			}
			if l.drink >= 0 {
				b.Drinks = addCount(b.Drinks, l.drink, l.qty)
			}
		}
		b.Ev.add(r)
		if drinks > 0 {
			b.CafeVisits++
			if r.OwnCup {
				b.OwnCup++
			}
			b.CafeEv.add(r)
		}
	}
}

func (s *Store) observeRegistration(r *obs.Record) {
	reg := registration{Chain: s.intern(r.Chain), Name: s.intern(r.Name), Email: -1, Registered: s.intern(r.Registered)}
	// The e-mail is also one of the event's identifiers, so the cluster has
	// it: keep the record once, on the loyalty account.
	if _, ok := r.Has(event.Email); !ok && r.Email != "" {
		reg.Email = s.intern(r.Email)
	}
	targets := keys(r, event.Loyalty)
	if len(targets) == 0 {
		targets = keys(r, event.Email)
	}
	for _, k := range targets {
		g := part(s.regs, k)
		if !slices.Contains(g.Regs, reg) {
			g.Regs = appendSmall(g.Regs, reg)
		}
		g.Ev.add(r)
	}
}

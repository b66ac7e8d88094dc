package facts

import (
	"cmp"
	"math"
	"slices"
	"time"

	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// cafeCode is the ISO 18245 merchant category code of fast food
// restaurants and cafés.
const cafeCode = "5814"

func (s *Store) observeRadio(r *obs.Record, m meaning.Radio) {
	if r.Is(m.Moving) {
		return // the phone is moving: no use for where it stays
	}
	night, work, day := timeClass(r.Time)
	if !night && !work {
		return
	}
	list := r.Get(m.List).Elems()
	for _, k := range keys(r, m.Of) {
		cp := part(s.cells, k)
		c := &cp.Work
		if night {
			c = &cp.Night
		}
		if c.Ev.N == 0 || day != c.LastDay {
			c.Days++
			c.LastDay = day
		}
		c.Ev.add(r, s.bit)
		for _, e := range list {
			ti := s.intern(e.Get(m.EmitterKey).Str())
			i := slices.IndexFunc(c.Towers, func(ts towerStat) bool { return ts.T == ti })
			if i < 0 {
				c.Towers = appendSmall(c.Towers, towerStat{T: ti})
				i = len(c.Towers) - 1
			}
			ts := &c.Towers[i]
			ts.N++
			ts.Sum += int32(e.Get(m.StrengthKey).Int())
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

func (s *Store) observePosition(r *obs.Record, m meaning.Position) {
	if r.Where == nil || r.Is(m.Moving) {
		return // the OS's own fixes are taken while moving
	}
	night, work, _ := timeClass(r.Time)
	if !night && !work {
		return
	}
	for _, k := range keys(r, m.Of) {
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
		g.Ev.add(r, s.bit)
	}
}

// firstSessionAfter is the local time of day from which an app session may
// be the first of the morning: everyone is asleep by 03:30 and nobody wakes
// before 04:30.
const firstSessionAfter = 3*60 + 30

func (s *Store) observeApp(r *obs.Record, m meaning.AppUse) {
	dev := devPhone
	if d := r.Str(m.Device); d != m.PhoneValue {
		dev = devTablet
	}
	app := s.intern(r.Str(m.App))
	if _, ok := s.appCat[app]; !ok {
		s.appCat[app] = s.intern(r.Str(m.Category))
	}
	lt := r.Time.In(paris())
	first := dev == devPhone && lt.Hour()*60+lt.Minute() >= firstSessionAfter
	for _, k := range keys(r, m.Of) {
		p := part(s.apps, k)
		p.Device |= dev
		p.Ev.add(r, s.bit)
		i := slices.IndexFunc(p.Apps, func(st appStat) bool { return st.App == app && st.Device == dev })
		if i < 0 {
			p.Apps = appendSmall(p.Apps, appStat{App: app, Device: dev})
			i = len(p.Apps) - 1
		}
		p.Apps[i].N++
		p.Apps[i].Secs += int32(r.Int(m.Duration))
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

func (s *Store) observeInterest(r *obs.Record, m meaning.Interest) {
	topic := s.intern(r.Str(m.Topic))
	for _, k := range keys(r, m.Of) {
		p := part(s.apps, k)
		p.Topics = addCount(p.Topics, topic, 1)
		p.Search.add(r, s.bit)
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

func (s *Store) observeContact(r *obs.Record, m meaning.Contact) {
	corr := r.Str(m.Correspondent)
	h, ok := parseHash(corr)
	raw := int32(-1)
	if !ok {
		raw = s.intern(corr)
	}
	in := r.Str(m.Direction) == m.Incoming
	call := m.Voice
	dur := int32(r.Int(m.Duration))
	for _, k := range keys(r, m.Of) {
		m := part(s.msgs, k)
		m.Ev.add(r, s.bit)
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
			cs.CallS += dur
		}
	}
}

// visitGap separates two probe visits of a device to one place.
const visitGap = 15 * 60

func (s *Store) observePresence(r *obs.Record, m meaning.Presence) {
	place := where(r)
	if place == "" {
		return
	}
	s.learnPlace(place, r.Where)
	p, ssid := s.intern(place), s.intern(r.Str(m.Label))
	t := toStamp(r.Time)
	for _, k := range keys(r, m.Of) {
		w := part(s.wifi, k)
		w.Ev.add(r, s.bit)
		if w.By == 0 && m.By != "" {
			w.By = s.intern(m.By)
		}
		i := slices.IndexFunc(w.Places, func(wp wifiPlace) bool { return wp.P == p && wp.SSID == ssid })
		if i < 0 {
			if len(w.Places) >= maxPlaces {
				continue
			}
			w.Places = appendSmall(w.Places, wifiPlace{P: p, SSID: ssid})
			i = len(w.Places) - 1
		}
		wp := &w.Places[i]
		switch m.How {
		case meaning.Sighted:
			wp.Probes++
			switch {
			case wp.Visits == 0 || t-wp.LastProbe > visitGap:
				wp.Visits++
				wp.LastProbe = t
			case t > wp.LastProbe:
				wp.SpanS += int32(t - wp.LastProbe)
				wp.LastProbe = t
			}
		case meaning.Connected:
			wp.Assoc++
			wp.DwellS += int32(r.Int(m.Duration))
		case meaning.SignedIn:
			wp.Portal++
		}
	}
}

func (s *Store) observeSignUp(r *obs.Record, m meaning.SignUp) {
	label := r.Str(m.Service)
	if m.Via != "" {
		label += " " + m.Via
	}
	service := s.intern(label)
	for _, k := range keys(r, m.Of) {
		g := part(s.regs, k)
		g.Portals = addCount(g.Portals, service, 1)
		g.Ev.add(r, s.bit)
	}
}

func (s *Store) observeSync(r *obs.Record, m meaning.Sync) {
	for _, k := range keys(r, m.Of) {
		b := part(s.bands, k)
		b.Syncs++
		b.SyncEv.add(r, s.bit)
	}
}

func (s *Store) observeActivity(r *obs.Record, m meaning.Activity) {
	steps, kcal, hr := r.Int(m.Steps), r.Int(m.Calories), r.Int(m.HeartRate)
	start := r.Get(m.Start).Time()
	for _, k := range keys(r, m.Of) {
		b := part(s.bands, k)
		b.Hours++
		b.Steps += int64(steps)
		b.Kcal += int64(kcal)
		b.HRSum += int64(hr)
		switch d := dayKey(start); {
		case b.Days == 0 || d > b.LastDay:
			b.Days++
			b.LastDay = d
			b.DaySteps = int32(steps)
		case d == b.LastDay:
			b.DaySteps += int32(steps)
		}
		b.ActEv.add(r, s.bit)
	}
}

func (s *Store) observeWorkout(r *obs.Record, m meaning.Workout) {
	sp := s.intern(r.Str(m.Sport))
	for _, k := range keys(r, m.Of) {
		b := part(s.bands, k)
		i := slices.IndexFunc(b.Workouts, func(w workoutStat) bool { return w.Sport == sp })
		if i < 0 {
			b.Workouts = appendSmall(b.Workouts, workoutStat{Sport: sp})
			i = len(b.Workouts) - 1
		}
		b.Workouts[i].N++
		b.Workouts[i].Secs += int32(r.Int(m.Duration))
		b.Workouts[i].Kcal += int32(r.Int(m.Calories))
		b.WorkoutEv.add(r, s.bit)
	}
}

func (s *Store) observeSleep(r *obs.Record, m meaning.Sleep) {
	bed, wakeT := r.Get(m.Bed).Time(), r.Get(m.Wake).Time()
	if bed.IsZero() || wakeT.IsZero() {
		return
	}
	for _, k := range keys(r, m.Of) {
		observeSleep(part(s.bands, k), r, s.bit, m, bed, wakeT)
	}
}

func observeSleep(b *bandPart, r *obs.Record, bit uint32, m meaning.Sleep, bed, wakeT time.Time) {
	wake := toStamp(wakeT)
	if slices.Contains(b.Wakes, wake) {
		return // the same night uploaded again
	}
	b.Nights++
	dur := int64(r.Int(m.Duration))
	if dur <= 0 {
		dur = wakeT.Unix() - bed.Unix()
	}
	b.SumDur += dur
	bl, wl := bed.In(paris()), wakeT.In(paris())
	b.SumBed += int64((bl.Hour()*60 + bl.Minute() + 12*60) % (24 * 60)) // minutes after noon
	b.SumWake += int64(wl.Hour()*60 + wl.Minute())
	if wake > b.LastWake {
		b.LastBed, b.LastWake, b.LastDur = toStamp(bed), wake, int32(dur)
		b.LastTot = [len(phaseNames)]int32{}
		if tot := r.Get(m.Totals); tot.Kind == obs.Object {
			for _, e := range tot.Members {
				if i := slices.Index(phaseNames[:], e.Key); i >= 0 {
					b.LastTot[i] = int32(e.Int())
				}
			}
		}
	}
	i, _ := slices.BinarySearch(b.Wakes, wake)
	b.Wakes = slices.Insert(b.Wakes, i, wake)
	if len(b.Wakes) > maxMornings {
		b.Wakes = slices.Delete(b.Wakes, 0, 1)
	}
	b.SleepEv.add(r, bit)
}

func (s *Store) observePayment(r *obs.Record, m meaning.Payment) {
	place := where(r)
	s.nameOf(place, r.Str(m.Merchant), false)
	s.learnPlace(place, r.Where)
	category := r.Str(m.Category)
	if category == "" {
		category = "other"
	}
	cat, p := s.intern(category), s.intern(place)
	cents := int64(r.Int(m.Amount))
	cafe := r.Str(m.Code) == cafeCode
	for _, k := range keys(r, m.Of) {
		y := part(s.pays, k)
		y.Ev.add(r, s.bit)
		y.Cats = addCat(y.Cats, cat, cents, maxPlaces)
		var ok bool
		if y.Places, ok = addCatOK(y.Places, p, cents, maxPlaces); !ok {
			y.OtherPays++
		}
		if cafe {
			y.Cafe = addCat(y.Cafe, p, cents, maxPlaces)
			y.CafeEv.add(r, s.bit)
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

func (s *Store) observeFare(r *obs.Record, m meaning.Fare) {
	if m.SingleUse {
		for _, k := range keys(r, m.Of) {
			tk := part(s.tickets, k)
			tk.Ev.add(r, s.bit)
			tk.Bought = true
		}
		return
	}
	product := r.Str(m.Product)
	// Tickets loaded on a pass count one by one, a top-up once.
	n := int32(1)
	if m.Unit != "" && product == m.Unit {
		n = int32(max(r.Int(m.Count), 1))
	}
	for _, k := range keys(r, m.Of) {
		tp := part(s.transits, k)
		tp.Products = addCount(tp.Products, s.intern(product), n)
		tp.BuyEv.add(r, s.bit)
	}
}

func (s *Store) observeGate(r *obs.Record, m meaning.Gate) {
	st := r.Str(m.Station)
	if st == "" {
		st = where(r)
	}
	s.nameOf(st, r.Str(m.StationName), true)
	s.learnPlace(st, r.Where)
	si := s.intern(st)
	if _, placed := s.placeAt[si]; !placed && st != "" {
		s.unplaced[si] = true
	}
	t := toStamp(r.Time)
	day := dayKey(r.Time)
	in := r.Str(m.Direction) == m.Entering
	li := s.intern(r.Str(m.Line))
	if !m.SingleUse {
		for _, k := range keys(r, m.Of) {
			tp := part(s.transits, k)
			tp.Ev.add(r, s.bit)
			tp.Lines = addCount(tp.Lines, li, 1)
			tp.tap(si, li, t, day, in)
		}
		return
	}
	for _, k := range keys(r, m.Of) {
		tk := part(s.tickets, k)
		tk.Ev.add(r, s.bit)
		switch {
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

func (s *Store) observeBasket(r *obs.Record, m meaning.Basket) {
	chain := s.intern(r.Str(m.Chain))
	store := r.Str(m.Store)
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
	for _, it := range r.Get(m.Items).Elems() {
		q := int32(max(it.Get(m.ItemQty).Int(), 1))
		items += q
		l := line{genre: -1, drink: -1, qty: q}
		if g := it.Get(m.ItemGenre).Str(); g != "" {
			l.genre = s.intern(g)
		}
		if m.DrinkCategory != "" && it.Get(m.ItemCategory).Str() == m.DrinkCategory {
			l.drink = s.intern(it.Get(m.ItemName).Str())
			drinks++
		}
		lines = append(lines, l)
	}
	total := int64(r.Int(m.Total))
	ownCup := r.Get(m.Reusable).True()
	for _, k := range keys(r, m.Of) {
		b := part(s.baskets, k)
		b.Chain = chain
		b.Baskets++
		b.Cents += total
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
		b.Ev.add(r, s.bit)
		if drinks > 0 {
			b.CafeVisits++
			if ownCup {
				b.OwnCup++
			}
			b.CafeEv.add(r, s.bit)
		}
	}
}

func (s *Store) observeRegistration(r *obs.Record, m meaning.Registration) {
	reg := registration{Chain: s.intern(r.Str(m.Chain)), Name: s.intern(r.Str(m.Name)), Email: -1, Registered: s.intern(r.Str(m.Registered))}
	// The e-mail is also one of the event's identifiers, so the cluster has
	// it: keep the record once, on the loyalty account.
	if email := r.Str(m.Email); email != "" {
		if _, ok := r.Has(event.Email); !ok {
			reg.Email = s.intern(email)
		}
	}
	targets := keys(r, m.Of)
	if len(targets) == 0 && m.Fallback != "" {
		targets = keys(r, m.Fallback)
	}
	for _, k := range targets {
		g := part(s.regs, k)
		if !slices.Contains(g.Regs, reg) {
			g.Regs = appendSmall(g.Regs, reg)
		}
		g.Ev.add(r, s.bit)
	}
}

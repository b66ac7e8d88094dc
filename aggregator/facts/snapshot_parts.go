package facts

import (
	"encoding/binary"
	"math"

	"exhaust/aggregator/wire"
)

// How each accumulator type (acc.go) and what it holds is written in a
// snapshot (snapshot.go), field by field in the order of its declaration,
// and read back. A field added to one of these types must be added here,
// or it is lost across a restart: TestSaveLoadEveryField fills every field
// and fails if one does not come back.
//
// Integers are varints (int32 and int64 zig-zag: a few are negative),
// hashes and UUIDs 8 bytes a 64 bits (a varint would take 9 or 10),
// floats their 8 bytes, so that Load gives back exactly what Save had.
// Load refuses the values later code would index with out of range (a
// sample's ring position and type bits, a device kind) and lists longer
// than the store lets them grow.

// stamp reads what writeStamp wrote.
func (r *reader) stamp() stamp { return stamp(r.Int32()) }

func writeStamp(w *wire.Writer, t stamp) { w.Int(int(t)) }

// unsigned reads a uvarint of at most most.
func (r *reader) unsigned(most uint64) uint64 {
	v := r.Uvarint()
	if v > most {
		r.Fail("%d out of range, at most %d", v, most)
		return 0
	}
	return v
}

func (t *stamp) save(w *wire.Writer) { writeStamp(w, *t) }
func (t *stamp) load(r *reader)      { *t = r.stamp() }

func (m *radioModel) save(w *wire.Writer) {
	w.Float64(m.Exp)
	w.Float64(m.SigmaDB)
	w.Float64(m.Level)
	w.Float64(m.LevelSigmaDB)
}

func (m *radioModel) load(r *reader) {
	m.Exp, m.SigmaDB, m.Level, m.LevelSigmaDB = r.Float64(), r.Float64(), r.Float64(), r.Float64()
}

func (p *towerPos) save(w *wire.Writer) {
	w.Int(int(p.T))
	w.Float64(p.Lat)
	w.Float64(p.Lon)
}

func (p *towerPos) load(r *reader) {
	p.T, p.Lat, p.Lon = r.Int32(), r.Float64(), r.Float64()
}

func (h *head) save(w *wire.Writer) {
	writeStamp(w, h.First)
	writeStamp(w, h.Last)
	w.Int(int(h.Seen))
}

func (h *head) load(r *reader) {
	h.First, h.Last, h.Seen = r.stamp(), r.stamp(), r.Int32()
}

// save writes the sample. Many are empty (a pass never bought on, a band
// never synced): the refs that are set are flagged in a bit set, so an
// empty sample takes 6 bytes instead of 40.
func (e *sample) save(w *wire.Writer) {
	w.Int(int(e.N))
	w.Uvarint(uint64(e.Types))
	writeStamp(w, e.First)
	writeStamp(w, e.Last)
	w.Uvarint(uint64(e.Next))
	var set uint64
	for i, rf := range e.Refs {
		if rf != (ref{}) {
			set |= 1 << i
		}
	}
	w.Uvarint(set)
	for i := range e.Refs {
		if set&(1<<i) != 0 {
			rf := &e.Refs[i]
			w.Uint64(binary.LittleEndian.Uint64(rf.ID[:8]))
			w.Uint64(binary.LittleEndian.Uint64(rf.ID[8:]))
			writeStamp(w, rf.T)
		}
	}
}

func (e *sample) load(r *reader) {
	e.N = r.Int32()
	e.Types = uint32(r.unsigned(math.MaxUint32))
	if e.Types&^r.types != 0 {
		r.Fail("event type bits %#x, %d types known", e.Types, bitsLen(r.types))
	}
	e.First, e.Last = r.stamp(), r.stamp()
	e.Next = uint8(r.unsigned(sampleCap - 1)) // Observe stores at Refs[Next]
	set := r.unsigned(1<<sampleCap - 1)
	for i := range e.Refs {
		if set&(1<<i) != 0 {
			rf := &e.Refs[i]
			binary.LittleEndian.PutUint64(rf.ID[:8], r.Uint64())
			binary.LittleEndian.PutUint64(rf.ID[8:], r.Uint64())
			rf.T = r.stamp()
			if *rf == (ref{}) && r.Err() == nil {
				r.Fail("an empty ref flagged as set") // it would save unflagged
			}
		}
	}
}

// bitsLen counts the bits of a mask of low bits.
func bitsLen(mask uint32) int {
	n := 0
	for ; mask != 0; mask >>= 1 {
		n++
	}
	return n
}

func (t *towerStat) save(w *wire.Writer) {
	w.Int(int(t.T))
	w.Int(int(t.N))
	w.Int(int(t.Sum))
	w.Int(int(t.Days))
	w.Int(int(t.LastDay))
}

func (t *towerStat) load(r *reader) {
	t.T, t.N, t.Sum, t.Days, t.LastDay = r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.Int32()
}

func (c *cellClass) save(w *wire.Writer) {
	writeList(w, c.Towers, (*towerStat).save)
	w.Int(int(c.Days))
	w.Int(int(c.LastDay))
	c.Ev.save(w)
}

func (c *cellClass) load(r *reader) {
	c.Towers = readList(r, r.strs, (*towerStat).load) // one entry per tower, interned
	c.Days, c.LastDay = r.Int32(), r.Int32()
	c.Ev.load(r)
}

func (p *cellPart) save(w *wire.Writer) {
	p.Night.save(w)
	p.Work.save(w)
}

func (p *cellPart) load(r *reader) {
	p.Night.load(r)
	p.Work.load(r)
}

func (g *gpsClass) save(w *wire.Writer) {
	w.Int(int(g.N))
	for _, f := range [...]float64{g.SumLat, g.SumLon, g.SumSq, g.Lat0, g.Lon0, g.SumAcc} {
		w.Float64(f)
	}
	g.Ev.save(w)
}

func (g *gpsClass) load(r *reader) {
	g.N = r.Int32()
	for _, f := range [...]*float64{&g.SumLat, &g.SumLon, &g.SumSq, &g.Lat0, &g.Lon0, &g.SumAcc} {
		*f = r.Float64()
	}
	g.Ev.load(r)
}

func (p *gpsPart) save(w *wire.Writer) {
	p.Night.save(w)
	p.Work.save(w)
}

func (p *gpsPart) load(r *reader) {
	p.Night.load(r)
	p.Work.load(r)
}

func (a *appStat) save(w *wire.Writer) {
	w.Int(int(a.App))
	w.Uvarint(uint64(a.Device))
	w.Int(int(a.N))
	w.Int(int(a.Secs))
}

func (a *appStat) load(r *reader) {
	a.App = r.Int32()
	a.Device = uint8(r.unsigned(math.MaxUint8))
	if a.Device != devPhone && a.Device != devTablet && r.Err() == nil {
		r.Fail("app sessions on device kind %d", a.Device)
	}
	a.N, a.Secs = r.Int32(), r.Int32()
}

func (c *count) save(w *wire.Writer) {
	w.Int(int(c.S))
	w.Int(int(c.N))
}

func (c *count) load(r *reader) { c.S, c.N = r.Int32(), r.Int32() }

func (f *firstSession) save(w *wire.Writer) {
	w.Int(int(f.Day))
	writeStamp(w, f.T)
	w.Int(int(f.App))
}

func (f *firstSession) load(r *reader) { f.Day, f.T, f.App = r.Int32(), r.stamp(), r.Int32() }

func (p *appPart) save(w *wire.Writer) {
	w.Uvarint(uint64(p.Device))
	writeList(w, p.Apps, (*appStat).save)
	writeList(w, p.Topics, (*count).save)
	writeList(w, p.Firsts, (*firstSession).save)
	p.Ev.save(w)
	p.Search.save(w)
}

func (p *appPart) load(r *reader) {
	p.Device = uint8(r.unsigned(uint64(devPhone | devTablet)))
	p.Apps = readList(r, 2*r.strs, (*appStat).load) // one per app and device kind
	p.Topics = readList(r, r.strs, (*count).load)
	p.Firsts = readList(r, maxMornings, (*firstSession).load)
	p.Ev.load(r)
	p.Search.load(r)
}

func (c *contactStat) save(w *wire.Writer) {
	w.Uint64(c.H)
	w.Int(int(c.Raw))
	for _, n := range [...]uint16{c.SMSIn, c.SMSOut, c.CallIn, c.CallOut} {
		w.Uvarint(uint64(n))
	}
	w.Int(int(c.CallS))
}

func (c *contactStat) load(r *reader) {
	c.H, c.Raw = r.Uint64(), r.Int32()
	for _, n := range [...]*uint16{&c.SMSIn, &c.SMSOut, &c.CallIn, &c.CallOut} {
		*n = uint16(r.unsigned(math.MaxUint16))
	}
	c.CallS = r.Int32()
}

func (p *msgPart) save(w *wire.Writer) {
	writeList(w, p.Contacts, (*contactStat).save)
	w.Int(int(p.Other))
	p.Ev.save(w)
}

func (p *msgPart) load(r *reader) {
	p.Contacts = readList(r, maxContacts, (*contactStat).load)
	p.Other = r.Int32()
	p.Ev.load(r)
}

func (wp *wifiPlace) save(w *wire.Writer) {
	w.Int(int(wp.P))
	w.Int(int(wp.SSID))
	w.Int(int(wp.Probes))
	w.Int(int(wp.Visits))
	w.Int(int(wp.SpanS))
	writeStamp(w, wp.LastProbe)
	w.Int(int(wp.Assoc))
	w.Int(int(wp.DwellS))
	w.Int(int(wp.Portal))
}

func (wp *wifiPlace) load(r *reader) {
	wp.P, wp.SSID, wp.Probes, wp.Visits, wp.SpanS = r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.Int32()
	wp.LastProbe = r.stamp()
	wp.Assoc, wp.DwellS, wp.Portal = r.Int32(), r.Int32(), r.Int32()
}

func (p *wifiPart) save(w *wire.Writer) {
	writeList(w, p.Places, (*wifiPlace).save)
	p.Ev.save(w)
	w.Int(int(p.By))
}

func (p *wifiPart) load(r *reader) {
	p.Places = readList(r, maxPlaces, (*wifiPlace).load)
	p.Ev.load(r)
	p.By = r.Int32()
}

func (s *workoutStat) save(w *wire.Writer) {
	w.Int(int(s.Sport))
	w.Int(int(s.N))
	w.Int(int(s.Secs))
	w.Int(int(s.Kcal))
}

func (s *workoutStat) load(r *reader) {
	s.Sport, s.N, s.Secs, s.Kcal = r.Int32(), r.Int32(), r.Int32(), r.Int32()
}

func (b *bandPart) save(w *wire.Writer) {
	w.Int(int(b.Nights))
	w.Varint(b.SumDur)
	w.Varint(b.SumBed)
	w.Varint(b.SumWake)
	writeStamp(w, b.LastBed)
	writeStamp(w, b.LastWake)
	w.Int(int(b.LastDur))
	for _, t := range b.LastTot {
		w.Int(int(t))
	}
	writeList(w, b.Wakes, (*stamp).save)
	b.SleepEv.save(w)

	w.Int(int(b.Hours))
	w.Varint(b.Steps)
	w.Varint(b.Kcal)
	w.Varint(b.HRSum)
	w.Int(int(b.Days))
	w.Int(int(b.LastDay))
	w.Int(int(b.DaySteps))
	writeList(w, b.Workouts, (*workoutStat).save)
	b.ActEv.save(w)
	w.Int(int(b.Syncs))
	b.SyncEv.save(w)
	b.WorkoutEv.save(w)
}

func (b *bandPart) load(r *reader) {
	b.Nights = r.Int32()
	b.SumDur, b.SumBed, b.SumWake = r.Varint(), r.Varint(), r.Varint()
	b.LastBed, b.LastWake = r.stamp(), r.stamp()
	b.LastDur = r.Int32()
	for i := range b.LastTot {
		b.LastTot[i] = r.Int32()
	}
	b.Wakes = readList(r, maxMornings, (*stamp).load)
	b.SleepEv.load(r)

	b.Hours = r.Int32()
	b.Steps, b.Kcal, b.HRSum = r.Varint(), r.Varint(), r.Varint()
	b.Days, b.LastDay, b.DaySteps = r.Int32(), r.Int32(), r.Int32()
	b.Workouts = readList(r, r.strs, (*workoutStat).load) // one per sport, interned
	b.ActEv.load(r)
	b.Syncs = r.Int32()
	b.SyncEv.load(r)
	b.WorkoutEv.load(r)
}

func (c *catStat) save(w *wire.Writer) {
	w.Int(int(c.C))
	w.Int(int(c.N))
	w.Varint(c.Cents)
}

func (c *catStat) load(r *reader) { c.C, c.N, c.Cents = r.Int32(), r.Int32(), r.Varint() }

func (p *payPart) save(w *wire.Writer) {
	writeList(w, p.Cats, (*catStat).save)
	writeList(w, p.Places, (*catStat).save)
	writeList(w, p.Cafe, (*catStat).save)
	p.Ev.save(w)
	p.CafeEv.save(w)
	w.Int(int(p.OtherPays))
}

func (p *payPart) load(r *reader) {
	p.Cats = readList(r, maxPlaces, (*catStat).load)
	p.Places = readList(r, maxPlaces, (*catStat).load)
	p.Cafe = readList(r, maxPlaces, (*catStat).load)
	p.Ev.load(r)
	p.CafeEv.load(r)
	p.OtherPays = r.Int32()
}

func (t *trip) save(w *wire.Writer) {
	w.Int(int(t.FromS))
	w.Int(int(t.FromL))
	writeStamp(w, t.In)
	w.Int(int(t.ToS))
	w.Int(int(t.ToL))
	writeStamp(w, t.Out)
}

func (t *trip) load(r *reader) {
	t.FromS, t.FromL, t.In = r.Int32(), r.Int32(), r.stamp()
	t.ToS, t.ToL, t.Out = r.Int32(), r.Int32(), r.stamp()
}

func (s *stationStat) save(w *wire.Writer) {
	w.Int(int(s.S))
	w.Int(int(s.In))
	w.Int(int(s.Out))
	w.Int(int(s.DayFirst))
	w.Int(int(s.DayLast))
}

func (s *stationStat) load(r *reader) {
	s.S, s.In, s.Out, s.DayFirst, s.DayLast = r.Int32(), r.Int32(), r.Int32(), r.Int32(), r.Int32()
}

func (p *transitPart) save(w *wire.Writer) {
	writeList(w, p.Trips, (*trip).save)
	w.Int(int(p.NTrips))
	p.Open.save(w)
	writeList(w, p.Stations, (*stationStat).save)
	writeList(w, p.Lines, (*count).save)
	writeList(w, p.Products, (*count).save)
	w.Int(int(p.Day))
	w.Int(int(p.FirstInS))
	w.Int(int(p.LastOut))
	writeStamp(w, p.FirstInT)
	writeStamp(w, p.LastT)
	p.Ev.save(w)
	p.BuyEv.save(w)
}

func (p *transitPart) load(r *reader) {
	p.Trips = readList(r, maxTrips, (*trip).load)
	p.NTrips = r.Int32()
	p.Open.load(r)
	p.Stations = readList(r, maxPlaces, (*stationStat).load)
	p.Lines = readList(r, r.strs, (*count).load)
	p.Products = readList(r, r.strs, (*count).load)
	p.Day, p.FirstInS, p.LastOut = r.Int32(), r.Int32(), r.Int32()
	p.FirstInT, p.LastT = r.stamp(), r.stamp()
	p.Ev.load(r)
	p.BuyEv.load(r)
}

func (p *ticketPart) save(w *wire.Writer) {
	p.Trip.save(w)
	w.Bool(p.Bought)
	p.Ev.save(w)
}

func (p *ticketPart) load(r *reader) {
	p.Trip.load(r)
	p.Bought = r.Bool()
	p.Ev.load(r)
}

func (p *basketPart) save(w *wire.Writer) {
	w.Int(int(p.Chain))
	w.Int(int(p.Baskets))
	w.Varint(p.Cents)
	w.Int(int(p.Items))
	writeList(w, p.Genres, (*count).save)
	writeList(w, p.Drinks, (*count).save)
	w.Int(int(p.CafeVisits))
	w.Int(int(p.OwnCup))
	writeList(w, p.Stores, (*count).save)
	p.Ev.save(w)
	p.CafeEv.save(w)
}

func (p *basketPart) load(r *reader) {
	p.Chain, p.Baskets, p.Cents, p.Items = r.Int32(), r.Int32(), r.Varint(), r.Int32()
	p.Genres = readList(r, r.strs, (*count).load)
	p.Drinks = readList(r, r.strs, (*count).load)
	p.CafeVisits, p.OwnCup = r.Int32(), r.Int32()
	p.Stores = readList(r, r.strs, (*count).load)
	p.Ev.load(r)
	p.CafeEv.load(r)
}

func (g *registration) save(w *wire.Writer) {
	w.Int(int(g.Chain))
	w.Int(int(g.Name))
	w.Int(int(g.Email))
	w.Int(int(g.Registered))
}

func (g *registration) load(r *reader) {
	g.Chain, g.Name, g.Email, g.Registered = r.Int32(), r.Int32(), r.Int32(), r.Int32()
}

func (p *regPart) save(w *wire.Writer) {
	writeList(w, p.Regs, (*registration).save)
	writeList(w, p.Portals, (*count).save)
	p.Ev.save(w)
}

func (p *regPart) load(r *reader) {
	// Records are distinct tuples of interned strings: no tighter bound
	// holds (and the list grows only as its entries are read).
	p.Regs = readList(r, mostStrings, (*registration).load)
	p.Portals = readList(r, r.strs, (*count).load)
	p.Ev.load(r)
}

func (a *attrStat) save(w *wire.Writer) {
	w.Int(int(a.Fact))
	w.Int(int(a.Say))
	writeList(w, a.Values, (*count).save)
	w.Int(int(a.Other))
	a.Ev.save(w)
}

func (a *attrStat) load(r *reader) {
	a.Fact, a.Say = r.Int32(), r.Int32()
	a.Values = readList(r, maxAttrValues, (*count).load)
	a.Other = r.Int32()
	a.Ev.load(r)
}

func (p *attrPart) save(w *wire.Writer) { writeList(w, p.Facts, (*attrStat).save) }

func (p *attrPart) load(r *reader) {
	p.Facts = readList(r, r.strs, (*attrStat).load) // one per fact, interned
}

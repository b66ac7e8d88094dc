package facts

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"exhaust/event"
)

// acc is one identifier's accumulators, gathered for Derive.
type acc struct {
	head
	Cell    *cellPart
	GPS     *gpsPart
	Apps    *appPart
	Msg     *msgPart
	WiFi    *wifiPart
	Band    *bandPart
	Pay     *payPart
	Transit *transitPart
	Ticket  *ticketPart
	Basket  *basketPart
	Reg     *regPart
	Attr    *attrPart
}

// view is the accumulators of one cluster, in identifier order.
type view struct {
	s    *Store
	ids  []event.ID
	accs []*acc

	homeDone bool // home is computed once: work needs it too
	homeFact Fact
	homeOK   bool
}

// Derive returns every fact the accumulators of ids support, in FactNames
// order. ids are the members of one profile (a cluster of the identity
// graph), in any order; identifiers the store has not seen are ignored.
// Derive only reads the store.
func (s *Store) Derive(ids []event.ID) []Fact {
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, compareIDs)
	sorted = slices.Compact(sorted)
	v := &view{s: s}
	for _, id := range sorted {
		k := keyOf(id)
		h, ok := s.heads[k]
		if !ok {
			continue
		}
		v.ids = append(v.ids, id)
		v.accs = append(v.accs, &acc{
			head: h, Cell: s.cells[k], GPS: s.gps[k], Apps: s.apps[k], Msg: s.msgs[k], WiFi: s.wifi[k],
			Band: s.bands[k], Pay: s.pays[k], Transit: s.transits[k], Ticket: s.tickets[k], Basket: s.baskets[k], Reg: s.regs[k], Attr: s.attrs[k],
		})
	}
	if len(v.accs) == 0 {
		return nil
	}
	var out []Fact
	for _, derive := range []func() (Fact, bool){
		v.home, v.work, v.sleep, v.wakeToPhone, v.activity, v.trips, v.places,
		v.spending, v.shopping, v.interests, v.cafe, v.apps, v.devices, v.contacts,
		v.name, v.email,
	} {
		if f, ok := derive(); ok {
			out = append(out, f)
		}
	}
	out = append(out, v.attributes()...)
	for i := range out {
		out[i].Evidence.Sources = s.sources(out[i].types)
	}
	return out
}

// evidence gathers the samples behind one fact.
type evidence struct {
	n           int
	types       uint32
	first, last stamp
	refs        []ref
}

func (e *evidence) add(s *sample) {
	if s.N == 0 {
		return
	}
	if e.n == 0 || s.First < e.first {
		e.first = s.First
	}
	if s.Last > e.last {
		e.last = s.Last
	}
	e.n += int(s.N)
	e.types |= s.Types
	for _, r := range s.Refs {
		if r.ID != [16]byte{} {
			e.refs = append(e.refs, r)
		}
	}
}

// fact builds a Fact with this evidence.
func (e *evidence) fact(name string, value any, display, why string, confidence float64) Fact {
	slices.SortFunc(e.refs, func(a, b ref) int {
		if c := cmp.Compare(b.T, a.T); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	ids := make([]string, 0, MaxEventIDs)
	for i, r := range e.refs {
		if i > 0 && r.ID == e.refs[i-1].ID {
			continue
		}
		if len(ids) == MaxEventIDs {
			break
		}
		ids = append(ids, formatUUID(r.ID))
	}
	return Fact{
		Name:       name,
		Value:      value,
		Display:    display,
		Confidence: round(math.Max(0, math.Min(1, confidence)), 2),
		Evidence:   Evidence{Why: why, Count: e.n, EventIDs: ids},
		types:      e.types, // named by Derive, which knows the store's types
		FirstSeen:  e.first.Time(),
		LastSeen:   e.last.Time(),
	}
}

// counts turns interned counts into sorted Counts: most first, then by name.
func (v *view) counts(cs []count) []Count {
	out := make([]Count, 0, len(cs))
	for _, c := range cs {
		out = append(out, Count{Name: v.s.str(c.S), Count: int(c.N)})
	}
	return sortCounts(out)
}

// sortCounts merges equal names and sorts most first, then by name.
func sortCounts(cs []Count) []Count {
	slices.SortFunc(cs, func(a, b Count) int { return cmp.Compare(a.Name, b.Name) })
	var out []Count
	for _, c := range cs {
		if n := len(out); n > 0 && out[n-1].Name == c.Name {
			out[n-1].Count += c.Count
			continue
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Count) int { return cmp.Compare(b.Count, a.Count) })
	return out
}

func countNames(cs []Count, n int) string {
	var parts []string
	for i, c := range cs {
		if i == n {
			parts = append(parts, fmt.Sprintf("%d more", len(cs)-n))
			break
		}
		if c.Count > 1 {
			parts = append(parts, fmt.Sprintf("%s ×%d", c.Name, c.Count))
		} else {
			parts = append(parts, c.Name)
		}
	}
	return strings.Join(parts, ", ")
}

// idsOf returns the cluster's identifiers of kind k.
func (v *view) idsOf(k event.IDKind) []string {
	var out []string
	for _, id := range v.ids {
		if id.Kind == k {
			out = append(out, id.Value)
		}
	}
	return out
}

// --- where: home and work ---

// cellArea merges the cluster's reports of one time class and locates them.
func (v *view) cellArea(class func(*cellPart) *cellClass, consistent bool) (f fix, days, reports int, towers []string, e evidence, ok bool) {
	var merged []towerStat
	for _, a := range v.accs {
		if a.Cell == nil {
			continue
		}
		c := class(a.Cell)
		if c.Ev.N == 0 {
			continue
		}
		e.add(&c.Ev)
		reports += int(c.Ev.N)
		days = max(days, int(c.Days))
		for _, ts := range c.Towers {
			i := slices.IndexFunc(merged, func(m towerStat) bool { return m.T == ts.T })
			if i < 0 {
				merged = append(merged, ts)
				continue
			}
			merged[i].N += ts.N
			merged[i].Sum += ts.Sum
			merged[i].Days = max(merged[i].Days, ts.Days)
		}
	}
	if reports == 0 {
		return
	}
	// Over several days, keep the towers heard on at least half of them:
	// the place that recurs, not the odd errand.
	if consistent && days >= 2 {
		merged = slices.DeleteFunc(slices.Clone(merged), func(ts towerStat) bool { return 2*int(ts.Days) < days })
	}
	slices.SortStableFunc(merged, func(a, b towerStat) int {
		return cmp.Compare(float64(b.Sum)/float64(b.N), float64(a.Sum)/float64(a.N))
	})
	obs, heard := v.s.towerMeans(merged, reports)
	for _, ts := range merged {
		if _, known := v.s.towerAt[ts.T]; known {
			towers = append(towers, v.s.str(ts.T))
		}
	}
	f, ok = v.s.areas.locate(obs, v.s.silentTowers(heard), v.s.model())
	return
}

// maxGPSSpreadM is the largest spread of GPS fixes still read as one place.
const maxGPSSpreadM = 250.0

// gpsArea merges the cluster's GPS fixes of one time class. Fixes spread
// over more than maxGPSSpreadM are several places, not one: no area.
func (v *view) gpsArea(class func(*gpsPart) *gpsClass) (f fix, n int, e evidence, ok bool) {
	type group struct{ n, lat, lon, vr float64 }
	var gs []group
	var acc float64
	for _, a := range v.accs {
		if a.GPS == nil {
			continue
		}
		g := class(a.GPS)
		if g.N == 0 {
			continue
		}
		k := float64(g.N)
		lat, lon := g.SumLat/k, g.SumLon/k
		// Variance about the group's mean, from the sum of squares about
		// its first fix.
		mx := (lon - g.Lon0) * metresPerDegree * math.Cos(g.Lat0*math.Pi/180)
		my := (lat - g.Lat0) * metresPerDegree
		gs = append(gs, group{n: k, lat: lat, lon: lon, vr: math.Max(0, g.SumSq/k-mx*mx-my*my)})
		n += int(g.N)
		acc += g.SumAcc
		e.add(&g.Ev)
	}
	if n == 0 {
		return
	}
	var lat, lon float64
	for _, g := range gs {
		lat, lon = lat+g.n*g.lat, lon+g.n*g.lon
	}
	lat, lon = lat/float64(n), lon/float64(n)
	// Pooled spread about the overall mean.
	var vr float64
	for _, g := range gs {
		d := distanceM(g.lat, g.lon, lat, lon)
		vr += g.n * (g.vr + d*d)
	}
	spread := math.Sqrt(vr / float64(n))
	if spread > maxGPSSpreadM {
		return
	}
	// The error of the mean: the fixes' spread (or their stated accuracy,
	// whichever is larger) over √n, but no better than 10 m.
	r := math.Max(10, math.Max(spread, acc/float64(n))/math.Sqrt(float64(n)))
	return fix{Lat: lat, Lon: lon, RadiusM: r}, n, e, true
}

// homeStationSigmaM is how far from home the station where someone's days
// start and end may be: people walk up to 700 m to the metro.
const homeStationSigmaM = 400.0

// agreeM is how far an estimate from another source may lie from the cell
// estimate, beyond their radii, and still be taken as the same place.
const agreeM = 1000.0

// homeStation returns the station where the cluster's days most often
// start (first tap-in) and end (last tap-out), with how many such taps.
func (v *view) homeStation() (int32, int, evidence) {
	score := map[int32]int{}
	type day struct {
		firstS, lastS int32
		firstT, lastT stamp
	}
	days := map[int32]*day{}
	dayOf := func(k int32) *day {
		d := days[k]
		if d == nil {
			d = &day{}
			days[k] = d
		}
		return d
	}
	first := func(d *day, s int32, t stamp) {
		if d.firstT == 0 || t < d.firstT {
			d.firstS, d.firstT = s, t
		}
	}
	last := func(d *day, s int32, t stamp) {
		if t > d.lastT {
			d.lastS, d.lastT = s, t
		}
	}
	var e evidence
	for _, a := range v.accs {
		if tk := a.Ticket; tk != nil {
			if t := tk.Trip; t.In != 0 {
				first(dayOf(dayKey(t.In.Time())), t.FromS, t.In)
				e.add(&tk.Ev)
			}
			if t := tk.Trip; t.Out != 0 {
				last(dayOf(dayKey(t.Out.Time())), t.ToS, t.Out)
				e.add(&tk.Ev)
			}
		}
		tp := a.Transit
		if tp == nil {
			continue
		}
		// Days gone by are counted in the stations; the day being followed
		// is not yet.
		for _, ss := range tp.Stations {
			score[ss.S] += int(ss.DayFirst + ss.DayLast)
		}
		if tp.FirstInT == 0 && tp.LastT == 0 {
			continue
		}
		e.add(&tp.Ev)
		d := dayOf(tp.Day)
		if tp.FirstInT != 0 {
			first(d, tp.FirstInS, tp.FirstInT)
		}
		if tp.LastT != 0 {
			last(d, tp.LastOut, tp.LastT)
		}
	}
	for _, d := range days {
		if d.firstT != 0 {
			score[d.firstS]++
		}
		if d.lastT != 0 {
			score[d.lastS]++
		}
	}
	best, bestN := int32(-1), 0
	for s, n := range score {
		if n > bestN || (n == bestN && n > 0 && v.s.str(s) < v.s.str(best)) {
			best, bestN = s, n
		}
	}
	return best, bestN, e
}

// stationFix returns the position of a station, from the transit events'
// where (a tap's where is its station), with the home-station radius.
func (v *view) stationFix(st int32) (fix, bool) {
	i, ok := v.s.placeAt[st]
	if !ok {
		return fix{}, false
	}
	p := v.s.places[i]
	return fix{Lat: p.Lat, Lon: p.Lon, RadiusM: homeStationSigmaM}, true
}

func (v *view) home() (Fact, bool) {
	if !v.homeDone {
		v.homeFact, v.homeOK = v.deriveHome()
		v.homeDone = true
	}
	return v.homeFact, v.homeOK
}

func (v *view) deriveHome() (Fact, bool) {
	a, ok := v.area(func(c *cellPart) *cellClass { return &c.Night }, func(g *gpsPart) *gpsClass { return &g.Night }, false,
		"between 22:00 and 07:00", "night", "nights", "at night")
	if !ok {
		return Fact{}, false
	}
	f, val, why, e, cell, okCell, nights := a.f, a.val, a.why, a.e, a.cell, a.okCell, a.val.Days
	if okCell {
		if st, n, es := v.homeStation(); n >= 2 {
			if sf, ok := v.stationFix(st); ok && distanceM(sf.Lat, sf.Lon, cell.Lat, cell.Lon) <= agreeM+cell.RadiusM {
				f = fuse(f, sf)
				val.Station, val.StationName = v.s.str(st), v.s.placeName(st)
				e.merge(&es)
				why = append(why, fmt.Sprintf("your days start and end at the %s metro station", val.StationName))
			}
		}
	}
	val.Lat, val.Lon, val.RadiusM = round(f.Lat, 5), round(f.Lon, 5), roundRadius(f.RadiusM)
	display := fmt.Sprintf("home: ±%d m around %.4f, %.4f", val.RadiusM, val.Lat, val.Lon)
	if val.StationName != "" {
		display += ", near " + val.StationName
	}
	conf := math.Exp(-f.RadiusM/800) * float64(max(nights, 1)) / (float64(max(nights, 1)) + 0.5)
	return e.fact(FactHome, val, display, list(why), conf), true
}

// areaFix is an area located from a class of cell reports, and GPS fixes
// of the same hours when they agree with the cells.
type areaFix struct {
	f      fix
	val    AreaValue
	why    []string
	e      evidence
	cell   fix  // the cells' estimate alone
	okCell bool // whether there was one
}

// area locates the place a class of hours is spent (home: nights; work:
// weekday hours) from the phone's cell reports and, when they agree, GPS
// fixes. hours, unit and units word the reasons ("between 22:00 and
// 07:00", "night", "nights"), gpsWhen the GPS one ("at night").
func (v *view) area(cells func(*cellPart) *cellClass, gpss func(*gpsPart) *gpsClass, consistent bool, hours, unit, units, gpsWhen string) (areaFix, bool) {
	cell, days, reports, towers, e, okCell := v.cellArea(cells, consistent)
	gps, nGPS, eg, okGPS := v.gpsArea(gpss)
	if !okCell && !okGPS {
		return areaFix{}, false
	}
	a := areaFix{f: cell, val: AreaValue{Days: days, Reports: reports}, e: e, cell: cell, okCell: okCell}
	if okCell {
		a.val.Towers = towers
		a.why = append(a.why, fmt.Sprintf("your phone reported towers %s on %s %s (%s averaged)",
			strings.Join(firstN(towers, 4), "/"), plural(days, unit, units), hours, plural(reports, "report", "reports")))
	}
	if okGPS && (!okCell || distanceM(gps.Lat, gps.Lon, cell.Lat, cell.Lon) <= agreeM+cell.RadiusM) {
		if okCell {
			a.f = fuse(cell, gps)
		} else {
			a.f = gps
		}
		a.val.GPSFixes = nGPS
		a.e.merge(&eg)
		a.why = append(a.why, fmt.Sprintf("apps received %s %s", plural(nGPS, "GPS fix", "GPS fixes"), gpsWhen))
	}
	return a, true
}

func (v *view) work() (Fact, bool) {
	a, ok := v.area(func(c *cellPart) *cellClass { return &c.Work }, func(g *gpsPart) *gpsClass { return &g.Work }, true,
		"between 09:30 and 16:30", "weekday", "weekdays", "in working hours")
	if !ok {
		return Fact{}, false
	}
	f, val, why, e, days := a.f, a.val, a.why, a.e, a.val.Days
	// Daytime at home is not a workplace. Two estimates of one place
	// differ by their errors: with shadowing, the days' towers (errands
	// included) and the nights' can put the same home a few hundred metres
	// apart. So the two are one place when they are nearer than three
	// times their combined radius (and 500 m), or when the days and the
	// nights have the same loudest tower.
	if home, ok := v.home(); ok {
		h := home.Value.(AreaValue)
		hr := float64(h.RadiusM)
		if distanceM(h.Lat, h.Lon, f.Lat, f.Lon) < math.Max(500, 3*math.Hypot(hr, f.RadiusM)) {
			return Fact{}, false
		}
		if len(val.Towers) > 0 && len(h.Towers) > 0 && val.Towers[0] == h.Towers[0] {
			return Fact{}, false
		}
	}
	val.Lat, val.Lon, val.RadiusM = round(f.Lat, 5), round(f.Lon, 5), roundRadius(f.RadiusM)
	display := fmt.Sprintf("work: ±%d m around %.4f, %.4f", val.RadiusM, val.Lat, val.Lon)
	if days > 0 {
		display += fmt.Sprintf(" (%s)", plural(days, "weekday", "weekdays"))
	}
	d := float64(max(days, 1))
	conf := math.Exp(-f.RadiusM/800) * d / (d + 1.5)
	return e.fact(FactWork, val, display, list(why), conf), true
}

// merge adds another evidence to e.
func (e *evidence) merge(o *evidence) {
	if o.n == 0 {
		return
	}
	if e.n == 0 || o.first < e.first {
		e.first = o.first
	}
	if o.last > e.last {
		e.last = o.last
	}
	e.n += o.n
	e.types |= o.types
	e.refs = append(e.refs, o.refs...)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

package linker

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// Space-time co-occurrence, as a test of hypotheses.
//
// A phone is seen everywhere its owner goes: the network locates it from
// its cell events all day long. Anything else its owner carries (a card,
// a transit pass, a loyalty account, a laptop's Wi-Fi address) is seen
// only now and then, at a precise place: an anchor. Each time an anchor is
// seen, the phones located near it at that time are candidates to be its
// owner's, and every candidate is scored by a log-likelihood ratio:
//
//   - near (a hit): log(pHitSame / pRand), pRand being the share of the
//     city's located phones that were as near. A shop at 3 am, with one
//     phone in view out of thousands, says much; Châtelet at 8 am, with
//     two hundred, little. Rarity is measured, not configured.
//   - located far away at that time (a miss): log(pMissSame), a strong
//     negative: the owner's phone is rarely located a kilometre off.
//   - not located then (switched off, no recent cell event): nothing.
//
// Evidence adds up over days. An anchor is linked to the phone whose
// score passes the population's prior (log of the phones in view, plus
// Config.CooccurOdds) and beats every rival by Config.CooccurRatio. A
// crowded place and time is never thrown away: it still scores the
// candidates already held, and seeds at most Config.CooccurCandidates new
// ones, the nearest, so its cost stays bounded.
//
// Presences are kept per time bin: the phones located in the bin, on a
// grid of Config.CooccurCellM cells, and the anchors' observations. A bin
// is read once, when it closes (Config.CooccurLag after its end), with the
// previous one kept for observations that straddle the two.

// pHitSame is how often the owner's phone is located near (g ≥ gHit) an
// anchor it was with; pMissSame how often far (g < gMiss): cell
// positions err by 100–300 m (docs/location.md), now and then by more.
const (
	pHitSame  = 0.8
	pMissSame = 0.05
	gHit      = 0.3
	gMiss     = 0.01
)

// continued is the weight of an observation that continues the previous
// one (the next bin of one Wi-Fi session, at the same place): a long
// afternoon at a café is one encounter, not eighteen.
const continued = 0.25

// pruneGap is how far below the best candidate a candidate may fall
// before it is dropped: e^-15, no way back.
const pruneGap = 15

// cellKey is a spatial cell of the grid.
type cellKey struct{ X, Y int32 }

// spot is an identifier at a position, give or take an accuracy (local
// metres, see project), from From to To (unix ns).
type spot struct {
	X, Y, Acc float32
	From, To  int64
	Event     string
	Place     string
}

// maxSpots bounds the spots one identifier keeps in one bin: a phone on
// the move has a few positions in ten minutes.
const maxSpots = 4

// bin is what one time bin saw: the phones located in it and the anchors'
// observations.
type bin struct {
	Phones  map[int32][]spot // by graph handle: hashed far faster than identifiers
	Anchors map[event.ID][]spot
	// Built when the bin closes: the phones in a list, filed by cell
	// (indices into list), and a visit stamp.
	list     []phoneEntry
	grid     map[cellKey][]int32
	byHandle map[int32]int32 // list index by graph handle
	stamp    uint32
	views    map[viewKey]*view // while the bin is read (see inView)
}

// phoneEntry is a phone's spots in a closed bin.
type phoneEntry struct {
	h     int32 // graph handle
	spots []spot
	stamp uint32 // the bin's stamp when last visited
}

func newBin() *bin {
	return &bin{Phones: map[int32][]spot{}, Anchors: map[event.ID][]spot{}}
}

// track is a phone's latest located cell event: the phone is taken to stay
// there until its next cell event, at most CooccurTrackHold.
type track struct {
	ID      event.ID
	h       int32 // ID's graph handle (not saved: Load asks the graph)
	Lat     float64
	Lon     float64
	Acc     float64
	T       int64 // unix ns
	Covered int64 // the last bin the track was put in
	Event   string
}

// cand is a phone a candidate to be an anchor's owner's, with its evidence.
// An anchor in a crowd holds dozens, and a city millions: the fields are
// packed (a graph handle for the phone, event ids in 16 bytes, an interned
// place), 80 bytes instead of 136.
type cand struct {
	Score       float64 // log-likelihood ratio, summed
	First, Last int64   // unix ns of the first and last hit
	// Phone is the phone's graph handle: the graph knows every identifier
	// of a record before the linker observes it, and a handle never
	// changes (see graph.Handle), not even across a snapshot.
	Phone        int32
	Hits, Misses int32
	Days         int32
	LastDay      int32 // days since 1970 of the last hit
	// The last hit's events (the anchor's, the phone's) and place.
	EvA, EvP evRef
	Place    string
}

// anchor is the co-occurrence evidence of one identifier that is not a
// phone's.
type anchor struct {
	Cands []cand
	Past  []pastObs // the most recent observations, oldest first
	Obs   int32     // observations scored
	// Rest is the log of the mean likelihood ratio of a phone that is not
	// a candidate: each observation multiplies it by the chance that such
	// a phone was located far away (pMissSame) or not located at all (1).
	Rest float64
	// Dropped is the log of the summed likelihood ratios of the
	// candidates prune let go for want of room (if NDropped > 0), frozen
	// as they were: still rivals of the best, and over-counted rather
	// than forgotten (a phone let go and seen near again is scored anew).
	Dropped  float64
	NDropped int32
	// Blocked: the last weighing found the best held back by other phones.
	Blocked bool
	// Linked is the phone co-occurrence linked the anchor to, Mask what
	// the anchor's cluster held before (its kinds): the link stays a
	// hypothesis that later evidence may undo.
	Linked event.ID
	Mask   uint64
	// Where and when it was last seen, for continuity and forgetting.
	LastX, LastY float32
	LastBin      int64
}

// cooccur is the co-occurrence state.
type cooccur struct {
	Tracks   []track
	trackIdx map[int32]int  // by graph handle
	Bins     map[int64]*bin // open bins
	Prev     *bin           // the last closed bin, for straddling observations
	PrevBin  int64
	Closed   int64 // bins up to this one are closed (noTime before any record)
	// Closing is the bin being read, its anchors a few at a time (see
	// closeBin), nil between bins; Reviewing the anchors an hourly review
	// has still to weigh again (see review), nil between reviews.
	Closing   *closing
	Reviewing *reviewing
	// BinRecords counts the records since the last bin closed: the next
	// bin's reading is spread over half as many (see spreadOver).
	BinRecords int
	Anchors    map[event.ID]*anchor
	// InView is the most phones located in one bin so far: the population
	// a candidate is picked out of.
	InView int32
	// NextForget is the bin at which stale anchors are next dropped, and
	// NextReview the one at which every anchor is weighed again.
	NextForget, NextReview int64

	// Where the phones were (see history.go), relative to an origin.
	Hist             map[int32]*history // by graph handle
	OriginX, OriginY float64
	HasOrigin        bool

	// Contradictions (see split.go): the latest precise position of each
	// identifier, contradictions counted per pair, the pairs a split
	// separated, and the splits.
	Fixes  map[int32]fix // by graph handle
	Contra map[pairKey]int32
	Vetoes map[pairKey]bool
	Splits []Split

	// OddEvents are the texts of the event ids that are no canonical
	// UUID, by their evRef.
	OddEvents map[evRef]string

	// Counters, for Stats.
	Late, Crowded, Links, Unresolved, Undone int64
}

func newCooccur() cooccur {
	return cooccur{
		trackIdx: map[int32]int{},
		Bins:     map[int64]*bin{},
		Closed:   noTime,
		PrevBin:  noTime,
		Anchors:  map[event.ID]*anchor{},
		Fixes:    map[int32]fix{},
		Hist:     map[int32]*history{},
		Contra:   map[pairKey]int32{},
		Vetoes:   map[pairKey]bool{},
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func (l *Linker) bin() int64 { return int64(l.cfg.CooccurBin) }

// presence turns a located record into presences.
func (l *Linker) presence(r *obs.Record, t int64) {
	co := &l.co
	if co.Closed == noTime {
		// Start the clock one lag and one bin before the first record.
		co.Closed = floorDiv(t-int64(l.cfg.CooccurLag), l.bin()) - 2
		co.NextForget = co.Closed + 1
	}
	id := r.IDs[0]
	if m, radio := meaning.Find[meaning.Radio](r.Means); radio {
		if x, ok := r.Has(m.Of); ok {
			id = x
		}
		lat, lon, acc, ok := l.locate(r, m)
		if !ok && r.Where != nil {
			lat, lon, acc, ok = r.Where.Lat, r.Where.Lon, r.Where.AccuracyM, true
		}
		ok = ok && acc <= l.cfg.CooccurMaxAccuracyM
		h := l.g.Handle(id)
		if ok {
			l.fixed(id, h, lat, lon, acc, t, r.ID)
		}
		l.moveTrack(id, h, lat, lon, acc, t, r.ID, ok, r.Is(m.Leaving))
		return
	}
	w := r.Where
	_, served := meaning.Find[meaning.Served](r.Means)
	if w == nil || served || w.AccuracyM > l.cfg.CooccurMaxAccuracyM {
		// No position, or only the serving tower's: too coarse.
		return
	}
	for _, x := range r.IDs {
		l.fixed(x, l.g.Handle(x), w.Lat, w.Lon, w.AccuracyM, t, r.ID)
	}
	from, to := t-int64(l.cfg.CooccurPointWindow), t+int64(l.cfg.CooccurPointWindow)
	var start, end time.Time
	if m, ok := meaning.Find[meaning.Presence](r.Means); ok {
		start, end = r.Get(m.Start).Time(), r.Get(m.End).Time()
	}
	span := !start.IsZero() && end.After(start)
	if span {
		from, to = start.UnixNano(), end.UnixNano()
	}
	if l.dev[id.Kind] {
		l.put(l.g.Handle(id), w.Lat, w.Lon, w.AccuracyM, from, to, r.ID, w.Place)
		return
	}
	if span {
		l.putAnchorSpan(id, w, from, to, r.ID)
		return
	}
	// A point observation is read once, in the bin of its time, against
	// the phones located around it then.
	l.putAnchor(id, w, from, to, floorDiv(t, l.bin()), r.ID)
}

// maxSpanBins bounds the bins one presence can fill: a record claiming a
// week-long Wi-Fi session must not cost a week of bins.
const maxSpanBins = 48

// openBin returns bin b, creating it, or nil if it is already closed.
func (co *cooccur) openBin(b int64) *bin {
	if b <= co.Closed {
		return nil
	}
	bn := co.Bins[b]
	if bn == nil {
		bn = newBin()
		co.Bins[b] = bn
	}
	return bn
}

// put records that the phone identifier of graph handle h was at (lat,
// lon) from from to to (unix ns), in every open bin of that span.
func (l *Linker) put(h int32, lat, lon, acc float64, from, to int64, ev, place string) {
	co := &l.co
	b0, b1 := floorDiv(from, l.bin()), floorDiv(to, l.bin())
	b0 = max(b0, co.Closed+1)
	if b1 < b0 {
		co.Late++
		return
	}
	b1 = min(b1, b0+maxSpanBins-1)
	if h < 0 {
		return // not a record's identifier: the graph knows every one
	}
	p := project(lat, lon)
	if !co.HasOrigin {
		// Histories are kept relative to the first phone position.
		co.OriginX, co.OriginY, co.HasOrigin = p.x, p.y, true
	}
	for b := b0; b <= b1; b++ {
		sp := spot{X: float32(p.x), Y: float32(p.y), Acc: float32(max(acc, minAccM)),
			From: max(from, b*l.bin()), To: min(to, (b+1)*l.bin()-1), Event: ev, Place: place}
		bn := co.openBin(b)
		bn.Phones[h] = addSpot(bn.Phones[h], sp)
	}
}

// putAnchor records an anchor's point observation, to be read in bin b.
func (l *Linker) putAnchor(id event.ID, w *event.Where, from, to, b int64, ev string) {
	bn := l.co.openBin(b)
	if bn == nil {
		l.co.Late++
		return
	}
	p := project(w.Lat, w.Lon)
	sp := spot{X: float32(p.x), Y: float32(p.y), Acc: float32(max(w.AccuracyM, minAccM)), From: from, To: to, Event: ev, Place: w.Place}
	bn.Anchors[id] = addSpot(bn.Anchors[id], sp)
}

// putAnchorSpan records an anchor seen over a span (a Wi-Fi session): one
// observation in each bin it covers.
func (l *Linker) putAnchorSpan(id event.ID, w *event.Where, from, to int64, ev string) {
	co := &l.co
	b0, b1 := max(floorDiv(from, l.bin()), co.Closed+1), floorDiv(to, l.bin())
	if b1 < b0 {
		co.Late++
		return
	}
	b1 = min(b1, b0+maxSpanBins-1)
	for b := b0; b <= b1; b++ {
		l.putAnchor(id, w, max(from, b*l.bin()), min(to, (b+1)*l.bin()-1), b, ev)
	}
}

// minAccM is the best accuracy a position is credited with.
const minAccM = 10

// sameSpotM is how close two spots of one identifier in a bin must be to
// count as one.
const sameSpotM = 50

// addSpot adds sp to an identifier's spots in a bin: merged into one as
// close (keeping the more precise, over both spans), else appended up to
// maxSpots (then the least precise gives way).
func addSpot(ss []spot, sp spot) []spot {
	for i := range ss {
		o := &ss[i]
		if math.Hypot(float64(o.X-sp.X), float64(o.Y-sp.Y)) < sameSpotM {
			from, to := min(o.From, sp.From), max(o.To, sp.To)
			if sp.Acc < o.Acc {
				*o = sp
			}
			o.From, o.To = from, to
			return ss
		}
	}
	if len(ss) < maxSpots {
		return append(ss, sp)
	}
	worst := 0
	for i := range ss {
		if ss[i].Acc > ss[worst].Acc {
			worst = i
		}
	}
	if sp.Acc < ss[worst].Acc {
		ss[worst] = sp
	}
	return ss
}

// moveTrack closes the phone's previous track at t and, if the new event
// located it (ok) and did not switch it off (detach), starts a new one.
func (l *Linker) moveTrack(id event.ID, h int32, lat, lon, acc float64, t int64, ev string, ok, detach bool) {
	co := &l.co
	hold := int64(l.cfg.CooccurTrackHold)
	if i, found := co.trackIdx[h]; found {
		tr := co.Tracks[i]
		end := min(t, tr.T+hold)
		from := max(tr.T, (tr.Covered+1)*l.bin())
		if end >= from {
			l.put(tr.h, tr.Lat, tr.Lon, tr.Acc, from, end, tr.Event, "")
		}
		co.dropTrack(i)
	}
	if !ok {
		return
	}
	l.put(h, lat, lon, acc, t, t, ev, "")
	if detach || h < 0 {
		return // an identifier the graph does not know is never put
	}
	co.trackIdx[h] = len(co.Tracks)
	co.Tracks = append(co.Tracks, track{ID: id, h: h, Lat: lat, Lon: lon, Acc: acc, T: t, Covered: max(floorDiv(t, l.bin()), co.Closed), Event: ev})
}

// dropTrack removes track i (the last one takes its place).
func (co *cooccur) dropTrack(i int) {
	last := len(co.Tracks) - 1
	delete(co.trackIdx, co.Tracks[i].h)
	if i != last {
		co.Tracks[i] = co.Tracks[last]
		co.trackIdx[co.Tracks[i].h] = i
	}
	co.Tracks = co.Tracks[:last]
}

// closeBins closes every bin that ended more than CooccurLag before the
// watermark.
func (l *Linker) closeBins() {
	co := &l.co
	if co.Closed == noTime {
		return
	}
	target := floorDiv(l.wm-int64(l.cfg.CooccurLag), l.bin()) - 1
	for co.Closed < target {
		// A bin still being read is finished before the next is opened:
		// bins are read in order, each against the one before.
		l.finishClosing()
		next := co.Closed + 1
		if len(co.Tracks) == 0 {
			// Nothing to extend: jump to the next bin holding presences.
			lowest := int64(math.MaxInt64)
			for b := range co.Bins {
				lowest = min(lowest, b)
			}
			next = max(next, lowest)
		}
		if next > target {
			co.Closed = target
			break
		}
		l.closeBin(next)
		co.Closed = next
		if l.atClose {
			l.finishClosing()
		}
	}
}

// closing is a bin being read: its anchors in identifier order, the next
// to observe, how many records its reading is spread over, and how many
// have gone by since it closed.
type closing struct {
	Bin     int64
	Bn      *bin
	anchors []event.ID
	Next    int
	Spread  int
	Records int
}

// Reading a bin's anchors all at once stopped the stream: at 10,000
// people, 50 to 150 ms every ten minutes of event time, so that at 10,000
// events a second a tenth of the events waited behind it (p99
// publish→fact 165 ms). The anchors were then read a few per record,
// spread over closeSpread records or, if it is fewer, closeStep anchors a
// record. That was still too dense for a city: a busy bin at 10,000
// people takes 110 to 250 ms to read, and 4 anchors a record put 0.5 to
// 0.9 ms on each of some 250 records in a row, 50 times a record's usual
// cost, so that a stream at 10,000 events a second fell 100 ms and more
// behind every busy bin (docs/performance.md, "A closed bin read over half
// a bin's records"). So the reading is also spread over at least half as
// many records as the bin before had (co.BinRecords): a bin closes about
// as often as the one before, and is read well before the next closes. A
// bin not yet done when the next closes is finished then, at once. Which
// record reads which anchor depends only on the records, so the linker
// stays a function of its input, and a snapshot holds the bin being read.
const (
	closeStep   = 4
	closeSpread = 256
)

// closeBin starts reading bin b: every anchor observed in it is scored
// against the phones located then, a few per record (see stepClosing).
func (l *Linker) closeBin(b int64) {
	co := &l.co
	start, end := b*l.bin(), (b+1)*l.bin()
	hold := int64(l.cfg.CooccurTrackHold)
	// Phones that have not moved stay where they were last seen.
	for i := 0; i < len(co.Tracks); {
		tr := &co.Tracks[i]
		if tr.T+hold < start {
			co.dropTrack(i)
			continue
		}
		if tr.Covered < b && tr.T < end {
			l.put(tr.h, tr.Lat, tr.Lon, tr.Acc, start, min(end-1, tr.T+hold), tr.Event, "")
			tr.Covered = b
		}
		i++
	}
	bn := co.Bins[b]
	delete(co.Bins, b)
	if bn == nil {
		bn = newBin()
	}
	l.startClosing(b, bn, 0)
	co.BinRecords = 0
}

// startClosing makes bn, bin b, the one being read, from its anchor next
// on (0 for a bin that closes now, more for one a snapshot held).
func (l *Linker) startClosing(b int64, bn *bin, next int) {
	co := &l.co
	l.grid(bn)
	co.InView = max(co.InView, int32(len(bn.Phones)))
	anchors := sortedKeys(bn.Anchors, graph.CompareID)
	co.Closing = &closing{Bin: b, Bn: bn, anchors: anchors, Next: next, Spread: spreadOver(len(anchors), co.BinRecords)}
}

// spreadOver returns how many records the reading of n anchors is spread
// over when the bin before had the given number of records: closeSpread
// records or closeStep anchors a record, whichever is faster, and never
// faster than half the bin before.
func spreadOver(n, records int) int {
	step := max(closeStep, n/closeSpread)
	return max(1, (n+step-1)/step, records/2)
}

// stepClosing reads the next few anchors of the bin being read, and
// finishes it after the last.
func (l *Linker) stepClosing() {
	l.co.BinRecords++
	c := l.co.Closing
	if c == nil {
		return
	}
	c.Records++
	// On schedule: after r of its Spread records, r/Spread of the anchors.
	l.readAnchors(c, min(len(c.anchors), (c.Records*len(c.anchors)+c.Spread-1)/c.Spread))
	if c.Next == len(c.anchors) {
		l.finishClosing()
	}
}

// readAnchors observes the anchors of the bin being read up to (not
// including) the one at end.
func (l *Linker) readAnchors(c *closing, end int) {
	co := &l.co
	prev := co.Prev
	if co.PrevBin != c.Bin-1 {
		prev = nil
	}
	for ; c.Next < end; c.Next++ {
		id := c.anchors[c.Next]
		for _, sp := range c.Bn.Anchors[id] {
			l.observe(id, sp, c.Bin, c.Bn, prev)
		}
	}
}

// finishClosing reads what is left of the bin being read, if any, and
// files it away.
func (l *Linker) finishClosing() {
	co := &l.co
	c := co.Closing
	if c == nil {
		return
	}
	l.readAnchors(c, len(c.anchors))
	if l.atClose {
		l.decideRead()
	}
	co.Closing = nil
	c.Bn.views = nil
	l.remember(c.Bin, c.Bn)
	l.review(c.Bin)
	co.Prev, co.PrevBin = c.Bn, c.Bin
	l.forget(c.Bin)
}

// grid files a bin's phones by cell, in identifier order.
func (l *Linker) grid(bn *bin) {
	// The list's order does not matter: inView sorts what it finds.
	bn.list = make([]phoneEntry, 0, len(bn.Phones))
	bn.grid = make(map[cellKey][]int32, len(bn.Phones)/2+1)
	bn.byHandle = make(map[int32]int32, len(bn.Phones))
	for h, spots := range bn.Phones {
		i := len(bn.list)
		bn.list = append(bn.list, phoneEntry{h: h, spots: spots})
		bn.byHandle[h] = int32(i)
		for _, sp := range bn.list[i].spots {
			k := l.cellOf(sp.X, sp.Y)
			if ix := bn.grid[k]; len(ix) == 0 || ix[len(ix)-1] != int32(i) {
				bn.grid[k] = append(ix, int32(i))
			}
		}
	}
}

func (l *Linker) cellOf(x, y float32) cellKey {
	c := l.cfg.CooccurCellM
	return cellKey{int32(math.Floor(float64(x) / c)), int32(math.Floor(float64(y) / c))}
}

// nearness is how near a phone was to an observation: g, the likelihood
// of one person being seen that far from themself, and the phone's spot.
type nearness struct {
	h  int32 // graph handle
	g  float64
	sp spot
}

// closeness returns g = exp(−d²/2(σ₁²+σ₂²)) of the best of ss overlapping
// o's span, and whether any did.
func closeness(o spot, ss []spot) (float64, spot, bool) {
	best, at, found := 0.0, spot{}, false
	for _, s := range ss {
		if s.To < o.From || s.From > o.To {
			continue
		}
		dx, dy := float64(o.X-s.X), float64(o.Y-s.Y)
		s2 := float64(o.Acc)*float64(o.Acc) + float64(s.Acc)*float64(s.Acc)
		if g := math.Exp(-(dx*dx + dy*dy) / (2 * s2)); !found || g > best {
			best, at, found = g, s, true
		}
	}
	return best, at, found
}

// Thresholds of g as exponents: g ≥ gHit when d²/2(σ₁²+σ₂²) ≤ qHit.
var qHit, qMiss = -math.Log(gHit), -math.Log(gMiss)

// cluster returns the union-find handle of c's phone's cluster (see
// graph.ClusterOf).
func (l *Linker) cluster(c *cand) int32 { return l.g.ClusterOf(c.Phone) }

// candDevices returns the graph handles of the located identifiers of c's
// phone: its cluster's device identifiers (the SIM located by the
// network, the ad id by GPS).
func (l *Linker) candDevices(c *cand) []int32 { return l.aboutCluster(l.cluster(c)).devH }

// phoneOf returns the identifier of c's phone.
func (l *Linker) phoneOf(c *cand) event.ID { return l.g.IDOf(c.Phone) }

// clusterNear returns how near p's phone was to o: the nearest of its
// located identifiers. A phone's ad id seen by GPS now and then, and its
// SIM located all day, are one phone.
func (l *Linker) clusterNear(o spot, c *cand, bn, prev *bin) (g float64, at spot, located bool) {
	for _, h := range l.aboutCluster(l.cluster(c)).devH {
		for _, b := range [2]*bin{bn, prev} {
			if b == nil {
				continue
			}
			i, ok := b.byHandle[h]
			if !ok {
				continue
			}
			if g2, at2, ok := closeness(o, b.list[i].spots); ok && (!located || g2 > g) {
				g, at, located = g2, at2, true
			}
		}
	}
	return g, at, located
}

// evidence is what a phone's position says about one observation of an
// anchor: the log-likelihood ratio of "this is the owner's phone" against
// "a phone of the crowd". The owner's phone is where the anchor is, give
// or take both accuracies (a Gaussian: density e^−q / 2πs², q =
// d²/2s²); a phone of the crowd anywhere in view alike (the density of
// the phones in view, notFar of them within the reach of a g of gMiss,
// out of seen located). So a precise fix (a GPS at 10 m) a few metres off
// says much more than a cell position as close, and a phone in a crowd
// less than one alone. The sharpness gain is capped at maxSharp: a crowd
// is denser near a till than its average over a kilometre.
type evidence struct {
	weight float64 // continued observations count less
	acc    float64 // the anchor's accuracy
	rarity float64 // log(seen / notFar)
}

// maxSharp caps the log of the sharpness gain of a precise position.
var maxSharp = math.Log(30)

// of returns the evidence of a phone at q with accuracy acc.
func (e evidence) of(q, acc float64) float64 {
	s2 := e.acc*e.acc + acc*acc
	r2 := 2 * qMiss * (e.acc*e.acc + cellAccMax*cellAccMax)
	return e.weight * (e.rarity + min(math.Log(r2/(2*s2)), maxSharp) - q)
}

// testObserve, set by tests only, sees each observation as it is read.
var testObserve func(l *Linker, o spot, bn *bin)

// observe scores one observation o of the anchor id, read in bin b.
func (l *Linker) observe(id event.ID, o spot, b int64, bn, prev *bin) {
	co := &l.co
	k := l.kinds(id)
	if k&deviceBit != 0 && !l.watched(id) {
		// It is with a phone by a fact: nothing left to find.
		delete(co.Anchors, id)
		return
	}
	seen := int64(len(bn.Phones))
	if seen == 0 {
		return
	}
	if testObserve != nil {
		testObserve(l, o, bn)
	}
	near, notFar := l.inView(o, bn)
	a := co.Anchors[id]
	if a == nil {
		a = &anchor{LastBin: noTime}
		co.Anchors[id] = a
	}
	weight := 1.0
	if a.LastBin == b-1 && math.Hypot(float64(a.LastX-o.X), float64(a.LastY-o.Y)) < sameSpotM {
		weight = continued
	}
	a.LastX, a.LastY, a.LastBin = o.X, o.Y, b
	a.Obs++
	ev := evidence{weight: weight, acc: float64(o.Acc), rarity: math.Log(float64(seen) / float64(max(1, notFar)))}
	miss := weight * math.Log(pMissSame)
	// A phone that is no candidate was far with the chance that a located
	// phone was (most are), else anywhere.
	population := float64(max(co.InView, int32(seen)))
	far := float64(max(0, seen-int64(notFar))) / population
	a.Rest += weight * math.Log(far*pMissSame+1-far)
	encounter := weight == 1
	day := int32(floorDiv(o.From, int64(24*time.Hour)))
	t := (o.From + o.To) / 2
	score := func(c *cand, g float64, at spot) {
		if g < gMiss {
			c.Score += miss
			c.Misses++
			return
		}
		c.Score += ev.of(-math.Log(g), float64(at.Acc))
		if g >= gHit {
			if encounter {
				c.Hits++
			}
			if c.First == 0 {
				c.First = t
			}
			c.Last = t
			if day != c.LastDay {
				c.Days++
				c.LastDay = day
			}
			c.EvA, c.EvP, c.Place = l.evRef(o.Event), l.evRef(at.Event), l.place(o.Place)
		}
	}
	for i := range a.Cands {
		c := &a.Cands[i]
		if g, at, located := l.clusterNear(o, c, bn, prev); located {
			score(c, g, at)
		}
	}
	// New candidates: the nearest phones in view not held yet, at most
	// CooccurCandidates of them, each scored against the earlier
	// observations too (late). prune then keeps the best
	// CooccurCandidates in all: a crowd costs time once, not memory for as
	// long as the anchor lives, and the owner's phone, missed in a crowd,
	// gets in when it is seen near again.
	keep := l.cfg.CooccurCandidates
	if a.Linked != (event.ID{}) {
		// Only strong candidates could overturn a link (see decide).
		keep = min(keep, keptAfterLink)
	}
	room := keep
	// A phone already held, under any of its identifiers, is no newcomer.
	held := l.held[:0]
	for i := range a.Cands {
		held = append(held, l.cluster(&a.Cands[i]))
	}
	for n, ok := near.next(); ok; n, ok = near.next() {
		h := n.h
		r := l.g.ClusterOf(h)
		if slices.Contains(held, r) || l.vetoed(id, l.g.IDOf(h)) {
			continue
		}
		held = append(held, r)
		if room == 0 {
			co.Crowded++
			break
		}
		// A newcomer was no candidate before: it is scored against the
		// earlier observations from where it was then.
		c := cand{Phone: h, LastDay: math.MinInt32}
		l.late(&c, a)
		score(&c, n.g, n.sp)
		a.Cands = appendCand(a.Cands, c)
		room--
	}
	l.held = held[:0]
	po := pastObs{Bin: b, X: o.X, Y: o.Y, Acc: o.Acc, Weight: float32(weight), Rarity: float32(ev.rarity), Encounter: encounter, FromUnixNs: t}
	if len(a.Past) < maxPast {
		a.Past = append(a.Past, po)
	} else {
		// Shifted in place: re-slicing would let append grow a new array
		// every few observations, twice the room kept for good.
		copy(a.Past, a.Past[1:])
		a.Past[len(a.Past)-1] = po
	}
	a.prune(keep)
	if l.atClose {
		l.undecided = append(l.undecided, id)
		return
	}
	l.settle(id, a)
}

// settle tests the anchor's link against its evidence if it has one, or
// links it if the evidence is enough.
func (l *Linker) settle(id event.ID, a *anchor) {
	if a.Linked != (event.ID{}) {
		l.recheck(id, a)
		return
	}
	l.decide(id, a)
}

// reviewEvery is how often, in event time, every anchor is weighed again:
// a rival that has since been linked to an identifier of the anchor's
// kind (the neighbour's phone, now with its own card) is no rival any
// more, though the anchor may not be seen again for days.
const reviewEvery = time.Hour

// reviewing is a review under way: the anchors held back by rivals when
// it began, in identifier order, weighed again a few per record as a
// closed bin's anchors are read (closeStep, closeSpread): weighing them
// all at once stopped the stream for 30 to 50 ms an hour of event time at
// 10,000 people.
type reviewing struct {
	IDs  []event.ID // still to weigh
	Step int
}

// review starts a review once per reviewEvery, after finishing the one
// before if it is still under way.
func (l *Linker) review(b int64) {
	co := &l.co
	if b < co.NextReview {
		return
	}
	l.finishReview()
	co.NextReview = b + max(1, int64(reviewEvery)/l.bin())
	var ids []event.ID
	for id, a := range co.Anchors {
		if a.Blocked && a.Linked == (event.ID{}) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.SortFunc(ids, graph.CompareID)
	co.Reviewing = &reviewing{IDs: ids, Step: max(closeStep, len(ids)/closeSpread)}
}

// stepReview weighs the next few anchors of the review under way.
func (l *Linker) stepReview() {
	if r := l.co.Reviewing; r != nil {
		l.reviewUpTo(r.Step)
	}
}

// finishReview weighs what is left of the review under way.
func (l *Linker) finishReview() {
	if r := l.co.Reviewing; r != nil {
		l.reviewUpTo(len(r.IDs))
	}
}

// reviewUpTo weighs up to n more anchors of the review under way, each
// as it is now: one forgotten, linked or no longer held back meanwhile
// is passed over.
func (l *Linker) reviewUpTo(n int) {
	co := &l.co
	r := co.Reviewing
	n = min(n, len(r.IDs))
	for _, id := range r.IDs[:n] {
		a := co.Anchors[id]
		if a == nil || !a.Blocked || a.Linked != (event.ID{}) {
			continue
		}
		if l.kinds(id)&deviceBit != 0 {
			delete(co.Anchors, id)
			continue
		}
		l.decide(id, a)
	}
	if r.IDs = r.IDs[n:]; len(r.IDs) == 0 {
		co.Reviewing = nil
	}
}

// prune sorts the candidates best first, drops the hopeless and keeps the
// best keep.
func (a *anchor) prune(keep int) {
	slices.SortFunc(a.Cands, func(x, y cand) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return cmp.Compare(x.Phone, y.Phone)
	})
	if len(a.Cands) == 0 {
		return
	}
	floor := a.Cands[0].Score - pruneGap
	a.Cands = slices.DeleteFunc(a.Cands, func(c cand) bool { return c.Score < floor })
	for _, c := range a.Cands[min(len(a.Cands), keep):] {
		a.drop(c.Score)
	}
	a.Cands = a.Cands[:min(len(a.Cands), keep)]
	// Most anchors shed candidates as they are seen again: give back the
	// room, or a city's anchors hold twice the candidates they keep.
	if cap(a.Cands) > len(a.Cands)+len(a.Cands)/4+4 {
		a.Cands = slices.Clip(slices.Clone(a.Cands))
	}
}

// drop adds a candidate of the given score to those let go.
func (a *anchor) drop(score float64) {
	if a.NDropped == 0 {
		a.Dropped, a.NDropped = score, 1
		return
	}
	hi, lo := max(a.Dropped, score), min(a.Dropped, score)
	a.Dropped = hi + math.Log1p(math.Exp(lo-hi))
	a.NDropped++
}

// appendCand appends c to cs, growing by a quarter rather than doubling:
// the slices live as long as their anchor, and a doubled one is mostly
// empty room.
func appendCand(cs []cand, c cand) []cand {
	if len(cs) == cap(cs) {
		cs = slices.Grow(cs, 4+len(cs)/4)[:len(cs)]
	}
	return append(cs, c)
}

// Bits of a cluster's kind mask (see kinds) beyond event.Kinds().
const deviceBit = 1 << 63

// kinds returns a bit set of what the cluster of id holds: the
// exclusive kinds (bit i for event.Kinds()[i]), and deviceBit if it holds a
// device kind. Two clusters whose exclusive kinds intersect are never
// linked by co-occurrence.
func (l *Linker) kinds(id event.ID) uint64 {
	h := l.g.Handle(id)
	if h < 0 {
		return l.kindBit(id.Kind)
	}
	return l.aboutCluster(l.g.ClusterOf(h)).mask
}

// kindBit is the kinds mask of one identifier of kind k.
func (l *Linker) kindBit(k event.IDKind) uint64 {
	var m uint64
	if l.dev[k] {
		m |= deviceBit
	}
	// Bits 0 to 62 name kinds; a vocabulary larger than that (producers
	// declare kinds) leaves the later ones out of the mask: they are then
	// not kept apart by co-occurrence.
	if i := slices.Index(event.Kinds(), k); i >= 0 && i < 63 && l.excl[k] {
		m |= 1 << i
	}
	return m
}

// clusterInfo is what the linker caches of a cluster: its kinds mask and
// its device identifiers. A cache, not state: forgotten when the cluster
// changes (see changed), rebuilt from the graph.
type clusterInfo struct {
	mask uint64
	devs []event.ID
	devH []int32 // the devs' graph handles
}

// aboutCluster returns the clusterInfo of the cluster whose union-find
// handle is r.
func (l *Linker) aboutCluster(r int32) *clusterInfo {
	if c, ok := l.masks[r]; ok {
		return c
	}
	c := &clusterInfo{}
	l.g.EachMember(l.g.IDOf(r), func(id event.ID) bool {
		c.mask |= l.kindBit(id.Kind)
		if l.dev[id.Kind] {
			c.devs = append(c.devs, id)
			c.devH = append(c.devH, l.g.Handle(id))
		}
		return true
	})
	l.masks[r] = c
	return c
}

// changed forgets what the linker cached of the clusters of ids, about to
// change.
func (l *Linker) changed(ids ...event.ID) {
	for _, id := range ids {
		if h := l.g.Handle(id); h >= 0 {
			delete(l.masks, l.g.ClusterOf(h))
		}
	}
}

// verdict is the outcome of weighing an anchor's candidates.
type verdict struct {
	best        *cand
	second      float64 // the best rival's score (-Inf if none)
	odds        float64 // the best against every other phone
	mask        uint64  // the anchor's side's kinds
	rivals      bool    // past the cheap bounds: other candidates may be what holds it back
	reason      string  // why not linked, "" if it is
	candidates  int
	rivalPhone  event.ID
	bestPhone   event.ID
	observation int32
}

// weighAnchor groups an anchor's candidates by phone cluster (a phone's
// SIM and ad id are one candidate), and checks the best against the
// prior and its rivals.
func (l *Linker) weighAnchor(id event.ID, a *anchor) verdict {
	cfg := &l.cfg
	v := verdict{observation: a.Obs}
	// Cheap bounds first, before any cluster is looked up: the best score
	// (candidates are sorted) against the phones never near, and the most
	// encounters any candidate had.
	if len(a.Cands) == 0 {
		v.reason = "no candidate"
		return v
	}
	rest := float64(max(1, l.co.InView)) * math.Exp(a.Rest-a.Cands[0].Score)
	if a.NDropped > 0 {
		rest += math.Exp(a.Dropped - a.Cands[0].Score)
	}
	if rest*cfg.CooccurOdds > 1 {
		v.odds = 1 / rest
		v.reason = fmt.Sprintf("score: odds %.3g below %.3g", v.odds, cfg.CooccurOdds)
		return v
	}
	if !slices.ContainsFunc(a.Cands, func(c cand) bool { return int(c.Hits) >= cfg.CooccurMinCount }) {
		v.reason = "hits"
		return v
	}
	ka := l.kinds(id)
	if a.Linked != (event.ID{}) {
		ka = a.Mask // what the anchor's side held before its phone joined
	}
	v.mask = ka
	own := int32(-1)
	if h := l.g.Handle(id); h >= 0 {
		own = l.g.ClusterOf(h)
	}
	roots := l.held[:0]
	bestRoot := int32(-2)
	v.second = math.Inf(-1)
	for i := range a.Cands {
		c := &a.Cands[i]
		r := l.cluster(c)
		roots = append(roots, r)
		kr := l.aboutCluster(r).mask
		if r != own && kr&ka&^uint64(deviceBit) != 0 {
			roots[i] = -2 // two cards, two passes: two people
			continue
		}
		v.candidates++
		switch {
		case v.best == nil:
			v.best, bestRoot = c, r
		case r >= 0 && r == bestRoot:
			// The same phone under another identifier: not a rival.
		case c.Score > v.second:
			v.second, v.rivalPhone = c.Score, l.phoneOf(c)
		}
	}
	l.held = roots[:0]
	if v.best == nil {
		v.reason = "no candidate"
		return v
	}
	v.bestPhone = l.phoneOf(v.best)
	// The odds of the best against every other phone: the other
	// candidates, and the rest of the phones in view.
	others := 0.0
	for i := range a.Cands {
		if roots[i] != -2 && roots[i] != bestRoot {
			others += math.Exp(a.Cands[i].Score - v.best.Score)
		}
	}
	others += float64(max(1, l.co.InView)) * math.Exp(a.Rest-v.best.Score)
	if a.NDropped > 0 {
		others += math.Exp(a.Dropped - v.best.Score)
	}
	v.odds = 1 / others
	// Past the cheap bounds, a candidate could pass were others gone.
	v.rivals = true
	switch {
	case v.best.Score-v.second < math.Log(cfg.CooccurRatio):
		v.reason = "rival " + v.rivalPhone.Value
	case v.odds < cfg.CooccurOdds:
		v.reason = fmt.Sprintf("score: odds %.3g below %.3g", v.odds, cfg.CooccurOdds)
	case int(v.best.Hits) < cfg.CooccurMinCount:
		v.reason = "hits"
	}
	return v
}

// decide links the anchor id to its best candidate if the evidence is
// strong enough.
func (l *Linker) decide(id event.ID, a *anchor) {
	v := l.weighAnchor(id, a)
	// Only an anchor held back by other phones can gain by a review: one
	// short of evidence needs to be seen again.
	a.Blocked = v.rivals
	if v.reason != "" {
		return
	}
	c := v.best
	l.co.Links++
	odds := v.odds
	where := ""
	if c.Place != "" {
		where = ", last at " + c.Place
	}
	l.link(graph.Link{
		A: id, B: v.bestPhone, Kind: graph.Cooccurrence, Score: c.Score, Count: int(c.Hits),
		EventIDs:  []string{l.evText(c.EvA), l.evText(c.EvP)},
		FirstSeen: time.Unix(0, c.First).UTC(), LastSeen: time.Unix(0, c.Last).UTC(),
		Why: fmt.Sprintf("%s seen near %s %s of %d times, on %s%s (odds %s to 1 against every other phone)",
			id.Kind, v.bestPhone.Kind, plural(int(c.Hits), "time"), a.Obs, plural(int(c.Days), "day"), where, oddsText(odds)),
	})
	// The link is a hypothesis: the anchor stays watched, and evidence
	// that points to another phone later undoes it (see recheck).
	a.Linked, a.Mask, a.Blocked = v.bestPhone, v.mask, false
	// Only strong candidates could ever overturn the link: keep those.
	a.Cands = slices.Clip(a.Cands[:min(len(a.Cands), keptAfterLink)])
}

// keptAfterLink is how many candidates a linked anchor keeps watching.
const keptAfterLink = 8

// watched reports whether id is an anchor linked to its phone by
// co-occurrence and still with it: its observations keep testing the link.
func (l *Linker) watched(id event.ID) bool {
	a := l.co.Anchors[id]
	return a != nil && a.Linked != (event.ID{}) && l.g.Same(id, a.Linked)
}

// recheck tests a co-occurrence link against the evidence since: when
// another phone has become Config.CooccurOdds times likelier than every
// other, the linked one included, the link is undone and the anchor
// linked to the new one.
func (l *Linker) recheck(id event.ID, a *anchor) {
	v := l.weighAnchor(id, a)
	if v.reason != "" || l.g.Same(id, v.bestPhone) {
		return
	}
	old := a.Linked
	l.separate(Split{Time: time.Unix(0, v.best.Last).UTC(), A: id, B: old, EventA: l.evText(v.best.EvA), EventB: l.evText(v.best.EvP),
		Why: fmt.Sprintf("%s since seen near another %s, %s to 1 against every other phone, %s included: the evidence now points elsewhere",
			id.Kind, v.bestPhone.Kind, oddsText(v.odds), old.Kind)})
	if l.g.Same(id, old) {
		return // only facts join them
	}
	a.Linked, a.Mask = event.ID{}, 0
	l.decide(id, a)
}

// oddsText writes a large ratio readably: "40", "3,000", "more than a million".
func oddsText(x float64) string {
	switch {
	case x >= 1e6:
		return "more than a million"
	case x >= 1000:
		return fmt.Sprintf("%d,%03d", int(x)/1000, int(x)%1000)
	}
	return fmt.Sprintf("%.0f", x)
}

// plural formats a count of things: "1 day", "3 days".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// forget drops, every quarter of CooccurForget, the anchors not seen for
// CooccurForget: memory is bounded by the identifiers recently seen.
func (l *Linker) forget(b int64) {
	co := &l.co
	if b < co.NextForget {
		return
	}
	every := max(1, int64(l.cfg.CooccurForget)/l.bin()/4)
	co.NextForget = b + every
	horizon := b - int64(l.cfg.CooccurForget)/l.bin()
	for id, a := range co.Anchors {
		if a.LastBin < horizon {
			delete(co.Anchors, id)
		}
	}
	l.forgetFixes(b * l.bin())
	l.forgetHistory(b)
}

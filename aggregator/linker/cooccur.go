package linker

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/obs"
	"exhaust/event"
)

// Space-time co-occurrence.
//
// Every located record becomes a presence: its identifier was at a place
// during a stretch of time (a payment or a gate tap: a few minutes around
// it; a Wi-Fi session: its span; a phone: from one cell event to the next,
// at the position triangulated from its measurements). Presences go into
// blocks, (time bin, spatial cell), each into the 2×2 cells around it so
// that two presences less than a cell apart always share a block. When a
// bin closes, each block is read once: its identifiers map to their
// clusters, each pair of clusters gets a weight from how close they were
// and how many rivals stood as close (see weigh), and each pair keeps its
// best block of the bin. Blocks with more than CooccurMaxBlock clusters are
// skipped. Evidence is kept per pair of clusters, follows merges, is
// forgotten when not renewed, and two clusters are linked when it passes
// every threshold of Config and no rival comes close (see evaluate).

// cellKey is a spatial cell: the grid is offset by half a cell, so that the
// 2×2 cells around a point are (X, Y) … (X+1, Y+1).
type cellKey struct{ X, Y int32 }

// spot is one presence in a block: an identifier at a position, give or
// take an accuracy (local metres, see project).
type spot struct {
	ID    event.ID
	X, Y  float32
	Acc   float32
	Event string
}

// block is what one spatial cell saw during one time bin.
type block struct {
	Spots []spot // in arrival order; an identifier appears again only elsewhere
	Place string // the first place id seen, to explain a link
	Full  bool   // more presences than can be useful: crowded
}

// track is a phone's latest located cell event: the phone is taken to stay
// there until its next cell event, at most CooccurTrackHold.
type track struct {
	ID       event.ID
	Lat, Lon float64
	Acc      float64
	T        int64 // unix ns
	Covered  int64 // the last bin the track was put in
	Event    string
}

// pairKey names two clusters by their roots, A < B.
type pairKey struct{ A, B event.ID }

func keyOf(a, b event.ID) pairKey {
	if graph.CompareID(a, b) > 0 {
		a, b = b, a
	}
	return pairKey{a, b}
}

// pair is the co-occurrence evidence between two clusters.
type pair struct {
	Score       float64
	Bins        int32 // distinct time bins seen together
	Days        int32 // distinct days seen together
	LastDay     int64
	First, Last int64 // start of the first and last bins, unix ns
	// Episodes are the days and places they were seen together (places
	// at least CooccurPlaceM apart; at most maxEpisodes kept).
	Episodes []episode
	// The identifiers (one per cluster, A's then B's), events and place of
	// the last time they were seen together.
	RepA, RepB event.ID
	EvA, EvB   string
	Place      string
}

// cooccur is the co-occurrence state.
type cooccur struct {
	Tracks   []track
	trackIdx map[event.ID]int
	Bins     map[int64]map[cellKey]*block // open bins
	Closed   int64                        // bins up to this one are closed (noTime before any record)
	Pairs    map[pairKey]*pair
	Adj      map[event.ID][]event.ID // root → roots it has a pair with
	Seen     map[event.ID]int32      // root → bins it was seen in (uncrowded blocks)
	// NextForget is the bin at which weak evidence is next pruned.
	NextForget int64
	// Counters, for Stats.
	Late, Crowded, Links int64
}

func newCooccur() cooccur {
	return cooccur{
		trackIdx: map[event.ID]int{},
		Bins:     map[int64]map[cellKey]*block{},
		Closed:   noTime,
		Pairs:    map[pairKey]*pair{},
		Adj:      map[event.ID][]event.ID{},
		Seen:     map[event.ID]int32{},
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
	if r.Type == "phone.cell" || len(r.Measurements) > 0 {
		lat, lon, acc, ok := l.locate(r)
		if !ok && r.Where != nil {
			lat, lon, acc, ok = r.Where.Lat, r.Where.Lon, r.Where.AccuracyM, true
		}
		ok = ok && acc <= l.cfg.CooccurMaxAccuracyM
		l.moveTrack(id, lat, lon, acc, t, r.ID, ok, r.Event == "detach")
		return
	}
	w := r.Where
	if w == nil || strings.HasPrefix(w.Place, towerPlace) || w.AccuracyM > l.cfg.CooccurMaxAccuracyM {
		// No position, or only the serving tower's: too coarse.
		return
	}
	from, to := t-int64(l.cfg.CooccurPointWindow), t+int64(l.cfg.CooccurPointWindow)
	if !r.Start.IsZero() && r.End.After(r.Start) {
		from, to = r.Start.UnixNano(), r.End.UnixNano()
	}
	l.put(id, w.Lat, w.Lon, w.AccuracyM, from, to, r.ID, w.Place)
}

// maxSpanBins bounds the bins one presence can fill: a record claiming a
// week-long Wi-Fi session must not cost a week of blocks.
const maxSpanBins = 48

// put records that id was at (lat, lon) from from to to (unix ns), in
// every open bin of that span.
func (l *Linker) put(id event.ID, lat, lon, acc float64, from, to int64, ev, place string) {
	co := &l.co
	b0, b1 := floorDiv(from, l.bin()), floorDiv(to, l.bin())
	if b0 <= co.Closed {
		b0 = co.Closed + 1
	}
	if b1 < b0 {
		co.Late++
		return
	}
	b1 = min(b1, b0+maxSpanBins-1)
	p := project(lat, lon)
	c := l.cfg.CooccurCellM
	ix, iy := int32(math.Floor(p.x/c-0.5)), int32(math.Floor(p.y/c-0.5))
	limit := 4 * l.cfg.CooccurMaxBlock
	sp := spot{ID: id, X: float32(p.x), Y: float32(p.y), Acc: float32(max(acc, minAccM)), Event: ev}
	for b := b0; b <= b1; b++ {
		blocks := co.Bins[b]
		if blocks == nil {
			blocks = map[cellKey]*block{}
			co.Bins[b] = blocks
		}
		for dx := range int32(2) {
			for dy := range int32(2) {
				k := cellKey{ix + dx, iy + dy}
				blk := blocks[k]
				if blk == nil {
					blk = &block{}
					blocks[k] = blk
				}
				blk.add(sp, place, limit)
			}
		}
	}
}

// minAccM is the best accuracy a position is credited with.
const minAccM = 10

// sameSpotM is how close two presences of one identifier in a block must
// be to count as one.
const sameSpotM = 50

func (b *block) add(sp spot, place string, limit int) {
	if b.Full {
		return
	}
	if b.Place == "" {
		b.Place = place
	}
	for _, o := range b.Spots {
		if o.ID == sp.ID && math.Hypot(float64(o.X-sp.X), float64(o.Y-sp.Y)) < sameSpotM {
			return
		}
	}
	if len(b.Spots) >= limit {
		b.Full, b.Spots = true, nil
		return
	}
	b.Spots = append(b.Spots, sp)
}

// moveTrack closes the phone's previous track at t and, if the new event
// located it (ok) and did not switch it off (detach), starts a new one.
func (l *Linker) moveTrack(id event.ID, lat, lon, acc float64, t int64, ev string, ok, detach bool) {
	co := &l.co
	hold := int64(l.cfg.CooccurTrackHold)
	if i, found := co.trackIdx[id]; found {
		tr := co.Tracks[i]
		end := min(t, tr.T+hold)
		from := max(tr.T, (tr.Covered+1)*l.bin())
		if end >= from {
			l.put(tr.ID, tr.Lat, tr.Lon, tr.Acc, from, end, tr.Event, "")
		}
		co.dropTrack(i)
	}
	if !ok {
		return
	}
	l.put(id, lat, lon, acc, t, t, ev, "")
	if detach {
		return
	}
	co.trackIdx[id] = len(co.Tracks)
	co.Tracks = append(co.Tracks, track{ID: id, Lat: lat, Lon: lon, Acc: acc, T: t, Covered: max(floorDiv(t, l.bin()), co.Closed), Event: ev})
}

// dropTrack removes track i (the last one takes its place).
func (co *cooccur) dropTrack(i int) {
	last := len(co.Tracks) - 1
	delete(co.trackIdx, co.Tracks[i].ID)
	if i != last {
		co.Tracks[i] = co.Tracks[last]
		co.trackIdx[co.Tracks[i].ID] = i
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
	}
}

// member is a cluster present in a block, with its spots there.
type member struct {
	root  event.ID
	kinds uint64 // see kinds
	spots []spot
}

// near is how close two clusters of a block were: the weight g of their
// closest spots.
type near struct {
	g      float64
	sa, sb spot
}

// contribution is a pair's best block in the bin being closed.
type contribution struct {
	w          float64
	x, y       float32 // where
	repA, repB event.ID
	evA, evB   string
	place      string
}

// minWeight is the least evidence a block gives a pair: below it, the two
// were too far apart to count as together.
const minWeight = 0.05

// closeBin reads the blocks of bin b and updates the evidence of the
// clusters they hold.
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
			l.put(tr.ID, tr.Lat, tr.Lon, tr.Acc, start, start, tr.Event, "")
			tr.Covered = b
		}
		i++
	}
	blocks := co.Bins[b]
	delete(co.Bins, b)
	if len(blocks) == 0 {
		l.forget(b)
		return
	}
	keys := make([]cellKey, 0, len(blocks))
	for k := range blocks {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareCells)
	contrib := map[pairKey]*contribution{}
	seen := map[event.ID]bool{}
	var ms []member
	for _, k := range keys {
		blk := blocks[k]
		if blk.Full {
			co.Crowded++
			continue
		}
		ms = ms[:0]
		for _, sp := range blk.Spots {
			root, ok := l.g.Root(sp.ID)
			if !ok {
				root = sp.ID
			}
			i := slices.IndexFunc(ms, func(m member) bool { return m.root == root })
			if i < 0 {
				ms = append(ms, member{root: root, kinds: l.kinds(root)})
				i = len(ms) - 1
			}
			ms[i].spots = append(ms[i].spots, sp)
		}
		if len(ms) > l.cfg.CooccurMaxBlock {
			co.Crowded++
			continue
		}
		for _, m := range ms {
			seen[m.root] = true
		}
		if len(ms) < 2 {
			continue
		}
		l.weigh(ms, blk.Place, contrib)
	}
	for root := range seen {
		co.Seen[root]++
	}
	updated := make([]pairKey, 0, len(contrib))
	for pk := range contrib {
		updated = append(updated, pk)
	}
	slices.SortFunc(updated, comparePairKeys)
	day := floorDiv(start, int64(24*time.Hour))
	for _, pk := range updated {
		c := contrib[pk]
		p := co.Pairs[pk]
		if p == nil {
			p = &pair{First: start, LastDay: math.MinInt64}
			co.Pairs[pk] = p
			co.Adj[pk.A] = append(co.Adj[pk.A], pk.B)
			co.Adj[pk.B] = append(co.Adj[pk.B], pk.A)
		}
		p.Score += c.w
		p.Bins++
		if day != p.LastDay {
			p.Days++
			p.LastDay = day
		}
		p.Last = start
		p.addEpisode(episode{int32(day), c.x, c.y}, float32(l.cfg.CooccurPlaceM))
		p.RepA, p.RepB, p.EvA, p.EvB = c.repA, c.repB, c.evA, c.evB
		if c.place != "" {
			p.Place = c.place
		}
	}
	for _, pk := range updated {
		l.decide(pk)
	}
	l.forget(b)
}

// weigh adds the evidence of one block to contrib. Two clusters close
// together get g = exp(−d²/2(σ₁²+σ₂²)), d the distance between their
// closest spots and σ their accuracies: how likely one person is to be
// seen that far from themself. Rivals share it: the weight of A with B is
// g(A,B) / (g(A,B) + Σ g(A,C) + Σ g(B,D)), where C are the clusters near A
// that could be A's instead of B (they conflict with B, not with A) and D
// those near B that could be B's instead of A. A card next to one phone
// says much; next to four phones, a quarter as much.
func (l *Linker) weigh(ms []member, place string, contrib map[pairKey]*contribution) {
	n := len(ms)
	// A precise position (GPS, a shop's till) overrides a rough one (cell
	// triangulation) of the same cluster in the same block: the phone was
	// here, not anywhere within 200 m of there.
	for i := range ms {
		best := ms[i].spots[0].Acc
		for _, sp := range ms[i].spots[1:] {
			best = min(best, sp.Acc)
		}
		ms[i].spots = slices.DeleteFunc(ms[i].spots, func(sp spot) bool { return sp.Acc > 2*best })
	}
	if cap(l.near) < n*n {
		l.near = make([]near, n*n)
	}
	gs := l.near[:n*n]
	clear(gs)
	for i := range n {
		for j := i + 1; j < n; j++ {
			var best near
			for _, sx := range ms[i].spots {
				for _, sy := range ms[j].spots {
					dx, dy := float64(sx.X-sy.X), float64(sx.Y-sy.Y)
					s2 := float64(sx.Acc)*float64(sx.Acc) + float64(sy.Acc)*float64(sy.Acc)
					if g := math.Exp(-(dx*dx + dy*dy) / (2 * s2)); g > best.g {
						best = near{g, sx, sy}
					}
				}
			}
			gs[i*n+j] = best
			gs[j*n+i] = near{best.g, best.sb, best.sa}
		}
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			x, y := &ms[i], &ms[j]
			g := gs[i*n+j].g
			if g < minWeight || x.kinds&y.kinds != 0 || (x.kinds^y.kinds)&deviceBit == 0 {
				continue // never to be linked: see evaluate
			}
			den := g
			for c := range n {
				if c == i || c == j {
					continue
				}
				kc := ms[c].kinds
				if kc&y.kinds != 0 && kc&x.kinds == 0 {
					den += gs[i*n+c].g
				}
				if kc&x.kinds != 0 && kc&y.kinds == 0 {
					den += gs[j*n+c].g
				}
			}
			w := g * g / den
			if w < minWeight {
				continue
			}
			a, b := gs[i*n+j].sa, gs[i*n+j].sb
			pk := pairKey{x.root, y.root}
			if graph.CompareID(x.root, y.root) > 0 {
				pk = pairKey{y.root, x.root}
				a, b = b, a
			}
			if c := contrib[pk]; c == nil || w > c.w {
				// The more precise spot says where they were.
				at := a
				if b.Acc < a.Acc {
					at = b
				}
				contrib[pk] = &contribution{w: w, x: at.X, y: at.Y, repA: a.ID, repB: b.ID, evA: a.Event, evB: b.Event, place: place}
			}
		}
	}
}

// episode is a day (since the Unix epoch, UTC) and a place.
type episode struct {
	Day  int32
	X, Y float32
}

// maxEpisodes bounds the episodes a pair remembers: past a few, more make
// no difference to a threshold.
const maxEpisodes = 8

// addEpisode remembers e unless the pair already has an episode the same
// day within d of it.
func (p *pair) addEpisode(e episode, d float32) {
	if len(p.Episodes) >= maxEpisodes {
		return
	}
	for _, q := range p.Episodes {
		dx, dy := q.X-e.X, q.Y-e.Y
		if q.Day == e.Day && dx*dx+dy*dy < d*d {
			return
		}
	}
	p.Episodes = append(p.Episodes, e)
}

func comparePairKeys(x, y pairKey) int {
	if c := graph.CompareID(x.A, y.A); c != 0 {
		return c
	}
	return graph.CompareID(x.B, y.B)
}

// Bits of a cluster's kind mask (see kinds) beyond event.Kinds.
const deviceBit = 1 << 63

// kinds returns a bit set of what the cluster of root holds: the
// exclusive kinds (bit i for event.Kinds[i]), and deviceBit if it holds a
// device kind. Two clusters whose masks intersect are never linked by
// co-occurrence.
// emailBit is the e-mail kind's bit in a cluster's kinds mask.
var emailBit = uint64(1) << slices.Index(event.Kinds, event.Email)

func (l *Linker) kinds(root event.ID) uint64 {
	if m, ok := l.masks[root]; ok {
		return m
	}
	var m uint64
	members := l.g.Members(root)
	if members == nil {
		members = []event.ID{root}
	}
	for _, id := range members {
		if l.dev[id.Kind] {
			m |= deviceBit
		}
		if !l.excl[id.Kind] {
			continue
		}
		if i := slices.Index(event.Kinds, id.Kind); i >= 0 {
			m |= 1 << i
		}
	}
	l.masks[root] = m
	return m
}

// decide links the two clusters of pk if their evidence passes every
// threshold and no rival comes close.
func (l *Linker) decide(pk pairKey) {
	p, a, b, reason := l.evaluate(pk)
	if reason != "" {
		return
	}
	co := &l.co
	where := ""
	if p.Place != "" {
		where = ", last near " + p.Place
	}
	co.Links++
	share := float64(p.Bins) / float64(max(1, min(co.Seen[pk.A], co.Seen[pk.B])))
	l.link(graph.Link{
		A: a, B: b, Kind: graph.Cooccurrence, Score: p.Score, Count: int(p.Bins),
		EventIDs:  []string{p.EvA, p.EvB},
		FirstSeen: time.Unix(0, p.First).UTC(), LastSeen: time.Unix(0, p.Last).UTC(),
		Why: fmt.Sprintf("%s and %s seen at the same place and time in %s of %v, on %s (%.0f%% of the times the rarer was seen, weight %.1f)%s",
			a.Kind, b.Kind, plural(int(p.Bins), "time bin"), l.cfg.CooccurBin, plural(int(p.Days), "day"), 100*share, p.Score, where),
	})
}

// plural formats a count of things: "1 day", "3 days".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// shared reports whether the clusters a and b of pair p were together in
// at least CooccurMinShare of the bins the rarer one was seen in.
func (l *Linker) shared(p *pair, a, b event.ID) bool {
	rarer := min(l.co.Seen[a], l.co.Seen[b])
	return float64(p.Bins) >= l.cfg.CooccurMinShare*float64(rarer)
}

// evaluate checks the evidence of pk against the thresholds and the rules
// of co-occurrence: exactly one of the two clusters holds a phone (it is
// seen everywhere its owner goes, so that being apart means something),
// they hold no two identifiers of an exclusive kind, and no rival comes
// within CooccurRatio. It returns the identifiers to link, or why not.
func (l *Linker) evaluate(pk pairKey) (p *pair, a, b event.ID, reason string) {
	co := &l.co
	p = co.Pairs[pk]
	cfg := &l.cfg
	switch {
	case p == nil:
		return nil, a, b, "no evidence"
	case p.Score < cfg.CooccurMinScore:
		return p, a, b, "score"
	case int(p.Bins) < cfg.CooccurMinCount:
		return p, a, b, "bins"
	case int(p.Days) < cfg.CooccurMinDays:
		return p, a, b, "days"
	case len(p.Episodes) < cfg.CooccurMinEpisodes:
		return p, a, b, "episodes"
	}
	if !l.shared(p, pk.A, pk.B) {
		return p, a, b, "share"
	}
	ka, kb := l.kinds(pk.A), l.kinds(pk.B)
	if ka&kb != 0 {
		return p, a, b, "exclusive kinds" // two SIMs, two cards, two phones: two people
	}
	if (ka^kb)&deviceBit == 0 {
		// Only a phone is seen everywhere its owner goes, so that being
		// apart means something: two things seen only at the mall, side
		// by side one afternoon, are two shoppers.
		return p, a, b, "no phone"
	}
	if ka&deviceBit == 0 && ka&emailBit != 0 || kb&deviceBit == 0 && kb&emailBit != 0 {
		// The phone-less side holds an e-mail account: apps signed in
		// with it will name its phone for certain sooner or later, while
		// a co-occurrence made first (a friend's phone next to it at the
		// mall) could never be undone once they do.
		return p, a, b, "account"
	}
	// A rival is another partner that could join this side but not
	// together with the candidate: only one of them can be the right one.
	for _, side := range []struct {
		self, other           event.ID
		selfKinds, otherKinds uint64
	}{{pk.A, pk.B, ka, kb}, {pk.B, pk.A, kb, ka}} {
		for _, c := range co.Adj[side.self] {
			if c == side.other {
				continue
			}
			q := co.Pairs[keyOf(side.self, c)]
			if q.Score*cfg.CooccurRatio <= p.Score || !l.shared(q, side.self, c) {
				continue // too weak, or too often seen apart to be the one
			}
			if kc := l.kinds(c); kc&side.selfKinds == 0 && kc&side.otherKinds != 0 {
				return p, a, b, "rival " + c.Value
			}
		}
	}
	a, b = p.RepA, p.RepB
	if a.Kind == b.Kind {
		a, b = pk.A, pk.B
		if a.Kind == b.Kind {
			return p, a, b, "same kind" // two MACs, two ad ids: never by co-occurrence
		}
	}
	return p, a, b, ""
}

// rekey moves the evidence of the cluster old, just merged into the
// cluster nw, to nw.
func (co *cooccur) rekey(old, nw event.ID, placeM float32) {
	if s, ok := co.Seen[old]; ok {
		co.Seen[nw] += s
		delete(co.Seen, old)
	}
	partners := co.Adj[old]
	delete(co.Adj, old)
	for _, c := range partners {
		k := keyOf(old, c)
		p := co.Pairs[k]
		delete(co.Pairs, k)
		co.unlinkAdj(c, old)
		if c == nw {
			continue
		}
		if k.A != old { // make A old's side
			p.RepA, p.RepB, p.EvA, p.EvB = p.RepB, p.RepA, p.EvB, p.EvA
		}
		nk := keyOf(nw, c)
		if nk.A != nw {
			p.RepA, p.RepB, p.EvA, p.EvB = p.RepB, p.RepA, p.EvB, p.EvA
		}
		q := co.Pairs[nk]
		if q == nil {
			co.Pairs[nk] = p
			co.Adj[nw] = append(co.Adj[nw], c)
			co.Adj[c] = append(co.Adj[c], nw)
			continue
		}
		// Both halves had evidence with c: add it up. Bins seen by both
		// halves count twice, a small overestimate.
		q.Score += p.Score
		q.Bins += p.Bins
		q.Days = max(q.Days, p.Days)
		q.First = min(q.First, p.First)
		for _, e := range p.Episodes {
			q.addEpisode(e, placeM)
		}
		if p.Last > q.Last {
			q.Last, q.LastDay = p.Last, p.LastDay
			q.RepA, q.RepB, q.EvA, q.EvB = p.RepA, p.RepB, p.EvA, p.EvB
			if p.Place != "" {
				q.Place = p.Place
			}
		}
	}
}

func (co *cooccur) unlinkAdj(c, x event.ID) {
	a := slices.DeleteFunc(co.Adj[c], func(v event.ID) bool { return v == x })
	if len(a) == 0 {
		delete(co.Adj, c)
	} else {
		co.Adj[c] = a
	}
}

// forget drops, every quarter of CooccurForget, the evidence not
// reinforced for CooccurForget: it keeps memory bounded by recent
// company, not by everyone ever met.
func (l *Linker) forget(b int64) {
	co := &l.co
	if b < co.NextForget {
		return
	}
	every := max(1, int64(l.cfg.CooccurForget)/l.bin()/4)
	co.NextForget = b + every
	horizon := b*l.bin() - int64(l.cfg.CooccurForget)
	for k, p := range co.Pairs {
		if p.Last < horizon {
			delete(co.Pairs, k)
			co.unlinkAdj(k.A, k.B)
			co.unlinkAdj(k.B, k.A)
		}
	}
}

package linker

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// What a place sees in a closed bin.
//
// Every observation of an anchor asks the same two questions of the
// phones of its bin: which are near it (g ≥ gHit), nearest first, and how
// many are not far (g ≥ gMiss), the rarity of the meeting. Answered phone
// by phone, that costs the density of the city around the place, for
// every payment, gate tap and Wi-Fi probe: a city ten times as dense pays
// ten times as much per event. But observations come from places (a
// shop's till, a station's gates, an access point), and a busy place is
// observed many times in one bin. So the grid is searched once per place
// and bin, whatever the time in the bin, and each observation then reads
// the answer for its own time span: a count in a few binary searches, and
// the near phones in order, only as far as it reads them.

// viewKey is a place as observations see it: a position and an accuracy.
type viewKey struct{ X, Y, Acc float32 }

// view is what one place sees of a closed bin: every phone with a spot
// within reach of a g of gMiss (in the cells the grid search visits), at
// any time in the bin.
type view struct {
	phones []viewPhone
	spots  []viewSpot // the phones' spots within reach, phone by phone
	// For counting, a phone's spots within reach are merged into spans:
	// it is not far from an observation unless the observation's span
	// falls before its first span, after its last, or in a gap between
	// two (exactly one of these, or none).
	firsts []int64   // each counted phone's first From, sorted
	lasts  []int64   // each counted phone's last To, sorted
	gaps   []viewGap // the gaps between spans, longest first
	odd    []int32   // phones (in phones) with a spot ending before it starts: checked one by one
	hits   []viewHit // phones with a spot near (q ≤ qHit), best first
}

type viewPhone struct {
	e      int32 // index in the bin's list
	lo, hi int32 // its spots in view.spots
}

// viewSpot is a spot within reach: its q (see closeness) and its index in
// the phone's spots.
type viewSpot struct {
	q float64
	j int32
}

// viewGap is a time between two spans of one phone's spots, open at both
// ends.
type viewGap struct{ lo, hi int64 }

// viewHit is a phone with a spot near, by its best g: it can only be as
// near as that in a shorter span.
type viewHit struct {
	g float64
	h int32 // graph handle, the order of equals
	p int32 // index in view.phones
}

// inView returns the phones of bn near o (g ≥ gHit) as a cursor, nearest
// first, and counts those not far (g ≥ gMiss), each phone once. Cells
// beyond reach of a g of gMiss (the corners of the square searched) are
// skipped.
func (l *Linker) inView(o spot, bn *bin) (viewCursor, int) {
	k := viewKey{o.X, o.Y, o.Acc}
	v, again := bn.views[k]
	if !again {
		// A view costs about two searches for one observation: a place
		// seen once in the bin (most, in a small city) is searched for
		// that observation alone.
		if bn.views == nil {
			bn.views = map[viewKey]*view{}
		}
		bn.views[k] = nil
		near, notFar := l.search(o, bn)
		return viewCursor{list: near}, notFar
	}
	if v == nil {
		v = l.look(o, bn)
		bn.views[k] = v
	}
	return viewCursor{v: v, bn: bn, o: o}, v.notFar(o, bn)
}

// search lists the phones of bn near o, nearest first, and counts those
// not far, phone by phone: what a view answers, for one observation.
func (l *Linker) search(o spot, bn *bin) ([]nearness, int) {
	out := l.near[:0]
	notFar := 0
	for _, ix := range l.inReach(o, bn) {
		for _, i := range ix {
			e := &bn.list[i]
			if e.stamp == bn.stamp {
				continue
			}
			e.stamp = bn.stamp
			best, at := math.Inf(1), spot{}
			for _, s := range e.spots {
				if !overlaps(o, s) {
					continue
				}
				if v := q(o, s); v < best {
					best, at = v, s
				}
			}
			if best <= qMiss {
				notFar++
			}
			if best <= qHit {
				out = append(out, nearness{e.h, math.Exp(-best), at})
			}
		}
	}
	slices.SortFunc(out, func(a, b nearness) int {
		if c := cmp.Compare(b.g, a.g); c != 0 {
			return c
		}
		return cmp.Compare(a.h, b.h)
	})
	l.near = out
	return out, notFar
}

// q is d²/2(σ₁²+σ₂²) of a spot s seen from o: g = e^−q.
func q(o, s spot) float64 {
	dx, dy := float64(o.X-s.X), float64(o.Y-s.Y)
	oa, sa := float64(o.Acc), float64(s.Acc)
	return (dx*dx + dy*dy) / (2 * (oa*oa + sa*sa))
}

// overlaps reports whether s overlaps o's span.
func overlaps(o, s spot) bool { return !(s.To < o.From || s.From > o.To) }

// inReach returns the phones filed in bn's cells within reach of a g of
// gMiss from o's place (the corners of the square searched beyond it are
// skipped), a list a cell, and stamps bn for a new search. The result is
// l.cells, reused by the next call.
func (l *Linker) inReach(o spot, bn *bin) [][]int32 {
	c := l.cellOf(o.X, o.Y)
	oa := float64(o.Acc)
	side := l.cfg.CooccurCellM
	rMiss := math.Sqrt(2 * qMiss * (oa*oa + cellAccMax*cellAccMax))
	reach := int32(math.Ceil(rMiss / side))
	bn.stamp++
	cells := l.cells[:0]
	for dx := -reach; dx <= reach; dx++ {
		for dy := -reach; dy <= reach; dy++ {
			k := cellKey{c.X + dx, c.Y + dy}
			ix := bn.grid[k]
			if len(ix) == 0 {
				continue
			}
			// The cell's nearest point to o.
			x0, y0 := float64(k.X)*side, float64(k.Y)*side
			nx := max(x0, min(float64(o.X), x0+side)) - float64(o.X)
			ny := max(y0, min(float64(o.Y), y0+side)) - float64(o.Y)
			if math.Hypot(nx, ny) > rMiss {
				continue
			}
			cells = append(cells, ix)
		}
	}
	l.cells = cells
	return cells
}

// look searches the grid of bn around o's place, whatever the time.
func (l *Linker) look(o spot, bn *bin) *view {
	v := &view{}
	// The cells in reach first, so that the lists are made once, to the
	// size of what the cells hold (appending to them grew each several
	// times).
	cells := l.inReach(o, bn)
	total := 0
	for _, ix := range cells {
		total += len(ix)
	}
	v.phones = make([]viewPhone, 0, total)
	v.spots = make([]viewSpot, 0, total)
	v.firsts, v.lasts = make([]int64, 0, total), make([]int64, 0, total)
	var spans []viewGap // scratch: one phone's spans
	for _, ix := range cells {
		for _, i := range ix {
			e := &bn.list[i]
			if e.stamp == bn.stamp {
				continue
			}
			e.stamp = bn.stamp
			lo := int32(len(v.spots))
			best, odd := math.Inf(1), false
			spans = spans[:0]
			for j, s := range e.spots {
				sq := q(o, s)
				if !(sq <= qMiss) {
					continue // NaN included, as in closeness
				}
				v.spots = append(v.spots, viewSpot{sq, int32(j)})
				best = min(best, sq)
				odd = odd || s.From > s.To
				spans = append(spans, viewGap{s.From, s.To})
			}
			hi := int32(len(v.spots))
			if lo == hi {
				continue
			}
			p := int32(len(v.phones))
			v.phones = append(v.phones, viewPhone{e: i, lo: lo, hi: hi})
			if best <= qHit {
				v.hits = append(v.hits, viewHit{g: math.Exp(-best), h: e.h, p: p})
			}
			if odd {
				v.odd = append(v.odd, p)
				continue
			}
			v.addSpans(spans)
		}
	}
	slices.Sort(v.firsts)
	slices.Sort(v.lasts)
	slices.SortFunc(v.gaps, func(a, b viewGap) int { return cmp.Compare(length(b), length(a)) })
	slices.SortFunc(v.hits, func(a, b viewHit) int {
		if c := cmp.Compare(b.g, a.g); c != 0 {
			return c
		}
		return cmp.Compare(a.h, b.h)
	})
	return v
}

// addSpans files one phone's spans (From ≤ To) for counting: its first
// From, its last To and the gaps of their union.
func (v *view) addSpans(spans []viewGap) {
	if len(spans) == 1 {
		v.firsts, v.lasts = append(v.firsts, spans[0].lo), append(v.lasts, spans[0].hi)
		return
	}
	slices.SortFunc(spans, func(a, b viewGap) int { return cmp.Compare(a.lo, b.lo) })
	first, end := spans[0].lo, spans[0].hi
	for _, s := range spans[1:] {
		if s.lo > end {
			v.gaps = append(v.gaps, viewGap{end, s.lo})
		}
		end = max(end, s.hi)
	}
	v.firsts = append(v.firsts, first)
	v.lasts = append(v.lasts, end)
}

// length is a gap's length, exact for any two times (hi > lo).
func length(g viewGap) uint64 { return uint64(g.hi) - uint64(g.lo) }

// notFar counts the phones with a spot within reach overlapping o's span.
func (v *view) notFar(o spot, bn *bin) int {
	if o.From > o.To {
		// A span that ends before it starts: no shortcut holds.
		n := 0
		for p := range v.phones {
			if v.seen(int32(p), o, bn) {
				n++
			}
		}
		return n
	}
	// A phone is missed by o's span when it lies before the phone's first
	// spot, after its last one, or in a gap: never two of these at once.
	counted := len(v.firsts)
	missed := len(v.firsts) - sort.Search(len(v.firsts), func(i int) bool { return v.firsts[i] > o.To })
	missed += sort.Search(len(v.lasts), func(i int) bool { return v.lasts[i] >= o.From })
	span := uint64(o.To) - uint64(o.From)
	for _, g := range v.gaps {
		if length(g) <= span {
			break // too short to hold the span, as are all after it
		}
		if g.lo < o.From && g.hi > o.To {
			missed++
		}
	}
	n := counted - missed
	for _, p := range v.odd {
		if v.seen(p, o, bn) {
			n++
		}
	}
	return n
}

// seen reports whether phone p of the view has a spot within reach
// overlapping o's span.
func (v *view) seen(p int32, o spot, bn *bin) bool {
	ph := v.phones[p]
	ss := bn.list[ph.e].spots
	for _, s := range v.spots[ph.lo:ph.hi] {
		if overlaps(o, ss[s.j]) {
			return true
		}
	}
	return false
}

// viewCursor reads the phones near one observation from a view, nearest
// first (then by graph handle), computing no more than is read.
type viewCursor struct {
	list []nearness // the answer of a search, if not from a view
	v    *view
	bn   *bin
	o    spot
	i    int // next in v.hits
	// pending are phones read from v.hits whose spot nearest o's place
	// lies outside o's span: they are as near as their next best spot in
	// it, so they wait for their turn, in reverse order (next last).
	pending []nearness
}

// before reports whether a comes before b: nearer, then by handle.
func before(a, b nearness) bool { return a.g > b.g || a.g == b.g && a.h < b.h }

// next returns the next phone near the observation, if any.
func (c *viewCursor) next() (nearness, bool) {
	if c.v == nil {
		if c.i == len(c.list) {
			return nearness{}, false
		}
		c.i++
		return c.list[c.i-1], true
	}
	for c.i < len(c.v.hits) {
		hit := c.v.hits[c.i]
		bound := nearness{h: hit.h, g: hit.g}
		if n := len(c.pending); n > 0 && before(c.pending[n-1], bound) {
			break
		}
		c.i++
		near, ok := c.nearest(hit)
		if !ok {
			continue
		}
		if near.g == hit.g {
			return near, true // as near as it can be: nothing left can come first
		}
		i, _ := slices.BinarySearchFunc(c.pending, near, func(x, t nearness) int {
			if before(x, t) {
				return 1
			}
			return -1
		})
		c.pending = slices.Insert(c.pending, i, near)
	}
	if n := len(c.pending); n > 0 {
		near := c.pending[n-1]
		c.pending = c.pending[:n-1]
		return near, true
	}
	return nearness{}, false
}

// nearest returns the hit's phone at its nearest spot within o's span, if
// one is near: the first of the nearest, as closeness picks.
func (c *viewCursor) nearest(hit viewHit) (nearness, bool) {
	ph := c.v.phones[hit.p]
	e := &c.bn.list[ph.e]
	best, at, found := math.Inf(1), spot{}, false
	for _, s := range c.v.spots[ph.lo:ph.hi] {
		sp := e.spots[s.j]
		if s.q < best && overlaps(c.o, sp) {
			best, at, found = s.q, sp, true
		}
	}
	if !found || best > qHit {
		return nearness{}, false
	}
	return nearness{e.h, math.Exp(-best), at}, true
}

package linker

import (
	"cmp"
	"math"
	"slices"

	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// Verdict returns why the anchor a is not linked by co-occurrence ("" if
// its best candidate passes, "no evidence" if it has none).
func (l *Linker) Verdict(a event.ID) string {
	an := l.co.Anchors[a]
	if an == nil {
		return "no evidence"
	}
	return l.weighAnchor(a, an).reason
}

// Locate learns the serving tower of r and triangulates r.
func (l *Linker) Locate(r *obs.Record) (lat, lon, acc float64, ok bool) {
	l.learnTower(r)
	m, _ := meaning.Find[meaning.Radio](r.Means)
	return l.locate(r, m)
}

// CheckViews makes every observation's view (inView) checked against a
// search of the grid phone by phone, for the observation's own span and a
// few shorter ones inside and around it, until the returned function is
// called; it returns the views checked so far. Not safe with parallel
// tests.
func CheckViews(fail func(format string, args ...any)) (stop func() int) {
	checked := 0
	testObserve = func(l *Linker, o spot, bn *bin) {
		mid := o.From + (o.To-o.From)/2
		for _, span := range [][2]int64{{o.From, o.To}, {o.From, o.From}, {o.To, o.To}, {mid, mid + 60e9}, {mid - 30e9, mid}, {o.To, o.From}, {o.From - 600e9, o.From - 1}} {
			p := o
			p.From, p.To = span[0], span[1]
			cur, notFar := l.inView(p, bn)
			var got []nearness
			for n, ok := cur.next(); ok; n, ok = cur.next() {
				got = append(got, n)
			}
			want, wantNotFar := scanView(l, p, bn)
			checked++
			if notFar != wantNotFar || !slices.Equal(got, want) {
				fail("observation at (%v, %v) ±%v m, %d to %d: view %d not far, %d near %v; the grid %d not far, %d near %v",
					p.X, p.Y, p.Acc, p.From, p.To, notFar, len(got), got, wantNotFar, len(want), want)
			}
		}
	}
	return func() int {
		testObserve = nil
		return checked
	}
}

// scanView is what inView answered before views: the grid searched phone
// by phone, for one observation.
func scanView(l *Linker, o spot, bn *bin) ([]nearness, int) {
	var out []nearness
	notFar := 0
	c := l.cellOf(o.X, o.Y)
	oa := float64(o.Acc)
	side := l.cfg.CooccurCellM
	s2 := oa*oa + cellAccMax*cellAccMax
	rMiss := math.Sqrt(2 * qMiss * s2)
	reach := int32(math.Ceil(rMiss / side))
	seen := map[int32]bool{}
	for dx := -reach; dx <= reach; dx++ {
		for dy := -reach; dy <= reach; dy++ {
			k := cellKey{c.X + dx, c.Y + dy}
			ix := bn.grid[k]
			x0, y0 := float64(k.X)*side, float64(k.Y)*side
			nx := max(x0, min(float64(o.X), x0+side)) - float64(o.X)
			ny := max(y0, min(float64(o.Y), y0+side)) - float64(o.Y)
			if len(ix) == 0 || math.Hypot(nx, ny) > rMiss {
				continue
			}
			for _, i := range ix {
				e := &bn.list[i]
				if seen[i] {
					continue
				}
				seen[i] = true
				q, at := math.Inf(1), spot{}
				for _, s := range e.spots {
					if s.To < o.From || s.From > o.To {
						continue
					}
					ddx, ddy := float64(o.X-s.X), float64(o.Y-s.Y)
					sa := float64(s.Acc)
					if v := (ddx*ddx + ddy*ddy) / (2 * (oa*oa + sa*sa)); v < q {
						q, at = v, s
					}
				}
				if q <= qMiss {
					notFar++
				}
				if q <= qHit {
					out = append(out, nearness{e.h, math.Exp(-q), at})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b nearness) int {
		if c := cmp.Compare(b.g, a.g); c != 0 {
			return c
		}
		return cmp.Compare(a.h, b.h)
	})
	return out, notFar
}

// ClosingLeft returns how many anchors of the bin being read are still to
// be read (0 when no bin is being read).
func (l *Linker) ClosingLeft() int {
	if c := l.co.Closing; c != nil {
		return len(c.anchors) - c.Next
	}
	return 0
}

// ReviewLeft returns how many anchors the review under way has still to
// weigh (0 when none is under way).
func (l *Linker) ReviewLeft() int {
	if r := l.co.Reviewing; r != nil {
		return len(r.IDs)
	}
	return 0
}

// Closing returns the bin being read, its anchors and how many of them
// are read (ok false when no bin is being read).
func (l *Linker) Closing() (bin int64, anchors, read int, ok bool) {
	if c := l.co.Closing; c != nil {
		return c.Bin, len(c.anchors), c.Next, true
	}
	return 0, 0, 0, false
}

// ReadAtClose makes l read each closed bin as a partitioned scorer would:
// every anchor scored when the bin closes, then each decided (barrier.go).
func ReadAtClose(l *Linker) { l.atClose = true }

// Decisions counts the co-occurrence links l has made and the inferred
// links it has undone.
func (l *Linker) Decisions() int64 { return l.co.Links + l.co.Undone }

// OnObserve calls f with each observation's linker and a key of the bin it
// is read in, until the returned function is called. Not safe with
// parallel tests.
func OnObserve(f func(l *Linker, bin any)) (stop func()) {
	testObserve = func(l *Linker, _ spot, bn *bin) { f(l, bn) }
	return func() { testObserve = nil }
}

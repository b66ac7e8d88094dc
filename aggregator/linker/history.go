package linker

import (
	"math"
	"time"
)

// Where the phones were: a day of coarse positions per phone, one per
// time bin, so that a phone that becomes a candidate late (it was not
// near the anchor before, or a crowd left no room for it) is scored
// against the anchor's earlier observations as if it had been followed
// from the start: located far away then, it is no likely owner. Without
// it, a newcomer could only be credited with the average of the phones
// never seen near, and a chance companion would rival the owner.

// histSpan is how far back the history reaches.
const histSpan = 24 * time.Hour

// histStepM is the resolution of a remembered position, in metres: far
// below a cell fix's error.
const histStepM = 25

// histPos is a phone's best position in one bin, relative to the
// linker's origin, in histStepM units; Acc in 4 m units (saturating).
type histPos struct {
	X, Y int16
	Acc  uint8
	On   bool
}

// history is a ring of a phone's positions, one per bin: entry b mod
// len(Pos) holds bin b for Last−len(Pos) < b ≤ Last.
type history struct {
	Last int64
	Pos  []histPos
}

// pastObs is an earlier observation of an anchor, kept to score late
// candidates.
type pastObs struct {
	Bin        int64
	X, Y, Acc  float32
	Weight     float32 // the observation's weight (see continued)
	Rarity     float32 // log(seen / notFar) then (see evidence)
	Encounter  bool    // a new stay (not the next bin of the same one)
	Event      string
	Place      string
	FromUnixNs int64
}

// maxPast bounds the earlier observations an anchor keeps.
const maxPast = 16

func (l *Linker) histLen() int { return max(1, int(int64(histSpan)/l.bin())) }

// remember records the phones of the closed bin b in their histories.
func (l *Linker) remember(b int64, bn *bin) {
	co := &l.co
	for i := range bn.list {
		e := &bn.list[i]
		best := e.spots[0]
		for _, s := range e.spots[1:] {
			if s.Acc < best.Acc {
				best = s
			}
		}
		h := co.Hist[e.id]
		if h == nil {
			h = &history{Last: b - 1, Pos: make([]histPos, l.histLen())}
			co.Hist[e.id] = h
		}
		h.put(b, l.pack(best))
	}
}

func (l *Linker) pack(s spot) histPos {
	clamp := func(v float64) int16 { return int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v)))) }
	return histPos{
		X:   clamp((float64(s.X) - l.co.OriginX) / histStepM),
		Y:   clamp((float64(s.Y) - l.co.OriginY) / histStepM),
		Acc: uint8(min(255, math.Ceil(float64(s.Acc)/4))),
		On:  true,
	}
}

func (h *history) put(b int64, p histPos) {
	n := int64(len(h.Pos))
	if b <= h.Last-n {
		return // older than the ring
	}
	for x := h.Last + 1; x < b && x <= h.Last+n; x++ {
		h.Pos[x%n] = histPos{}
	}
	if b > h.Last {
		h.Last = b
	}
	h.Pos[b%n] = p
}

// at returns the phone's position in bin b (local metres), if known.
func (l *Linker) at(h *history, b int64) (x, y, acc float64, ok bool) {
	if h == nil {
		return 0, 0, 0, false
	}
	n := int64(len(h.Pos))
	if b > h.Last || b <= h.Last-n {
		return 0, 0, 0, false
	}
	p := h.Pos[b%n]
	if !p.On {
		return 0, 0, 0, false
	}
	return l.co.OriginX + float64(p.X)*histStepM, l.co.OriginY + float64(p.Y)*histStepM, float64(p.Acc) * 4, true
}

// late scores a new candidate against the anchor's earlier observations.
func (l *Linker) late(c *cand, a *anchor) {
	var hs []*history
	for _, m := range l.candDevices(c) {
		if h := l.co.Hist[m]; h != nil {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return
	}
	for _, po := range a.Past {
		oa := float64(po.Acc)
		q, acc, ok := math.Inf(1), 0.0, false
		for _, h := range hs {
			x, y, a2, found := l.at(h, po.Bin)
			if !found {
				continue
			}
			dx, dy := float64(po.X)-x, float64(po.Y)-y
			if v := (dx*dx + dy*dy) / (2 * (oa*oa + a2*a2)); v < q {
				q, acc, ok = v, a2, true
			}
		}
		if !ok {
			continue
		}
		ev := evidence{weight: float64(po.Weight), acc: oa, rarity: float64(po.Rarity)}
		switch {
		case q > qMiss:
			c.Score += float64(po.Weight) * math.Log(pMissSame)
			c.Misses++
		case q <= qHit:
			c.Score += ev.of(q, acc)
			if po.Encounter {
				c.Hits++
			}
			if c.First == 0 || po.FromUnixNs < c.First {
				c.First = po.FromUnixNs
			}
		default:
			c.Score += ev.of(q, acc)
		}
	}
}

// forgetHistory drops the histories of phones not located for a day.
func (l *Linker) forgetHistory(b int64) {
	n := int64(l.histLen())
	for id, h := range l.co.Hist {
		if h.Last <= b-n {
			delete(l.co.Hist, id)
		}
	}
}

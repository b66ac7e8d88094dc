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

// histPos is a phone's best position in one bin, packed in 32 bits: X
// and Y relative to the linker's origin in histStepM units, 12 bits each
// (±51 km, saturating: a city), and the accuracy in 4 m units, 8 bits
// (saturating), 0 when the phone was not located in the bin.
type histPos uint32

const histCoordMax = 1<<11 - 1

func packPos(x, y int, acc uint8) histPos {
	c := func(v int) uint32 { return uint32(max(-histCoordMax, min(histCoordMax, v))) & 0xfff }
	return histPos(c(x)<<20 | c(y)<<8 | uint32(acc))
}

func (p histPos) unpack() (x, y int, acc uint8) {
	return int(int32(p) >> 20), int(int32(p<<12) >> 20), uint8(p)
}

// histChunk is how many bins one chunk of a history holds. A phone
// located all day fills every chunk; an ad id located by GPS now and then
// fills a few, and the others are never allocated.
const histChunk = 24

// history is a ring of a phone's positions, one per bin: entry b mod n
// (n = Linker.histLen) holds bin b for Last−n < b ≤ Last, in chunks of
// histChunk bins allocated when first written.
type history struct {
	Last   int64
	chunks []*[histChunk]histPos
}

func (h *history) get(i int64) histPos {
	if c := h.chunks[i/histChunk]; c != nil {
		return c[i%histChunk]
	}
	return 0
}

func (h *history) set(i int64, p histPos) {
	c := h.chunks[i/histChunk]
	if c == nil {
		if p == 0 {
			return
		}
		c = new([histChunk]histPos)
		h.chunks[i/histChunk] = c
	}
	c[i%histChunk] = p
}

// pastObs is an earlier observation of an anchor, kept to score late
// candidates: where and when, not which event (a late candidate's
// evidence names the events of its next hit), so that an anchor's past
// holds no event's strings.
type pastObs struct {
	Bin        int64
	X, Y, Acc  float32
	Weight     float32 // the observation's weight (see continued)
	Rarity     float32 // log(seen / notFar) then (see evidence)
	Encounter  bool    // a new stay (not the next bin of the same one)
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
		h := co.Hist[e.h]
		if h == nil {
			h = l.newHistory(b - 1)
			co.Hist[e.h] = h
		}
		h.put(b, int64(l.histLen()), l.pack(best))
	}
}

func (l *Linker) newHistory(last int64) *history {
	return &history{Last: last, chunks: make([]*[histChunk]histPos, (l.histLen()+histChunk-1)/histChunk)}
}

func (l *Linker) pack(s spot) histPos {
	return packPos(
		int(math.Round((float64(s.X)-l.co.OriginX)/histStepM)),
		int(math.Round((float64(s.Y)-l.co.OriginY)/histStepM)),
		uint8(max(1, min(255, math.Ceil(float64(s.Acc)/4)))),
	)
}

// put records p as the position of bin b, in a ring of n bins.
func (h *history) put(b, n int64, p histPos) {
	if b <= h.Last-n {
		return // older than the ring
	}
	for x := h.Last + 1; x < b && x <= h.Last+n; x++ {
		h.set(x%n, 0)
	}
	if b > h.Last {
		h.Last = b
	}
	h.set(b%n, p)
}

// at returns the phone's position in bin b (local metres), if known.
func (l *Linker) at(h *history, b int64) (x, y, acc float64, ok bool) {
	if h == nil {
		return 0, 0, 0, false
	}
	n := int64(l.histLen())
	if b > h.Last || b <= h.Last-n {
		return 0, 0, 0, false
	}
	p := h.get(b % n)
	if p == 0 {
		return 0, 0, 0, false
	}
	px, py, pa := p.unpack()
	return l.co.OriginX + float64(px)*histStepM, l.co.OriginY + float64(py)*histStepM, float64(pa) * 4, true
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

package linker

import (
	"exhaust/aggregator/obs"
	"exhaust/event"
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
	return l.locate(r)
}

// Candidate returns the evidence the anchor a holds for phone.
func (l *Linker) Candidate(a, phone event.ID) (score float64, hits, misses, obs int32, rank int, ok bool) {
	an := l.co.Anchors[a]
	if an == nil {
		return 0, 0, 0, 0, -1, false
	}
	for i, c := range an.Cands {
		if c.Phone == phone {
			return c.Score, c.Hits, c.Misses, an.Obs, i, true
		}
	}
	return 0, 0, 0, an.Obs, -1, false
}

// Top returns the anchor's two best candidates' phones, scores, hits and misses.
func (l *Linker) Top(a event.ID) (out [2]struct {
	Phone        event.ID
	Score        float64
	Hits, Misses int32
}, obs int32) {
	an := l.co.Anchors[a]
	if an == nil {
		return out, 0
	}
	n := 0
	var first event.ID
	for _, c := range an.Cands {
		r := l.rootOf(c.Phone)
		if n == 1 && r == first {
			continue
		}
		out[n].Phone, out[n].Score, out[n].Hits, out[n].Misses = c.Phone, c.Score, c.Hits, c.Misses
		if n == 0 {
			first = r
		}
		n++
		if n == 2 {
			break
		}
	}
	return out, an.Obs
}

// Explain says, for each remembered observation of anchor a, where phone
// was then: "hit", "mid", "far" or "unknown".
func (l *Linker) Explain(a, phone event.ID) []string {
	an := l.co.Anchors[a]
	if an == nil {
		return nil
	}
	var out []string
	h := l.co.Hist[phone]
	for _, po := range an.Past {
		x, y, acc, ok := l.at(h, po.Bin)
		if !ok {
			out = append(out, "unknown")
			continue
		}
		dx, dy := float64(po.X)-x, float64(po.Y)-y
		oa := float64(po.Acc)
		q := (dx*dx + dy*dy) / (2 * (oa*oa + acc*acc))
		switch {
		case q <= qHit:
			out = append(out, "hit")
		case q > qMiss:
			out = append(out, "far")
		default:
			out = append(out, "mid")
		}
	}
	return out
}

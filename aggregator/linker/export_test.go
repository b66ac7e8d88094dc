package linker

import (
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

package linker

import (
	"exhaust/aggregator/obs"
	"exhaust/event"
)

// Verdict returns why the clusters of a and b are not linked by
// co-occurrence ("" if they would be, "no evidence" if there is none).
func (l *Linker) Verdict(a, b event.ID) string {
	ra, _ := l.g.Root(a)
	rb, _ := l.g.Root(b)
	_, _, _, reason := l.evaluate(keyOf(ra, rb))
	return reason
}

// Locate learns the serving tower of r and triangulates r.
func (l *Linker) Locate(r *obs.Record) (lat, lon, acc float64, ok bool) {
	l.learnTower(r)
	return l.locate(r)
}

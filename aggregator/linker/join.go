package linker

import (
	"fmt"
	"slices"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// joinRec is a card payment or a loyalty basket waiting for its match.
type joinRec struct {
	T      int64 // unix ns
	Place  string
	Amount int // cents
	ID     event.ID
	Event  string
	Done   bool // a basket whose match was decided
}

// joiner pairs card payments with loyalty baskets: the bank and the shop's
// till describe the same purchase, with the same store, the same amount and
// nearly the same time.
type joiner struct {
	Pays    map[string][]joinRec // by place, in arrival order
	Baskets []joinRec            // in arrival order
	// NextPrune is when old records are next forgotten (unix ns).
	NextPrune int64
}

func newJoiner() joiner { return joiner{Pays: map[string][]joinRec{}} }

func (j *joiner) addPayment(r *obs.Record, m meaning.Payment) {
	card, ok := r.Has(m.Of)
	if !ok || r.Where == nil || r.Where.Place == "" {
		return
	}
	p := r.Where.Place
	j.Pays[p] = append(j.Pays[p], joinRec{T: r.Time.UnixNano(), Place: p, Amount: r.Int(m.Amount), ID: card, Event: r.ID})
}

func (j *joiner) addBasket(r *obs.Record, m meaning.Basket) {
	loy, ok := r.Has(m.Of)
	if !ok {
		return
	}
	p := r.Str(m.Store)
	if r.Where != nil && r.Where.Place != "" {
		p = r.Where.Place
	}
	if p == "" {
		return
	}
	j.Baskets = append(j.Baskets, joinRec{T: r.Time.UnixNano(), Place: p, Amount: r.Int(m.Total), ID: loy, Event: r.ID})
}

func absDur(d int64) int64 {
	if d < 0 {
		return -d
	}
	return d
}

// resolveJoins decides the baskets whose every possible match has arrived
// (two windows back: a payment up to one window after the basket can
// itself have rival baskets up to one window after it), then forgets what
// can no longer match anything.
func (l *Linker) resolveJoins() {
	j := &l.joins
	w := int64(l.cfg.JoinWindow)
	for i := range j.Baskets {
		b := &j.Baskets[i]
		if b.Done || l.wm < b.T+2*w {
			continue
		}
		b.Done = true
		var match *joinRec
		n := 0
		for k := range j.Pays[b.Place] {
			p := &j.Pays[b.Place][k]
			if p.Amount == b.Amount && absDur(p.T-b.T) <= w {
				match = p
				n++
			}
		}
		if n != 1 {
			continue // no payment (cash), or ambiguous: link nothing
		}
		rivals := 0
		for k := range j.Baskets {
			o := &j.Baskets[k]
			if o.Place == match.Place && o.Amount == match.Amount && absDur(o.T-match.T) <= w {
				rivals++
			}
		}
		if rivals != 1 {
			continue
		}
		first, last := time.Unix(0, min(b.T, match.T)).UTC(), time.Unix(0, max(b.T, match.T)).UTC()
		l.link(graph.Link{
			A: match.ID, B: b.ID, Kind: graph.Joined, Score: 1, Count: 1,
			EventIDs: []string{match.Event, b.Event}, FirstSeen: first, LastSeen: last,
			Why: fmt.Sprintf("card payment and loyalty basket at %s, same amount %s, %s apart",
				b.Place, euros(b.Amount), time.Duration(absDur(b.T-match.T)).Round(time.Second)),
		})
	}
	// Forget, once per window: payments and decided baskets older than
	// three windows.
	if l.wm < j.NextPrune {
		return
	}
	j.NextPrune = l.wm + max(w, int64(time.Second))
	horizon := l.wm - 3*w
	j.Baskets = slices.DeleteFunc(j.Baskets, func(b joinRec) bool { return b.Done && b.T < horizon })
	for place, ps := range j.Pays {
		ps = slices.DeleteFunc(ps, func(p joinRec) bool { return p.T < horizon })
		if len(ps) == 0 {
			delete(j.Pays, place)
		} else {
			j.Pays[place] = ps
		}
	}
}

// euros formats cents the French way: "54,70 €".
func euros(cents int) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d,%02d €", sign, cents/100, cents%100)
}

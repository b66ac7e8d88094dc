package linker

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

// Contradictions: a cluster is a hypothesis, and the stream can refute it.
//
// Every precise position an identifier is seen at (a payment's shop, a
// gate, an access point, a GPS fix, a phone triangulated from its cell
// event) is checked against the latest positions of the other identifiers
// of its cluster. Two of them seen farther apart, within
// Config.SplitWindow, than a person can travel (Config.SplitSpeedKmh, plus
// three times both accuracies) cannot be one person's: a card paying at a
// shop while its supposed owner's phone is across town. After
// Config.SplitAfter such contradictions between the same two identifiers,
// the weakest inferred link on the path that joins them is removed (a
// co-occurrence before a joined record; an event that carried both
// identifiers is a fact, never removed), the cluster splits in two, and
// the pair is vetoed: no co-occurrence links it again. Each split is kept
// with its reason (Linker.Splits) for the API and the page.

// fix is an identifier's latest precise position.
type fix struct {
	T         int64 // unix ns
	X, Y, Acc float32
	Event     string
}

// Split records one undone link: the link, and the contradiction that
// undid it.
type Split struct {
	Time time.Time  `json:"time"` // the contradicting observation's time
	Link graph.Link `json:"link"` // the link removed
	// A and B are the two identifiers seen too far apart, with the events
	// that saw them.
	A      event.ID `json:"a"`
	B      event.ID `json:"b"`
	EventA string   `json:"event_a"`
	EventB string   `json:"event_b"`
	Why    string   `json:"why"` // one sentence
}

// maxSplits bounds the splits the linker remembers: the most recent.
const maxSplits = 1024

// splitSlackM is added to the distance a person could cover: positions
// triangulated from cell towers are now and then a kilometre off.
const splitSlackM = 500

// fixed records a precise position of id (graph handle h) at t and checks
// it against the other identifiers of its cluster.
func (l *Linker) fixed(id event.ID, h int32, lat, lon, acc float64, t int64, ev string) {
	co := &l.co
	if h < 0 {
		return // in no cluster: nothing to contradict, nor to be contradicted
	}
	p := project(lat, lon)
	f := fix{T: t, X: float32(p.x), Y: float32(p.y), Acc: float32(max(acc, minAccM)), Event: ev}
	if old, ok := co.Fixes[h]; ok && old.T > t {
		return // an older position than the one held: nothing new
	}
	co.Fixes[h] = f
	if l.dev[id.Kind] || l.g.SizeOf(h) < 2 {
		// A phone is located all day: what it contradicts is found when
		// the identifier seen now and then (a card, a pass) is.
		return
	}
	window := int64(l.cfg.SplitWindow)
	speed := l.cfg.SplitSpeedKmh / 3.6 // m/s
	var against []int32
	l.g.EachHandle(h, func(o int32) bool {
		if o == h {
			return true
		}
		g, ok := co.Fixes[o]
		if !ok {
			return true
		}
		dt := t - g.T
		if dt < 0 {
			dt = -dt
		}
		if dt > window {
			return true
		}
		d := math.Hypot(float64(f.X-g.X), float64(f.Y-g.Y))
		if d > speed*float64(dt)/1e9+3*float64(f.Acc+g.Acc)+splitSlackM {
			against = append(against, o)
		}
		return true
	})
	for _, o := range against {
		l.contradict(id, l.g.IDOf(o), f, co.Fixes[o])
	}
}

// contradict counts a contradiction between a and b (seen at fa and fb)
// and splits them apart once there are Config.SplitAfter of them.
func (l *Linker) contradict(a, b event.ID, fa, fb fix) {
	co := &l.co
	k := keyOf(a, b)
	co.Contra[k]++
	if int(co.Contra[k]) < l.cfg.SplitAfter {
		return
	}
	delete(co.Contra, k)
	dt := time.Duration(fa.T - fb.T).Abs().Round(time.Second)
	why := fmt.Sprintf("%s and %s seen %.1f km apart %v apart, %d times: not one person",
		a.Kind, b.Kind, math.Hypot(float64(fa.X-fb.X), float64(fa.Y-fb.Y))/1000, dt, l.cfg.SplitAfter)
	l.separate(Split{Time: time.Unix(0, fa.T).UTC(), A: a, B: b, EventA: fa.Event, EventB: fb.Event, Why: why})
}

// separate undoes the weakest inferred links between sp.A and sp.B until
// they are in two clusters, recording each as a split like sp.
func (l *Linker) separate(sp Split) {
	co := &l.co
	a, b := sp.A, sp.B
	for range 4 {
		if !l.g.Same(a, b) {
			return
		}
		path := l.g.Path(a, b)
		i := weakest(path)
		if i < 0 {
			co.Unresolved++ // only facts join them: keep the cluster
			return
		}
		w := path[i]
		l.g.Unlink(w.A, w.B, w.Kind)
		clear(l.masks)
		co.Vetoes[keyOf(w.A, w.B)] = true
		co.Undone++
		sp.Link = w
		co.Splits = append(co.Splits, sp)
		if len(co.Splits) > maxSplits {
			co.Splits = slices.Delete(co.Splits, 0, len(co.Splits)-maxSplits)
		}
	}
}

// exclusiveConflict undoes what a new link k did wrong: it joined two
// clusters that each held an identifier of a kind a person has one of
// (two SIMs, two cards, two e-mail accounts). The two cannot be one
// person's, so the weakest inferred link between them goes. It is called
// with the members of each side of k's kinds in conflict, before the link.
func (l *Linker) exclusiveConflict(k graph.Link, xa, xb []event.ID) {
	for i := range xa {
		if !l.g.Same(xa[i], xb[i]) {
			continue
		}
		l.separate(Split{Time: k.LastSeen, A: xa[i], B: xb[i], EventA: lastOf(k.EventIDs), EventB: lastOf(k.EventIDs),
			Why: fmt.Sprintf("two %s identifiers (%s, %s) in one profile once %s: a person has one", xa[i].Kind, xa[i].Value, xb[i].Value, k.Why)})
	}
}

func lastOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// weakest returns the index of the link to remove from a path: an
// inferred one, co-occurrence before joined records, the lowest score
// first; -1 if every link is a same-event fact.
func weakest(path []graph.Link) int {
	best := -1
	rank := func(k graph.EvidenceKind) int { return slices.Index(graph.EvidenceKinds, k) }
	for i, k := range path {
		if k.Kind == graph.SameEvent {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := path[best]
		if c := cmp.Compare(rank(b.Kind), rank(k.Kind)); c < 0 || c == 0 && k.Score < b.Score {
			best = i
		}
	}
	return best
}

// vetoed reports whether a split separated a and b.
func (l *Linker) vetoed(a, b event.ID) bool {
	return l.co.Vetoes[keyOf(a, b)]
}

// forgetFixes drops positions too old to contradict anything, and
// contradictions not confirmed within a day.
func (l *Linker) forgetFixes(now int64) {
	co := &l.co
	horizon := now - int64(l.cfg.SplitWindow) - int64(l.cfg.CooccurLag) - int64(time.Hour)
	for id, f := range co.Fixes {
		if f.T < horizon {
			delete(co.Fixes, id)
		}
	}
	clear(co.Contra)
}

// Splits returns the links undone by contradictions, oldest first (the
// most recent maxSplits).
func (l *Linker) Splits() []Split { return slices.Clone(l.co.Splits) }

// pairKey names two identifiers, A < B.
type pairKey struct{ A, B event.ID }

func keyOf(a, b event.ID) pairKey {
	if graph.CompareID(a, b) > 0 {
		a, b = b, a
	}
	return pairKey{a, b}
}

func comparePairKeys(x, y pairKey) int {
	if c := graph.CompareID(x.A, y.A); c != 0 {
		return c
	}
	return graph.CompareID(x.B, y.B)
}

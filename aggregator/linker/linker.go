package linker

import (
	"fmt"
	"math"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
)

// Linker finds evidence that identifiers belong together in the records it
// observes and adds it to an identity graph. It must be the only writer of
// the graph's links: it keeps co-occurrence evidence per cluster and follows
// every merge. It is not safe for concurrent use.
type Linker struct {
	cfg  Config
	g    *graph.Graph
	excl map[event.IDKind]bool // exclusive kinds
	dev  map[event.IDKind]bool // device kinds

	towers map[string][2]float64 // tower id → lat, lon, learned from events
	wm     int64                 // watermark (see watermark.go), unix ns (noTime before any)
	recent times                 // the recent record times the watermark follows
	latest int64                 // the latest record time seen (noTime before any)

	joins joiner
	co    cooccur

	whys map[whyKey]string // same-event sentences, built once
	// Caches, not state: kinds of clusters by root (forgotten when the
	// cluster changes) and the scratch space of weigh.
	masks  map[int32]*clusterInfo // by union-find handle (graph.ClusterOf)
	held   []int32
	near   []nearness        // a search's answer
	cells  [][]int32         // the grid cells a view reads
	places map[string]string // interned place ids (see place)

	// atClose, set by tests only, reads each closed bin as a partitioned
	// scorer would (see barrier.go); undecided holds its anchors to
	// decide once the bin is read.
	atClose   bool
	undecided []event.ID
}

type whyKey struct {
	a, b event.IDKind
	typ  string
}

// noTime marks an unset time.
const noTime = math.MinInt64

// New returns a linker that writes to g, with cfg's thresholds. Zero
// fields of cfg take their DefaultConfig value; New panics if cfg is still
// invalid (check flags with Config.Validate first) or g is nil.
func New(cfg Config, g *graph.Graph) *Linker {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	if g == nil {
		panic("linker: nil graph")
	}
	l := &Linker{cfg: cfg, g: g}
	l.reset()
	return l
}

// reset empties the linker's own state (not the graph).
func (l *Linker) reset() {
	l.excl = map[event.IDKind]bool{}
	for _, k := range l.cfg.CooccurExclusive {
		l.excl[k] = true
	}
	l.dev = map[event.IDKind]bool{}
	for _, k := range l.cfg.CooccurDevice {
		l.dev[k] = true
	}
	l.towers = map[string][2]float64{}
	l.places = map[string]string{}
	l.wm, l.latest = noTime, noTime
	l.recent = times{}
	l.joins = newJoiner()
	l.co = newCooccur()
	l.whys = map[whyKey]string{}
	l.masks = map[int32]*clusterInfo{}
}

// Config returns the linker's thresholds.
func (l *Linker) Config() Config { return l.cfg }

// Graph returns the graph the linker writes to.
func (l *Linker) Graph() *graph.Graph { return l.g }

// Observe takes one decoded, valid record: it links the identifiers the
// record carries together, pairs card payments with loyalty baskets, and
// feeds the record's place and time to co-occurrence. Records should come
// roughly in time order; one that arrives after its time bin closed (see
// Config.CooccurLag) still gets same-event links, but no co-occurrence.
func (l *Linker) Observe(r *obs.Record) {
	if r == nil {
		return
	}
	ids := r.IDs
	if len(ids) == 0 {
		return
	}
	l.sameEvent(r)
	l.learnTower(r)
	t := r.Time.UnixNano()
	for _, m := range r.Means {
		switch m := m.(type) {
		case meaning.Payment:
			l.joins.addPayment(r, m)
		case meaning.Basket:
			l.joins.addBasket(r, m)
		}
	}
	l.presence(r, t)
	l.advance(t)
	l.stepClosing()
	l.stepReview()
}

// link adds a link to the graph. Co-occurrence evidence is kept per
// identifier, so a merge moves nothing; the clusters' kinds change.
func (l *Linker) link(k graph.Link) {
	if l.vetoed(k.A, k.B) && k.Kind != graph.SameEvent {
		return // a contradiction split them: only a fact joins them again
	}
	ra, okA := l.g.Root(k.A)
	rb, okB := l.g.Root(k.B)
	if okA && okB && ra == rb {
		l.g.Link(k)
		return
	}
	l.changed(k.A, k.B)
	// Two clusters about to merge: each holding an identifier of a kind a
	// person has one of (two SIMs, two cards) means a wrong link.
	var xa, xb []event.ID
	if okA && okB {
		if both := l.kinds(k.A) & l.kinds(k.B) &^ deviceBit; both != 0 {
			xa, xb = l.exclusiveOf(ra, both), l.exclusiveOf(rb, both)
		}
	}
	l.g.Link(k)
	l.changed(k.A)
	if len(xa) > 0 {
		l.exclusiveConflict(k, xa, xb)
	}
}

// exclusiveOf returns, for each exclusive kind of mask in event.Kinds()
// order, one identifier of that kind in root's cluster.
func (l *Linker) exclusiveOf(root event.ID, mask uint64) []event.ID {
	var out []event.ID
	for i, kind := range event.Kinds() {
		if mask&(1<<i) == 0 {
			continue
		}
		var found event.ID
		l.g.EachMember(root, func(m event.ID) bool {
			if m.Kind == kind && (found.Value == "" || graph.CompareID(m, found) < 0) {
				found = m
			}
			return true
		})
		out = append(out, found)
	}
	return out
}

// rank orders identifier kinds by how much they say about a person: the
// hub of a same-event star is the best-ranked identifier of the event.
var rank = map[event.IDKind]int{
	event.IMSI: 0, event.Card: 1, event.Pass: 2, event.MSISDN: 3, event.IMEI: 4, event.Wristband: 5,
	event.ADID: 6, event.Email: 7, event.Loyalty: 8, event.MAC: 9, event.Ticket: 10,
}

func rankOf(k event.IDKind) int {
	if v, ok := rank[k]; ok {
		return v
	}
	return len(rank)
}

// sameEvent links every identifier of a record to its best-ranked one: one
// sensor saw them together.
func (l *Linker) sameEvent(r *obs.Record) {
	if len(r.IDs) < 2 {
		return
	}
	hub := 0
	for i, id := range r.IDs {
		if rankOf(id.Kind) < rankOf(r.IDs[hub].Kind) {
			hub = i
		}
	}
	h := r.IDs[hub]
	for i, id := range r.IDs {
		if i == hub || id == h {
			continue
		}
		l.link(graph.Link{
			A: h, B: id, Kind: graph.SameEvent, Score: 1, Count: 1,
			EventIDs: []string{r.ID}, FirstSeen: r.Time, LastSeen: r.Time,
			Why: l.sameWhy(h.Kind, id.Kind, r.Type),
		})
	}
}

func (l *Linker) sameWhy(a, b event.IDKind, typ string) string {
	k := whyKey{a, b, typ}
	if s, ok := l.whys[k]; ok {
		return s
	}
	s := fmt.Sprintf("%s and %s in the same %s event", a, b, typ)
	if len(l.whys) < 1024 {
		l.whys[k] = s
	}
	return s
}

// advance records a record's time t and moves the watermark (see
// watermark.go), closing what it leaves behind: joins whose window has
// passed and co-occurrence bins past the lag.
func (l *Linker) advance(t int64) {
	l.latest = max(l.latest, t)
	l.moveTo(l.recent.add(t))
}

func (l *Linker) moveTo(wm int64) {
	if l.wm != noTime && wm <= l.wm {
		return
	}
	l.wm = wm
	l.resolveJoins()
	l.closeBins()
}

// Flush moves the watermark to the latest record time seen, as if the
// stream had ended there: joins and co-occurrence bins up to it (less the
// lag) are decided. A batch job calls it after its last record; a live
// aggregator never needs to.
func (l *Linker) Flush() {
	if l.latest != noTime {
		l.moveTo(l.latest)
	}
	l.finishClosing()
	l.finishReview()
}

// Watermark returns how far the stream has gone in event time (zero before
// any record): a high quantile of the recent record times, which clocks
// running ahead do not move (see watermark.go).
func (l *Linker) Watermark() time.Time {
	if l.wm == noTime {
		return time.Time{}
	}
	return time.Unix(0, l.wm).UTC()
}

// Stats counts the linker's state and work.
type Stats struct {
	Towers       int   `json:"towers"`        // tower positions learned
	PendingJoins int   `json:"pending_joins"` // payments and baskets awaiting a match
	Tracks       int   `json:"tracks"`        // phones with a current position
	OpenBins     int   `json:"open_bins"`     // time bins not yet closed
	Anchors      int   `json:"anchors"`       // identifiers with co-occurrence candidates
	Candidates   int   `json:"candidates"`    // their candidate phones, in all
	Late         int64 `json:"late"`          // presences that arrived after their bins closed
	Crowded      int64 `json:"crowded"`       // observations with more phones in view than candidates kept
	Cooccurrence int64 `json:"cooccurrence"`  // co-occurrence links made
	Splits       int   `json:"splits"`        // splits remembered (the most recent)
	Undone       int64 `json:"undone"`        // links undone by contradictions, in all
	Unresolved   int64 `json:"unresolved"`    // contradictions between identifiers only same-event facts join
}

// Stats returns counts of the linker's state.
func (l *Linker) Stats() Stats {
	s := Stats{
		Towers: len(l.towers), PendingJoins: len(l.joins.Baskets), Tracks: len(l.co.Tracks),
		OpenBins: len(l.co.Bins), Anchors: len(l.co.Anchors),
		Late: l.co.Late, Crowded: l.co.Crowded, Cooccurrence: l.co.Links,
		Splits: len(l.co.Splits), Unresolved: l.co.Unresolved, Undone: l.co.Undone,
	}
	for _, a := range l.co.Anchors {
		s.Candidates += len(a.Cands)
	}
	for _, ps := range l.joins.Pays {
		s.PendingJoins += len(ps)
	}
	return s
}

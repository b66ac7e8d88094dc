package linker

import (
	"cmp"
	"encoding/gob"
	"fmt"
	"io"
	"slices"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

// snapshotVersion is the version of the Save format; Load refuses others.
const snapshotVersion = 4

type savedTower struct {
	ID       string
	Lat, Lon float64
}

type savedSpots struct {
	ID    event.ID
	Spots []spot
}

type savedBin struct {
	Bin     int64
	Phones  []savedSpots
	Anchors []savedSpots
}

type savedAnchor struct {
	ID     event.ID
	Anchor anchor
}

// savedHist is a history with its ring written out whole (gob writes no
// nil chunk).
type savedHist struct {
	ID   event.ID
	Last int64
	Pos  []histPos
}

type savedFix struct {
	ID  event.ID
	Fix fix
}

type savedContra struct {
	Key   pairKey
	Count int32
}

// snapshot is the linker's state, every map as a sorted slice so that the
// same state always writes the same bytes.
type snapshot struct {
	Version   int
	Watermark int64
	Latest    int64
	Recent    times
	Towers    []savedTower
	Pays      []joinRec // by place, then arrival order
	Baskets   []joinRec
	NextPrune int64

	Tracks     []track
	Bins       []savedBin
	Prev       *savedBin // nil when no bin was closed
	Closed     int64
	Anchors    []savedAnchor
	InView     int32
	NextForget int64
	NextReview int64
	Hist       []savedHist
	OriginX    float64
	OriginY    float64
	HasOrigin  bool
	Fixes      []savedFix
	Contra     []savedContra
	Vetoes     []pairKey
	Splits     []Split
	OddEvents  []string // event ids that are no canonical UUID (see evRef)

	Late, Crowded, Links, Unresolved, Undone int64
}

// Save writes the linker's own state (not the graph's: save that with
// graph.Save) to w, as gob. The same state always gives the same bytes.
func (l *Linker) Save(w io.Writer) error {
	co := &l.co
	s := snapshot{
		Version: snapshotVersion, Watermark: l.wm, Latest: l.latest, Recent: l.recent,
		Baskets: l.joins.Baskets, NextPrune: l.joins.NextPrune,
		Tracks: co.Tracks, Closed: co.Closed, NextForget: co.NextForget, NextReview: co.NextReview, InView: co.InView, Splits: co.Splits,
		Late: co.Late, Crowded: co.Crowded, Links: co.Links, Unresolved: co.Unresolved, Undone: co.Undone,
	}
	for id, p := range l.towers {
		s.Towers = append(s.Towers, savedTower{id, p[0], p[1]})
	}
	slices.SortFunc(s.Towers, func(a, b savedTower) int { return cmp.Compare(a.ID, b.ID) })
	for _, place := range sortedKeys(l.joins.Pays, cmp.Compare[string]) {
		s.Pays = append(s.Pays, l.joins.Pays[place]...)
	}
	for _, b := range sortedKeys(co.Bins, cmp.Compare[int64]) {
		s.Bins = append(s.Bins, l.saveBin(b, co.Bins[b]))
	}
	if co.Prev != nil {
		pb := l.saveBin(co.PrevBin, co.Prev)
		s.Prev = &pb
	}
	for _, id := range sortedKeys(co.Anchors, graph.CompareID) {
		s.Anchors = append(s.Anchors, savedAnchor{id, *co.Anchors[id]})
	}
	for _, hd := range sortedKeys(co.Hist, cmp.Compare[int32]) {
		h := co.Hist[hd]
		sh := savedHist{ID: l.g.IDOf(hd), Last: h.Last, Pos: make([]histPos, l.histLen())}
		for i := range sh.Pos {
			sh.Pos[i] = h.get(int64(i))
		}
		s.Hist = append(s.Hist, sh)
	}
	s.OriginX, s.OriginY, s.HasOrigin = co.OriginX, co.OriginY, co.HasOrigin
	for _, id := range sortedKeys(co.Fixes, graph.CompareID) {
		s.Fixes = append(s.Fixes, savedFix{id, co.Fixes[id]})
	}
	for _, k := range sortedKeys(co.Contra, comparePairKeys) {
		s.Contra = append(s.Contra, savedContra{k, co.Contra[k]})
	}
	s.Vetoes = sortedKeys(co.Vetoes, comparePairKeys)
	for _, t := range co.OddEvents {
		s.OddEvents = append(s.OddEvents, t)
	}
	slices.Sort(s.OddEvents)
	if err := gob.NewEncoder(w).Encode(&s); err != nil {
		return fmt.Errorf("save linker: %w", err)
	}
	return nil
}

// Load replaces the linker's state with a snapshot written by Save. The
// linker keeps its own thresholds: evidence gathered under other ones
// stays as it was.
func (l *Linker) Load(r io.Reader) error {
	var s snapshot
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("load linker: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("load linker: snapshot version %d, this build reads version %d", s.Version, snapshotVersion)
	}
	l.reset()
	l.wm, l.latest, l.recent = s.Watermark, s.Latest, s.Recent
	if len(l.recent.Ring) > recentN || len(l.recent.Sorted) != len(l.recent.Ring) || l.recent.Next < 0 || l.recent.Next >= recentN {
		return fmt.Errorf("load linker: a window of %d recent times (%d sorted, next %d), at most %d", len(l.recent.Ring), len(l.recent.Sorted), l.recent.Next, recentN)
	}
	for _, t := range s.Towers {
		l.towers[t.ID] = [2]float64{t.Lat, t.Lon}
	}
	for _, p := range s.Pays {
		l.joins.Pays[p.Place] = append(l.joins.Pays[p.Place], p)
	}
	l.joins.Baskets, l.joins.NextPrune = s.Baskets, s.NextPrune
	co := &l.co
	co.Tracks, co.Closed, co.NextForget, co.InView, co.Splits = s.Tracks, s.Closed, s.NextForget, s.InView, s.Splits
	co.NextReview = s.NextReview
	co.Late, co.Crowded, co.Links, co.Unresolved, co.Undone = s.Late, s.Crowded, s.Links, s.Unresolved, s.Undone
	for i, t := range co.Tracks {
		if _, dup := co.trackIdx[t.ID]; dup {
			return fmt.Errorf("load linker: two tracks for %s %q", t.ID.Kind, t.ID.Value)
		}
		co.trackIdx[t.ID] = i
	}
	for _, sb := range s.Bins {
		bn, err := l.loadBin(sb)
		if err != nil {
			return err
		}
		co.Bins[sb.Bin] = bn
	}
	if s.Prev != nil {
		bn, err := l.loadBin(*s.Prev)
		if err != nil {
			return err
		}
		co.Prev, co.PrevBin = bn, s.Prev.Bin
		l.grid(co.Prev)
	}
	// Candidates name their phones by graph handle: the graph, loaded
	// first, must hold them.
	nodes := int32(l.g.Stats().Identifiers)
	for _, a := range s.Anchors {
		an := a.Anchor
		for i := range an.Cands {
			c := &an.Cands[i]
			if c.Phone < 0 || c.Phone >= nodes {
				return fmt.Errorf("load linker: a candidate names phone %d, the graph has %d identifiers (a graph from another snapshot?)", c.Phone, nodes)
			}
			c.Place = l.place(c.Place)
		}
		co.Anchors[a.ID] = &an
	}
	for _, t := range s.OddEvents {
		l.evRef(t)
	}
	for _, h := range s.Hist {
		if len(h.Pos) != l.histLen() {
			return fmt.Errorf("load linker: a phone history of %d bins, this configuration keeps %d", len(h.Pos), l.histLen())
		}
		hh := l.newHistory(h.Last)
		for i, p := range h.Pos {
			hh.set(int64(i), p)
		}
		hd := l.g.Handle(h.ID)
		if hd < 0 {
			return fmt.Errorf("load linker: a phone history of %s %q, which the graph does not know (a graph from another snapshot?)", h.ID.Kind, h.ID.Value)
		}
		co.Hist[hd] = hh
	}
	co.OriginX, co.OriginY, co.HasOrigin = s.OriginX, s.OriginY, s.HasOrigin
	for _, f := range s.Fixes {
		co.Fixes[f.ID] = f.Fix
	}
	for _, c := range s.Contra {
		co.Contra[c.Key] = c.Count
	}
	for _, k := range s.Vetoes {
		co.Vetoes[k] = true
	}
	return nil
}

func (l *Linker) saveBin(b int64, bn *bin) savedBin {
	sb := savedBin{Bin: b}
	for _, h := range sortedKeys(bn.Phones, cmp.Compare[int32]) {
		sb.Phones = append(sb.Phones, savedSpots{l.g.IDOf(h), bn.Phones[h]})
	}
	for _, id := range sortedKeys(bn.Anchors, graph.CompareID) {
		sb.Anchors = append(sb.Anchors, savedSpots{id, bn.Anchors[id]})
	}
	return sb
}

func (l *Linker) loadBin(sb savedBin) (*bin, error) {
	bn := newBin()
	for _, p := range sb.Phones {
		h := l.g.Handle(p.ID)
		if h < 0 {
			return nil, fmt.Errorf("load linker: %s %q in a bin, which the graph does not know (a graph from another snapshot?)", p.ID.Kind, p.ID.Value)
		}
		bn.Phones[h] = p.Spots
	}
	for _, a := range sb.Anchors {
		bn.Anchors[a.ID] = a.Spots
	}
	return bn, nil
}

// sortedKeys returns m's keys in the order of compare.
func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	return keys
}

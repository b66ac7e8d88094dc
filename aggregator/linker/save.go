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
const snapshotVersion = 1

type savedTower struct {
	ID       string
	Lat, Lon float64
}

type savedBlock struct {
	Bin   int64
	Cell  cellKey
	Block block
}

type savedPair struct {
	Key  pairKey
	Pair pair
}

type savedAdj struct {
	Root     event.ID
	Partners []event.ID
}

type savedSeen struct {
	Root event.ID
	Bins int32
}

// snapshot is the linker's state, every map as a sorted slice so that the
// same state always writes the same bytes.
type snapshot struct {
	Version   int
	Watermark int64
	Towers    []savedTower
	Pays      []joinRec // by place, then arrival order
	Baskets   []joinRec
	NextPrune int64

	Tracks     []track
	Blocks     []savedBlock
	Closed     int64
	Pairs      []savedPair
	Adj        []savedAdj
	Seen       []savedSeen
	NextForget int64

	Late, Crowded, Links int64
}

// Save writes the linker's own state (not the graph's: save that with
// graph.Save) to w, as gob. The same state always gives the same bytes.
func (l *Linker) Save(w io.Writer) error {
	co := &l.co
	s := snapshot{
		Version: snapshotVersion, Watermark: l.wm,
		Baskets: l.joins.Baskets, NextPrune: l.joins.NextPrune,
		Tracks: co.Tracks, Closed: co.Closed, NextForget: co.NextForget,
		Late: co.Late, Crowded: co.Crowded, Links: co.Links,
	}
	for id, p := range l.towers {
		s.Towers = append(s.Towers, savedTower{id, p[0], p[1]})
	}
	slices.SortFunc(s.Towers, func(a, b savedTower) int { return cmp.Compare(a.ID, b.ID) })
	for _, place := range sortedKeys(l.joins.Pays, cmp.Compare[string]) {
		s.Pays = append(s.Pays, l.joins.Pays[place]...)
	}
	for bin, blocks := range co.Bins {
		for cell, b := range blocks {
			s.Blocks = append(s.Blocks, savedBlock{bin, cell, *b})
		}
	}
	slices.SortFunc(s.Blocks, func(a, b savedBlock) int {
		if c := cmp.Compare(a.Bin, b.Bin); c != 0 {
			return c
		}
		return compareCells(a.Cell, b.Cell)
	})
	for _, k := range sortedKeys(co.Pairs, comparePairKeys) {
		s.Pairs = append(s.Pairs, savedPair{k, *co.Pairs[k]})
	}
	for _, root := range sortedKeys(co.Adj, graph.CompareID) {
		s.Adj = append(s.Adj, savedAdj{root, co.Adj[root]})
	}
	for _, root := range sortedKeys(co.Seen, graph.CompareID) {
		s.Seen = append(s.Seen, savedSeen{root, co.Seen[root]})
	}
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
	l.wm = s.Watermark
	for _, t := range s.Towers {
		l.towers[t.ID] = [2]float64{t.Lat, t.Lon}
	}
	for _, p := range s.Pays {
		l.joins.Pays[p.Place] = append(l.joins.Pays[p.Place], p)
	}
	l.joins.Baskets, l.joins.NextPrune = s.Baskets, s.NextPrune
	co := &l.co
	co.Tracks, co.Closed, co.NextForget = s.Tracks, s.Closed, s.NextForget
	co.Late, co.Crowded, co.Links = s.Late, s.Crowded, s.Links
	for i, t := range co.Tracks {
		if _, dup := co.trackIdx[t.ID]; dup {
			return fmt.Errorf("load linker: two tracks for %s %q", t.ID.Kind, t.ID.Value)
		}
		co.trackIdx[t.ID] = i
	}
	for _, b := range s.Blocks {
		blocks := co.Bins[b.Bin]
		if blocks == nil {
			blocks = map[cellKey]*block{}
			co.Bins[b.Bin] = blocks
		}
		blk := b.Block
		blocks[b.Cell] = &blk
	}
	for _, p := range s.Pairs {
		if graph.CompareID(p.Key.A, p.Key.B) >= 0 {
			return fmt.Errorf("load linker: pair %s/%s is not ordered", p.Key.A.Value, p.Key.B.Value)
		}
		pr := p.Pair
		co.Pairs[p.Key] = &pr
	}
	for _, a := range s.Adj {
		for _, c := range a.Partners {
			if co.Pairs[keyOf(a.Root, c)] == nil {
				return fmt.Errorf("load linker: %s %q has no evidence with its partner %s %q", a.Root.Kind, a.Root.Value, c.Kind, c.Value)
			}
		}
		co.Adj[a.Root] = a.Partners
	}
	for _, v := range s.Seen {
		co.Seen[v.Root] = v.Bins
	}
	return nil
}

func compareCells(x, y cellKey) int {
	if c := cmp.Compare(x.X, y.X); c != 0 {
		return c
	}
	return cmp.Compare(x.Y, y.Y)
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

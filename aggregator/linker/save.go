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
// Version 5 writes the long lists a part at a time (see chunk); 6 keeps
// no event nor place in an anchor's past observations.
const snapshotVersion = 6

type savedTower struct {
	ID       string
	Lat, Lon float64
}

type savedSpots struct {
	ID    event.ID
	Spots []spot
}

// savedBin heads a bin: its phones and anchors follow, a chunk at a time.
type savedBin struct {
	Bin             int64
	Phones, Anchors int
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

// snapshot heads the linker's state: what is small, and how many of each
// long list follow it, every map as a sorted list so that the same state
// always writes the same bytes. The lists follow in the order of the
// counts, a chunk at a time; then each bin (the open ones by time, then
// the last closed one if HasPrev), its head and its lists.
type snapshot struct {
	Version   int
	Watermark int64
	Latest    int64
	Recent    times
	Towers    []savedTower
	Pays      []joinRec // by place, then arrival order
	Baskets   []joinRec
	NextPrune int64

	Closed     int64
	InView     int32
	NextForget int64
	NextReview int64
	OriginX    float64
	OriginY    float64
	HasOrigin  bool
	Splits     []Split
	OddEvents  []string // event ids that are no canonical UUID (see evRef)

	Late, Crowded, Links, Unresolved, Undone int64

	// Named apart from the lists of version 4, so that gob decodes an
	// older snapshot as far as its version.
	NTracks, NAnchors, NHist, NFixes, NContra, NVetoes, NBins int
	HasPrev                                                   bool
}

// chunk is how many entries of a long list one gob message holds: the
// encoder's buffer and the list's copy stay that small, where one message
// for the whole state grew buffers several times the snapshot's size.
const chunk = 512

// writeList writes the n entries at(0..n-1) in messages of at most chunk,
// reusing buf.
func writeList[T any](enc *gob.Encoder, buf *[]T, n int, at func(i int) T) error {
	for i := 0; i < n; i += chunk {
		part := (*buf)[:0]
		for j := i; j < min(n, i+chunk); j++ {
			part = append(part, at(j))
		}
		*buf = part
		if err := enc.Encode(part); err != nil {
			return err
		}
	}
	clear(*buf) // what the entries point to is the state's, not the buffer's
	return nil
}

// readList reads n entries written by writeList, calling fn on each.
func readList[T any](dec *gob.Decoder, n int, fn func(T) error) error {
	for n > 0 {
		var part []T
		if err := dec.Decode(&part); err != nil {
			return err
		}
		if len(part) == 0 || len(part) > min(n, chunk) {
			return fmt.Errorf("a part of %d entries where %d remain", len(part), n)
		}
		for _, v := range part {
			if err := fn(v); err != nil {
				return err
			}
		}
		n -= len(part)
	}
	return nil
}

// Save writes the linker's own state (not the graph's: save that with
// graph.Save) to w, as gob messages. The same state always gives the same
// bytes.
func (l *Linker) Save(w io.Writer) error {
	if err := l.save(w); err != nil {
		return fmt.Errorf("save linker: %w", err)
	}
	return nil
}

func (l *Linker) save(w io.Writer) error {
	co := &l.co
	s := snapshot{
		Version: snapshotVersion, Watermark: l.wm, Latest: l.latest, Recent: l.recent,
		Baskets: l.joins.Baskets, NextPrune: l.joins.NextPrune,
		Closed: co.Closed, NextForget: co.NextForget, NextReview: co.NextReview, InView: co.InView, Splits: co.Splits,
		OriginX: co.OriginX, OriginY: co.OriginY, HasOrigin: co.HasOrigin,
		Late: co.Late, Crowded: co.Crowded, Links: co.Links, Unresolved: co.Unresolved, Undone: co.Undone,
		NTracks: len(co.Tracks), NAnchors: len(co.Anchors), NHist: len(co.Hist), NFixes: len(co.Fixes),
		NContra: len(co.Contra), NVetoes: len(co.Vetoes), NBins: len(co.Bins), HasPrev: co.Prev != nil,
	}
	for id, p := range l.towers {
		s.Towers = append(s.Towers, savedTower{id, p[0], p[1]})
	}
	slices.SortFunc(s.Towers, func(a, b savedTower) int { return cmp.Compare(a.ID, b.ID) })
	for _, place := range sortedKeys(l.joins.Pays, cmp.Compare[string]) {
		s.Pays = append(s.Pays, l.joins.Pays[place]...)
	}
	for _, t := range co.OddEvents {
		s.OddEvents = append(s.OddEvents, t)
	}
	slices.Sort(s.OddEvents)
	enc := gob.NewEncoder(w)
	if err := enc.Encode(&s); err != nil {
		return err
	}
	if err := writeList(enc, new([]track), len(co.Tracks), func(i int) track { return co.Tracks[i] }); err != nil {
		return err
	}
	anchors := sortedKeys(co.Anchors, graph.CompareID)
	if err := writeList(enc, new([]savedAnchor), len(anchors), func(i int) savedAnchor {
		return savedAnchor{anchors[i], *co.Anchors[anchors[i]]}
	}); err != nil {
		return err
	}
	anchors = nil
	hist := sortedKeys(co.Hist, cmp.Compare[int32])
	pos := make([]histPos, l.histLen()*chunk) // the rings of one chunk
	if err := writeList(enc, new([]savedHist), len(hist), func(i int) savedHist {
		h := co.Hist[hist[i]]
		sh := savedHist{ID: l.g.IDOf(hist[i]), Last: h.Last, Pos: pos[i%chunk*l.histLen():][:l.histLen()]}
		for j := range sh.Pos {
			sh.Pos[j] = h.get(int64(j))
		}
		return sh
	}); err != nil {
		return err
	}
	hist, pos = nil, nil
	fixes := sortedKeys(co.Fixes, func(a, b int32) int { return graph.CompareID(l.g.IDOf(a), l.g.IDOf(b)) })
	if err := writeList(enc, new([]savedFix), len(fixes), func(i int) savedFix { return savedFix{l.g.IDOf(fixes[i]), co.Fixes[fixes[i]]} }); err != nil {
		return err
	}
	fixes = nil
	contra := sortedKeys(co.Contra, comparePairKeys)
	if err := writeList(enc, new([]savedContra), len(contra), func(i int) savedContra { return savedContra{contra[i], co.Contra[contra[i]]} }); err != nil {
		return err
	}
	vetoes := sortedKeys(co.Vetoes, comparePairKeys)
	if err := writeList(enc, new([]pairKey), len(vetoes), func(i int) pairKey { return vetoes[i] }); err != nil {
		return err
	}
	var spots []savedSpots
	for _, b := range sortedKeys(co.Bins, cmp.Compare[int64]) {
		if err := l.saveBin(enc, b, co.Bins[b], &spots); err != nil {
			return err
		}
	}
	if co.Prev != nil {
		return l.saveBin(enc, co.PrevBin, co.Prev, &spots)
	}
	return nil
}

// Load replaces the linker's state with a snapshot written by Save. The
// linker keeps its own thresholds: evidence gathered under other ones
// stays as it was.
func (l *Linker) Load(r io.Reader) error {
	if err := l.load(r); err != nil {
		return fmt.Errorf("load linker: %w", err)
	}
	return nil
}

func (l *Linker) load(r io.Reader) error {
	dec := gob.NewDecoder(r)
	var s snapshot
	if err := dec.Decode(&s); err != nil {
		return err
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("snapshot version %d, this build reads version %d", s.Version, snapshotVersion)
	}
	l.reset()
	l.wm, l.latest, l.recent = s.Watermark, s.Latest, s.Recent
	if len(l.recent.Ring) > recentN || len(l.recent.Sorted) != len(l.recent.Ring) || l.recent.Next < 0 || l.recent.Next >= recentN {
		return fmt.Errorf("a window of %d recent times (%d sorted, next %d), at most %d", len(l.recent.Ring), len(l.recent.Sorted), l.recent.Next, recentN)
	}
	for _, t := range s.Towers {
		l.towers[t.ID] = [2]float64{t.Lat, t.Lon}
	}
	for _, p := range s.Pays {
		l.joins.Pays[p.Place] = append(l.joins.Pays[p.Place], p)
	}
	l.joins.Baskets, l.joins.NextPrune = s.Baskets, s.NextPrune
	co := &l.co
	co.Closed, co.NextForget, co.InView, co.Splits = s.Closed, s.NextForget, s.InView, s.Splits
	co.NextReview = s.NextReview
	co.OriginX, co.OriginY, co.HasOrigin = s.OriginX, s.OriginY, s.HasOrigin
	co.Late, co.Crowded, co.Links, co.Unresolved, co.Undone = s.Late, s.Crowded, s.Links, s.Unresolved, s.Undone
	for _, t := range s.OddEvents {
		l.evRef(t)
	}
	if err := readList(dec, s.NTracks, func(t track) error {
		if t.h = l.g.Handle(t.ID); t.h < 0 {
			return fmt.Errorf("a track of %s %q, which the graph does not know (a graph from another snapshot?)", t.ID.Kind, t.ID.Value)
		}
		if _, dup := co.trackIdx[t.h]; dup {
			return fmt.Errorf("two tracks for %s %q", t.ID.Kind, t.ID.Value)
		}
		co.trackIdx[t.h] = len(co.Tracks)
		co.Tracks = append(co.Tracks, t)
		return nil
	}); err != nil {
		return err
	}
	// Candidates name their phones by graph handle: the graph, loaded
	// first, must hold them.
	nodes := int32(l.g.Stats().Identifiers)
	if err := readList(dec, s.NAnchors, func(a savedAnchor) error {
		an := a.Anchor
		for i := range an.Cands {
			c := &an.Cands[i]
			if c.Phone < 0 || c.Phone >= nodes {
				return fmt.Errorf("a candidate names phone %d, the graph has %d identifiers (a graph from another snapshot?)", c.Phone, nodes)
			}
			c.Place = l.place(c.Place)
		}
		co.Anchors[a.ID] = &an
		return nil
	}); err != nil {
		return err
	}
	if err := readList(dec, s.NHist, func(h savedHist) error {
		if len(h.Pos) != l.histLen() {
			return fmt.Errorf("a phone history of %d bins, this configuration keeps %d", len(h.Pos), l.histLen())
		}
		hh := l.newHistory(h.Last)
		for i, p := range h.Pos {
			hh.set(int64(i), p)
		}
		hd := l.g.Handle(h.ID)
		if hd < 0 {
			return fmt.Errorf("a phone history of %s %q, which the graph does not know (a graph from another snapshot?)", h.ID.Kind, h.ID.Value)
		}
		co.Hist[hd] = hh
		return nil
	}); err != nil {
		return err
	}
	if err := readList(dec, s.NFixes, func(f savedFix) error {
		h := l.g.Handle(f.ID)
		if h < 0 {
			return fmt.Errorf("a position of %s %q, which the graph does not know (a graph from another snapshot?)", f.ID.Kind, f.ID.Value)
		}
		co.Fixes[h] = f.Fix
		return nil
	}); err != nil {
		return err
	}
	if err := readList(dec, s.NContra, func(c savedContra) error { co.Contra[c.Key] = c.Count; return nil }); err != nil {
		return err
	}
	if err := readList(dec, s.NVetoes, func(k pairKey) error { co.Vetoes[k] = true; return nil }); err != nil {
		return err
	}
	for range s.NBins {
		b, bn, err := l.loadBin(dec)
		if err != nil {
			return err
		}
		co.Bins[b] = bn
	}
	if s.HasPrev {
		b, bn, err := l.loadBin(dec)
		if err != nil {
			return err
		}
		co.Prev, co.PrevBin = bn, b
		l.grid(co.Prev)
	}
	return nil
}

func (l *Linker) saveBin(enc *gob.Encoder, b int64, bn *bin, buf *[]savedSpots) error {
	if err := enc.Encode(savedBin{Bin: b, Phones: len(bn.Phones), Anchors: len(bn.Anchors)}); err != nil {
		return err
	}
	phones := sortedKeys(bn.Phones, cmp.Compare[int32])
	if err := writeList(enc, buf, len(phones), func(i int) savedSpots { return savedSpots{l.g.IDOf(phones[i]), bn.Phones[phones[i]]} }); err != nil {
		return err
	}
	anchors := sortedKeys(bn.Anchors, graph.CompareID)
	return writeList(enc, buf, len(anchors), func(i int) savedSpots { return savedSpots{anchors[i], bn.Anchors[anchors[i]]} })
}

func (l *Linker) loadBin(dec *gob.Decoder) (int64, *bin, error) {
	var sb savedBin
	if err := dec.Decode(&sb); err != nil {
		return 0, nil, err
	}
	bn := newBin()
	if err := readList(dec, sb.Phones, func(p savedSpots) error {
		h := l.g.Handle(p.ID)
		if h < 0 {
			return fmt.Errorf("%s %q in a bin, which the graph does not know (a graph from another snapshot?)", p.ID.Kind, p.ID.Value)
		}
		bn.Phones[h] = p.Spots
		return nil
	}); err != nil {
		return 0, nil, err
	}
	if err := readList(dec, sb.Anchors, func(a savedSpots) error { bn.Anchors[a.ID] = a.Spots; return nil }); err != nil {
		return 0, nil, err
	}
	return sb.Bin, bn, nil
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

package linker

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/wire"
)

// snapshotVersion is the version of the Save format; Load refuses others.
// Version 5 writes the long lists a part at a time; 6 keeps no event nor
// place in an anchor's past observations; 7 writes the fields one by one
// with package wire instead of gob (whose reflection was most of a
// snapshot's pause), after partMagic, names phones by graph handle and
// writes only the chunks a history holds; 8 holds the bin being read (see
// closing); 9 the review under way (see reviewing); 10 how the bin being
// read is spread over the records (see spreadOver).
const snapshotVersion = 10

// partMagic opens the linker's part, so that an older part (gob, up to
// version 6) or another part read by mistake is refused in plain words.
const partMagic = "exhaust/linker"

// errOldPart is Load's answer to a part that does not start with
// partMagic.
var errOldPart = errors.New("not a linker part of version 7 or later (a gob part, written by an older build?): delete the snapshot to rebuild it from the stream")

// Bounds on the counts Load reads: far above what a city holds, low
// enough that a corrupt count fails instead of looping for minutes. No
// count sizes an allocation past a small bound: lists grow by append as
// entries arrive.
const (
	maxList = 1 << 26 // entries of a long list: tracks, anchors, candidates, bins' phones…
	maxBins = 1 << 20 // open bins, a few in practice
	// maxLinkEvents bounds a split link's event ids (graph.MaxLinkEvents
	// in practice, with room for the graph to keep more).
	maxLinkEvents = 1 << 10
	// maxCandsHint is the most candidates an anchor's list is sized for
	// before they are read: a crowded anchor holds a few dozen.
	maxCandsHint = 256
)

// readBufSize is the buffer Load reads the part through (wire's size).
const readBufSize = 32 << 10

// Save writes the linker's own state (not the graph's: save that with
// graph.Save) to w. The same state always gives the same bytes: every map
// is written as a sorted list.
func (l *Linker) Save(w io.Writer) error {
	if err := l.save(w); err != nil {
		return fmt.Errorf("save linker: %w", err)
	}
	return nil
}

// The part, in order: partMagic, the version, the small state, then the
// long lists, each its count and its entries, written as they are walked
// (wire.Writer flushes as it goes): tracks, anchors, histories, fixes,
// contradictions, vetoes, then the open bins by time and the last closed
// one if any. Phones are named by graph handle: the graph, saved and
// loaded first, gives every identifier the same handle again (see
// graph.Handle), and a handle costs a byte or three where an identifier
// costs its text and a hash lookup on Load.
func (l *Linker) save(out io.Writer) error {
	if _, err := io.WriteString(out, partMagic); err != nil {
		return err
	}
	w := wire.NewWriter(out)
	w.Uvarint(snapshotVersion)
	l.saveHead(w)
	co := &l.co

	w.Uvarint(uint64(len(co.Tracks)))
	for i := range co.Tracks {
		writeTrack(w, &co.Tracks[i])
	}
	anchors := sortedKeys(co.Anchors, graph.CompareID)
	w.Uvarint(uint64(len(anchors)))
	for _, id := range anchors {
		w.ID(id)
		writeAnchor(w, co.Anchors[id])
	}
	anchors = nil
	// The ring length is this configuration's (a day of bins): Load
	// refuses histories kept in rings of another length.
	w.Uvarint(uint64(l.histLen()))
	hist := sortedKeys(co.Hist, cmp.Compare[int32])
	w.Uvarint(uint64(len(hist)))
	for _, h := range hist {
		w.Uvarint(uint64(h))
		l.writeHistory(w, co.Hist[h])
	}
	hist = nil
	fixes := sortedKeys(co.Fixes, cmp.Compare[int32])
	w.Uvarint(uint64(len(fixes)))
	for _, h := range fixes {
		w.Uvarint(uint64(h))
		writeFix(w, co.Fixes[h])
	}
	fixes = nil
	contra := sortedKeys(co.Contra, comparePairKeys)
	w.Uvarint(uint64(len(contra)))
	for _, k := range contra {
		writePair(w, k)
		w.Int(int(co.Contra[k]))
	}
	contra = nil
	vetoes := sortedKeys(co.Vetoes, comparePairKeys)
	w.Uvarint(uint64(len(vetoes)))
	for _, k := range vetoes {
		writePair(w, k)
	}
	vetoes = nil
	w.Uvarint(uint64(len(co.Bins)))
	for _, b := range sortedKeys(co.Bins, cmp.Compare[int64]) {
		writeBin(w, b, co.Bins[b])
	}
	w.Bool(co.Prev != nil)
	if co.Prev != nil {
		writeBin(w, co.PrevBin, co.Prev)
	}
	w.Bool(co.Closing != nil)
	if c := co.Closing; c != nil {
		writeBin(w, c.Bin, c.Bn)
		w.Uvarint(uint64(c.Next))
		w.Uvarint(uint64(c.Spread))
		w.Uvarint(uint64(c.Records))
	}
	w.Uvarint(uint64(co.BinRecords))
	w.Bool(co.Reviewing != nil)
	if rv := co.Reviewing; rv != nil {
		w.Uvarint(uint64(len(rv.IDs)))
		for _, id := range rv.IDs {
			w.ID(id)
		}
		w.Uvarint(uint64(rv.Step))
	}
	return w.Flush()
}

// saveHead writes what is small: the watermark, the joins, the counters,
// the splits.
func (l *Linker) saveHead(w *wire.Writer) {
	w.Varint(l.wm)
	w.Varint(l.latest)
	// The sorted copy of the recent times is not written: Load sorts the
	// ring again.
	w.Uvarint(uint64(len(l.recent.Ring)))
	for _, t := range l.recent.Ring {
		w.Varint(t)
	}
	w.Int(l.recent.Next)

	towers := sortedKeys(l.towers, cmp.Compare[string])
	w.Uvarint(uint64(len(towers)))
	for _, id := range towers {
		w.String(id)
		w.Float64(l.towers[id][0])
		w.Float64(l.towers[id][1])
	}
	// Payments by place, then in arrival order: Load files them by their
	// Place again.
	pays := 0
	for _, ps := range l.joins.Pays {
		pays += len(ps)
	}
	w.Uvarint(uint64(pays))
	for _, place := range sortedKeys(l.joins.Pays, cmp.Compare[string]) {
		for i := range l.joins.Pays[place] {
			writeJoinRec(w, &l.joins.Pays[place][i])
		}
	}
	w.Uvarint(uint64(len(l.joins.Baskets)))
	for i := range l.joins.Baskets {
		writeJoinRec(w, &l.joins.Baskets[i])
	}
	w.Varint(l.joins.NextPrune)

	co := &l.co
	w.Varint(co.Closed)
	w.Int(int(co.InView))
	w.Varint(co.NextForget)
	w.Varint(co.NextReview)
	w.Float64(co.OriginX)
	w.Float64(co.OriginY)
	w.Bool(co.HasOrigin)
	var buf []byte
	w.Uvarint(uint64(len(co.Splits)))
	for i := range co.Splits {
		buf = writeSplit(w, &co.Splits[i], buf)
	}
	odd := make([]string, 0, len(co.OddEvents))
	for _, s := range co.OddEvents {
		odd = append(odd, s)
	}
	slices.Sort(odd)
	w.Uvarint(uint64(len(odd)))
	for _, s := range odd {
		w.String(s)
	}
	for _, n := range []int64{co.Late, co.Crowded, co.Links, co.Unresolved, co.Undone} {
		w.Varint(n)
	}
}

// Load replaces the linker's state with a snapshot written by Save. The
// linker keeps its own thresholds: evidence gathered under other ones
// stays as it was. The graph must be the one saved with the linker,
// loaded first.
func (l *Linker) Load(r io.Reader) error {
	if err := l.load(r); err != nil {
		return fmt.Errorf("load linker: %w", err)
	}
	return nil
}

func (l *Linker) load(in io.Reader) error {
	br := bufio.NewReaderSize(in, readBufSize)
	var magic [len(partMagic)]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != partMagic {
		return errOldPart
	}
	r := wire.NewReader(br)
	if v := r.Uvarint(); r.Err() == nil && v != snapshotVersion {
		return fmt.Errorf("snapshot version %d, this build reads version %d: delete the snapshot to rebuild it from the stream", v, snapshotVersion)
	}
	l.reset()
	l.loadHead(r)
	co := &l.co
	// Phones are named by graph handle: the graph, loaded first, must
	// hold them.
	nodes := int32(l.g.Stats().Identifiers)

	n := r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		t := l.readTrack(r, nodes)
		if _, dup := co.trackIdx[t.h]; dup && r.Err() == nil {
			r.Fail("two tracks for %s %q", t.ID.Kind, t.ID.Value)
		}
		co.trackIdx[t.h] = len(co.Tracks)
		co.Tracks = append(co.Tracks, t)
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		id := r.ID()
		co.Anchors[id] = l.readAnchor(r, nodes)
	}
	if hl := r.Len(maxList); r.Err() == nil && hl != l.histLen() {
		r.Fail("phone histories of %d bins, this configuration keeps %d", hl, l.histLen())
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		h := readHandle(r, nodes, "a phone history")
		co.Hist[h] = l.readHistory(r)
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		h := readHandle(r, nodes, "a position")
		co.Fixes[h] = readFix(r)
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		k := readPair(r)
		co.Contra[k] = r.Int32()
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		co.Vetoes[readPair(r)] = true
	}
	n = r.Len(maxBins)
	for i := 0; i < n && r.Err() == nil; i++ {
		b, bn := readBin(r, nodes)
		co.Bins[b] = bn
	}
	if r.Bool() {
		co.PrevBin, co.Prev = readBin(r, nodes)
	}
	var closing *bin
	var closingBin int64
	var next, spread, records int
	if r.Bool() {
		closingBin, closing = readBin(r, nodes)
		next = r.Len(len(closing.Anchors))
		spread, records = r.Len(maxList), r.Len(maxList)
		if spread == 0 && r.Err() == nil {
			r.Fail("a bin read over no record")
		}
	}
	co.BinRecords = r.Len(maxList)
	if r.Bool() {
		rv := &reviewing{}
		n := r.Len(maxList)
		for i := 0; i < n && r.Err() == nil; i++ {
			rv.IDs = append(rv.IDs, r.ID())
		}
		rv.Step = r.Len(maxList)
		if len(rv.IDs) == 0 || rv.Step == 0 {
			r.Fail("a review of %d anchors, %d at a time", len(rv.IDs), rv.Step)
		}
		co.Reviewing = rv
	}
	if err := r.Err(); err != nil {
		return err
	}
	if co.Prev != nil {
		l.grid(co.Prev)
	}
	if closing != nil {
		l.startClosing(closingBin, closing, next)
		co.Closing.Spread, co.Closing.Records = spread, records
	}
	return nil
}

// loadHead reads what saveHead wrote.
func (l *Linker) loadHead(r *wire.Reader) {
	l.wm, l.latest = r.Varint(), r.Varint()
	n := r.Len(recentN)
	for i := 0; i < n && r.Err() == nil; i++ {
		l.recent.Ring = append(l.recent.Ring, r.Varint())
	}
	l.recent.Sorted = slices.Sorted(slices.Values(l.recent.Ring))
	// Next is where the next time goes once the ring is full: add indexes
	// the ring with it.
	if l.recent.Next = r.Int(); l.recent.Next < 0 || l.recent.Next >= recentN {
		r.Fail("the recent times' ring is at %d, of %d", l.recent.Next, recentN)
	}

	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		id := r.String()
		l.towers[id] = [2]float64{r.Float64(), r.Float64()}
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		p := readJoinRec(r)
		l.joins.Pays[p.Place] = append(l.joins.Pays[p.Place], p)
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		l.joins.Baskets = append(l.joins.Baskets, readJoinRec(r))
	}
	l.joins.NextPrune = r.Varint()

	co := &l.co
	co.Closed = r.Varint()
	if co.InView = r.Int32(); co.InView < 0 {
		r.Fail("%d phones in view", co.InView)
	}
	co.NextForget, co.NextReview = r.Varint(), r.Varint()
	co.OriginX, co.OriginY, co.HasOrigin = r.Float64(), r.Float64(), r.Bool()
	n = r.Len(maxSplits)
	for i := 0; i < n && r.Err() == nil; i++ {
		co.Splits = append(co.Splits, readSplit(r))
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		l.evRef(r.String())
	}
	for _, c := range []*int64{&co.Late, &co.Crowded, &co.Links, &co.Unresolved, &co.Undone} {
		*c = r.Varint()
	}
}

// readHandle reads a phone's graph handle and refuses one the graph does
// not hold: later code indexes the graph's nodes with it.
func readHandle(r *wire.Reader, nodes int32, what string) int32 {
	h := r.Uvarint()
	if r.Err() == nil && h >= uint64(nodes) {
		r.Fail("%s names identifier %d, the graph has %d (a graph from another snapshot?)", what, h, nodes)
	}
	if r.Err() != nil {
		return -1
	}
	return int32(h)
}

// putFloat32 writes f exactly: wire has no float32, and the bits as a
// Uvarint take five bytes where a Float64 takes eight.
func putFloat32(w *wire.Writer, f float32) { w.Uvarint(uint64(math.Float32bits(f))) }

func readFloat32(r *wire.Reader) float32 {
	v := r.Uvarint()
	if v > math.MaxUint32 {
		r.Fail("a float32 of %d bits' value", v)
		return 0
	}
	return math.Float32frombits(uint32(v))
}

// putEvRef writes an event reference's 16 bytes as two fixed-width
// halves: a UUID is random, and as Uvarints its halves would take ten
// bytes each.
func putEvRef(w *wire.Writer, e evRef) {
	w.Uint64(binary.LittleEndian.Uint64(e[:8]))
	w.Uint64(binary.LittleEndian.Uint64(e[8:]))
}

func readEvRef(r *wire.Reader) evRef {
	var e evRef
	binary.LittleEndian.PutUint64(e[:8], r.Uint64())
	binary.LittleEndian.PutUint64(e[8:], r.Uint64())
	return e
}

// writeTime writes t as time.Time.MarshalBinary does (as gob did): the
// instant and the zone offset, so that Load gives back an equal time.
func writeTime(w *wire.Writer, t time.Time, buf []byte) []byte {
	buf, err := t.AppendBinary(buf[:0])
	if err != nil {
		// Only a zone offset of seconds fails; such a time is written as
		// the zero time rather than failing the whole snapshot.
		buf, _ = time.Time{}.AppendBinary(buf[:0])
	}
	w.Bytes(buf)
	return buf
}

func readTime(r *wire.Reader) time.Time {
	var t time.Time
	if b := r.Bytes(); r.Err() == nil {
		if err := t.UnmarshalBinary(b); err != nil {
			r.Fail("a time: %v", err)
		}
	}
	return t
}

func writeJoinRec(w *wire.Writer, j *joinRec) {
	w.Varint(j.T)
	w.String(j.Place)
	w.Int(j.Amount)
	w.ID(j.ID)
	w.String(j.Event)
	w.Bool(j.Done)
}

func readJoinRec(r *wire.Reader) joinRec {
	return joinRec{T: r.Varint(), Place: r.String(), Amount: r.Int(), ID: r.ID(), Event: r.String(), Done: r.Bool()}
}

func writeSplit(w *wire.Writer, s *Split, buf []byte) []byte {
	buf = writeTime(w, s.Time, buf)
	k := &s.Link
	w.ID(k.A)
	w.ID(k.B)
	w.String(string(k.Kind))
	w.Float64(k.Score)
	w.Int(k.Count)
	w.Uvarint(uint64(len(k.EventIDs)))
	for _, e := range k.EventIDs {
		w.String(e)
	}
	buf = writeTime(w, k.FirstSeen, buf)
	buf = writeTime(w, k.LastSeen, buf)
	w.String(k.Why)
	w.ID(s.A)
	w.ID(s.B)
	w.String(s.EventA)
	w.String(s.EventB)
	w.String(s.Why)
	return buf
}

func readSplit(r *wire.Reader) Split {
	s := Split{Time: readTime(r)}
	k := &s.Link
	k.A, k.B = r.ID(), r.ID()
	k.Kind = graph.EvidenceKind(r.String())
	k.Score, k.Count = r.Float64(), r.Int()
	n := r.Len(maxLinkEvents)
	for i := 0; i < n && r.Err() == nil; i++ {
		k.EventIDs = append(k.EventIDs, r.String())
	}
	k.FirstSeen, k.LastSeen = readTime(r), readTime(r)
	k.Why = r.String()
	s.A, s.B = r.ID(), r.ID()
	s.EventA, s.EventB, s.Why = r.String(), r.String(), r.String()
	return s
}

// writeTrack writes a track; its ID is its handle's.
func writeTrack(w *wire.Writer, t *track) {
	w.Uvarint(uint64(t.h))
	w.Float64(t.Lat)
	w.Float64(t.Lon)
	w.Float64(t.Acc)
	w.Varint(t.T)
	w.Varint(t.Covered)
	w.String(t.Event)
}

func (l *Linker) readTrack(r *wire.Reader, nodes int32) track {
	t := track{h: readHandle(r, nodes, "a track")}
	if t.h >= 0 {
		t.ID = l.g.IDOf(t.h)
	}
	t.Lat, t.Lon, t.Acc = r.Float64(), r.Float64(), r.Float64()
	t.T, t.Covered = r.Varint(), r.Varint()
	t.Event = r.String()
	return t
}

func writeAnchor(w *wire.Writer, a *anchor) {
	w.Uvarint(uint64(len(a.Cands)))
	for i := range a.Cands {
		writeCand(w, &a.Cands[i])
	}
	w.Uvarint(uint64(len(a.Past)))
	for i := range a.Past {
		writePast(w, &a.Past[i])
	}
	w.Int(int(a.Obs))
	w.Float64(a.Rest)
	w.Float64(a.Dropped)
	w.Int(int(a.NDropped))
	w.Bool(a.Blocked)
	w.ID(a.Linked)
	w.Uvarint(a.Mask)
	putFloat32(w, a.LastX)
	putFloat32(w, a.LastY)
	w.Varint(a.LastBin)
}

func (l *Linker) readAnchor(r *wire.Reader, nodes int32) *anchor {
	a := &anchor{}
	n := r.Len(maxList)
	// Sized at once, as gob did, up to a bound: a corrupt count must not
	// allocate much, and appends take over past it.
	a.Cands = make([]cand, 0, min(n, maxCandsHint))
	for i := 0; i < n && r.Err() == nil; i++ {
		a.Cands = append(a.Cands, l.readCand(r, nodes))
	}
	if n = r.Len(maxPast); n > 0 {
		a.Past = make([]pastObs, 0, n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		a.Past = append(a.Past, readPast(r))
	}
	a.Obs = r.Int32()
	a.Rest, a.Dropped = r.Float64(), r.Float64()
	a.NDropped = r.Int32()
	a.Blocked = r.Bool()
	a.Linked = r.ID()
	a.Mask = r.Uvarint()
	a.LastX, a.LastY = readFloat32(r), readFloat32(r)
	a.LastBin = r.Varint()
	return a
}

func writeCand(w *wire.Writer, c *cand) {
	w.Float64(c.Score)
	w.Varint(c.First)
	w.Varint(c.Last)
	w.Uvarint(uint64(c.Phone))
	for _, v := range []int32{c.Hits, c.Misses, c.Days, c.LastDay} {
		w.Int(int(v))
	}
	putEvRef(w, c.EvA)
	putEvRef(w, c.EvP)
	w.String(c.Place)
}

func (l *Linker) readCand(r *wire.Reader, nodes int32) cand {
	c := cand{Score: r.Float64(), First: r.Varint(), Last: r.Varint()}
	c.Phone = readHandle(r, nodes, "a candidate")
	c.Hits, c.Misses, c.Days, c.LastDay = r.Int32(), r.Int32(), r.Int32(), r.Int32()
	c.EvA, c.EvP = readEvRef(r), readEvRef(r)
	c.Place = l.place(r.String())
	return c
}

func writePast(w *wire.Writer, p *pastObs) {
	w.Varint(p.Bin)
	for _, f := range []float32{p.X, p.Y, p.Acc, p.Weight, p.Rarity} {
		putFloat32(w, f)
	}
	w.Bool(p.Encounter)
	w.Varint(p.FromUnixNs)
}

func readPast(r *wire.Reader) pastObs {
	p := pastObs{Bin: r.Varint()}
	p.X, p.Y, p.Acc, p.Weight, p.Rarity = readFloat32(r), readFloat32(r), readFloat32(r), readFloat32(r), readFloat32(r)
	p.Encounter, p.FromUnixNs = r.Bool(), r.Varint()
	return p
}

// writeHistory writes a phone's ring chunk by chunk, as it is held: a
// chunk never written (a phone located only now and then leaves most
// unwritten) is a byte, any other is its positions.
func (l *Linker) writeHistory(w *wire.Writer, h *history) {
	w.Varint(h.Last)
	n := l.histLen()
	for ci, c := range h.chunks {
		w.Bool(c != nil)
		if c == nil {
			continue
		}
		// The last chunk may reach past the ring, whose end is n.
		for _, p := range c[:min(histChunk, n-ci*histChunk)] {
			w.Uvarint(uint64(p))
		}
	}
}

func (l *Linker) readHistory(r *wire.Reader) *history {
	// Bins are counted from 1970: put never sees a bin below 0, and
	// indexes the ring with the bins after Last.
	last := r.Varint()
	if last < -1 {
		r.Fail("a phone history last written in bin %d", last)
	}
	h := l.newHistory(last)
	n := l.histLen()
	for ci := range h.chunks {
		if !r.Bool() || r.Err() != nil {
			continue
		}
		c := new([histChunk]histPos)
		for i := range c[:min(histChunk, n-ci*histChunk)] {
			p := r.Uvarint()
			if p > math.MaxUint32 {
				r.Fail("a phone's position %d, not 32 bits", p)
			}
			c[i] = histPos(p)
		}
		h.chunks[ci] = c
	}
	return h
}

func writeFix(w *wire.Writer, f fix) {
	w.Varint(f.T)
	putFloat32(w, f.X)
	putFloat32(w, f.Y)
	putFloat32(w, f.Acc)
	w.String(f.Event)
}

func readFix(r *wire.Reader) fix {
	f := fix{T: r.Varint()}
	f.X, f.Y, f.Acc = readFloat32(r), readFloat32(r), readFloat32(r)
	f.Event = r.String()
	return f
}

func writePair(w *wire.Writer, k pairKey) {
	w.ID(k.A)
	w.ID(k.B)
}

func readPair(r *wire.Reader) pairKey { return pairKey{r.ID(), r.ID()} }

func writeBin(w *wire.Writer, b int64, bn *bin) {
	w.Varint(b)
	phones := sortedKeys(bn.Phones, cmp.Compare[int32])
	w.Uvarint(uint64(len(phones)))
	for _, h := range phones {
		w.Uvarint(uint64(h))
		writeSpots(w, bn.Phones[h])
	}
	anchors := sortedKeys(bn.Anchors, graph.CompareID)
	w.Uvarint(uint64(len(anchors)))
	for _, id := range anchors {
		w.ID(id)
		writeSpots(w, bn.Anchors[id])
	}
}

func readBin(r *wire.Reader, nodes int32) (int64, *bin) {
	b, bn := r.Varint(), newBin()
	n := r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		h := readHandle(r, nodes, "a bin")
		bn.Phones[h] = readSpots(r)
	}
	n = r.Len(maxList)
	for i := 0; i < n && r.Err() == nil; i++ {
		id := r.ID()
		bn.Anchors[id] = readSpots(r)
	}
	return b, bn
}

// writeSpots writes an identifier's spots in a bin. To is written as
// To−From, a byte or five where a time takes nine (int64 arithmetic
// wraps, so any pair comes back exactly).
func writeSpots(w *wire.Writer, ss []spot) {
	w.Uvarint(uint64(len(ss)))
	for i := range ss {
		s := &ss[i]
		putFloat32(w, s.X)
		putFloat32(w, s.Y)
		putFloat32(w, s.Acc)
		w.Varint(s.From)
		w.Varint(s.To - s.From)
		w.String(s.Event)
		w.String(s.Place)
	}
}

// readSpots reads what writeSpots wrote, refusing an identifier without
// spots: a closed bin reads every phone's first one.
func readSpots(r *wire.Reader) []spot {
	n := r.Len(maxSpots)
	if n == 0 {
		r.Fail("an identifier in a bin without a position")
	}
	ss := make([]spot, 0, n) // at most maxSpots
	for i := 0; i < n && r.Err() == nil; i++ {
		s := spot{X: readFloat32(r), Y: readFloat32(r), Acc: readFloat32(r), From: r.Varint()}
		s.To = s.From + r.Varint()
		s.Event, s.Place = r.String(), r.String()
		ss = append(ss, s)
	}
	return ss
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

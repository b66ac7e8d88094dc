package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"exhaust/aggregator/wire"
)

// partMagic opens the graph's part: eight bytes of text, so that anything
// else (another part, or a part of a build before version 3, which gob
// wrote and which opens with gob's type definitions) is refused at its
// first bytes, by name, instead of being misread field by field.
const partMagic = "idgraph\x00"

// snapshotVersion is the version of the Save format; Load refuses others.
// Version 2 wrote nodes and links with gob, a part at a time, and event
// ids as the 16 bytes of their UUID. Version 3 writes them with package
// wire instead (gob's reflection was most of the graph's share of a
// snapshot's pause): partMagic and the version, then each list as its
// length and its entries, times as varints, event ids still as 16 raw
// bytes or, for an id that is no canonical UUID, its text.
const snapshotVersion = 3

// maxNodes and maxLinks bound the counts Load accepts: far above a city's
// (a million people hold some twenty million identifiers), far below
// int32's range, which node and link indices live in. Load grows its lists
// as entries arrive, so a corrupt count fails at the end of the input and
// allocates nothing up front.
const (
	maxNodes = 1 << 28
	maxLinks = 1 << 29
)

// errNotGraph is the error of a part that does not open with partMagic.
var errNotGraph = errors.New("not an identity graph part of version 3 (parts before version 3 were written with gob and are no longer read): delete the snapshot to rebuild it from the stream")

// Save writes the graph to w. Nodes and links are written in the order
// they were created, so the same graph always gives the same bytes, and
// Load rebuilds exactly the same clusters. Links removed by Unlink are not
// written, so Load of a graph that split gives the same clusters and links.
// Both lists are written as they are walked: what Save holds is the
// writer's buffer, not a copy of the graph.
func (g *Graph) Save(w io.Writer) error {
	if err := g.save(w); err != nil {
		return fmt.Errorf("save identity graph: %w", err)
	}
	return nil
}

func (g *Graph) save(w io.Writer) error {
	ww := wire.NewWriter(w)
	ww.Uint64(binary.LittleEndian.Uint64([]byte(partMagic)))
	ww.Uvarint(snapshotVersion)
	ww.Uvarint(uint64(len(g.nodes)))
	for i := range g.nodes {
		n := &g.nodes[i]
		ww.ID(n.id)
		// Last as a difference: two full times would take 18 bytes, a day
		// apart 6 more. Wrapping arithmetic keeps noTime exact.
		ww.Varint(n.first)
		ww.Varint(n.last - n.first)
		ww.Int(int(n.seen))
	}
	ww.Uvarint(uint64(len(g.links) - g.dead))
	for i := range g.links {
		k := &g.links[i]
		if k.dead {
			continue
		}
		ww.Uvarint(uint64(k.a))
		ww.Uvarint(uint64(k.b))
		ww.Uvarint(uint64(k.kind))
		ww.Int(int(k.count))
		ww.Float64(k.score)
		ww.Varint(k.first)
		ww.Varint(k.last - k.first)
		ww.Uvarint(uint64(k.nev))
		for j := range k.nev {
			e := &k.ev[j]
			ww.Bool(e.odd)
			if e.odd {
				ww.String(g.odd[e.u])
			} else {
				ww.Uint64(binary.LittleEndian.Uint64(e.u[:8]))
				ww.Uint64(binary.LittleEndian.Uint64(e.u[8:]))
			}
		}
		ww.String(k.why)
	}
	return ww.Flush()
}

// Load replaces the graph's content with a snapshot written by Save. It
// checks what it reads (indices in range, identifiers and links once each,
// links ordered, known evidence kinds), so that corrupt input gives an
// error, never a graph that breaks later; on error the graph is unchanged.
func (g *Graph) Load(r io.Reader) error {
	if err := g.load(r); err != nil {
		return fmt.Errorf("load identity graph: %w", err)
	}
	return nil
}

func (g *Graph) load(r io.Reader) error {
	rd := wire.NewReader(r)
	magic := rd.Uint64()
	if err := rd.Err(); err != nil {
		return fmt.Errorf("no identity graph part: %w", err)
	}
	if magic != binary.LittleEndian.Uint64([]byte(partMagic)) {
		return errNotGraph
	}
	if v := rd.Uvarint(); v != snapshotVersion && rd.Err() == nil {
		return fmt.Errorf("identity graph part of version %d, this build reads version %d: delete the snapshot to rebuild it from the stream", v, snapshotVersion)
	}
	n := New()
	for i, nn := 0, rd.Len(maxNodes); i < nn; i++ {
		id := rd.ID()
		first := rd.Varint()
		last := first + rd.Varint()
		seen := rd.Int32()
		if err := rd.Err(); err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		if int(n.add(id)) != i {
			return fmt.Errorf("node %d (%s %q) appears twice", i, id.Kind, id.Value)
		}
		nd := &n.nodes[i]
		nd.first, nd.last, nd.seen = first, last, seen
	}
	for i, nl := 0, rd.Len(maxLinks); i < nl; i++ {
		if err := n.loadLink(rd); err != nil {
			return fmt.Errorf("link %d: %w", i, err)
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	*g = *n
	return nil
}

// loadLink reads a link and adds it, checked.
func (g *Graph) loadLink(r *wire.Reader) error {
	a, b := r.Uvarint(), r.Uvarint()
	kind := r.Len(len(EvidenceKinds) - 1)
	count := r.Int32()
	score := r.Float64()
	first := r.Varint()
	last := first + r.Varint()
	nev := r.Len(MaxLinkEvents)
	if err := r.Err(); err != nil {
		return err
	}
	if a >= uint64(len(g.nodes)) || b >= uint64(len(g.nodes)) {
		return fmt.Errorf("refers to node %d or %d of %d", a, b, len(g.nodes))
	}
	if CompareID(g.nodes[a].id, g.nodes[b].id) >= 0 {
		return errors.New("not ordered A < B")
	}
	key := linkKey{int32(a), int32(b), uint8(kind)}
	if _, dup := g.linkIdx[key]; dup {
		return errors.New("appears twice")
	}
	j := int32(len(g.links))
	g.links = append(g.links, link{a: key.a, b: key.b, next: j, kind: key.kind, count: count, score: score, first: first, last: last})
	k := &g.links[j]
	for range nev {
		if r.Bool() {
			g.pushEvent(k, r.String())
			continue
		}
		var e evID
		binary.LittleEndian.PutUint64(e.u[:8], r.Uint64())
		binary.LittleEndian.PutUint64(e.u[8:], r.Uint64())
		g.pushID(k, e)
	}
	k.why = r.String()
	if err := r.Err(); err != nil {
		return err
	}
	g.linkIdx[key] = j
	g.attach(j)
	return nil
}

package graph

import (
	"encoding/gob"
	"fmt"
	"io"

	"exhaust/event"
)

// snapshotVersion is the version of the Save format; Load refuses others.
// Version 2 writes nodes and links a part at a time (see chunk), and event
// ids as the 16 bytes of their UUID.
const snapshotVersion = 2

type savedNode struct {
	Kind        event.IDKind
	Value       string
	First, Last int64
	Seen        int32
}

// savedEvent is a supporting event id: its UUID, or (Odd) the text of an
// id that is no canonical UUID.
type savedEvent struct {
	UUID [16]byte
	Text string
	Odd  bool
}

type savedLink struct {
	A, B        int32 // node indices
	Kind        uint8
	Count       int32
	Score       float64
	First, Last int64
	Events      []savedEvent // oldest first
	Why         string
}

// snapshot heads a saved graph: NNodes nodes follow, then NLinks links,
// each list in messages of at most chunk entries. (Version 1 wrote both
// lists in this one message, as Nodes and Links: gob skips them, so
// Load reads an old snapshot as far as its version.)
type snapshot struct {
	Version        int
	NNodes, NLinks int
}

// chunk is how many nodes or links one gob message holds: the encoder's
// buffer and the list's copy stay that small, where one message for the
// whole graph grew buffers several times the snapshot's size.
const chunk = 512

// Save writes the graph to w (gob). Nodes and links are written in the order
// they were created, so the same graph always gives the same bytes, and
// Load rebuilds exactly the same clusters. Links removed by Unlink are not
// written, so Load of a graph that split gives the same clusters and links.
func (g *Graph) Save(w io.Writer) error {
	if err := g.save(w); err != nil {
		return fmt.Errorf("save identity graph: %w", err)
	}
	return nil
}

func (g *Graph) save(w io.Writer) error {
	enc := gob.NewEncoder(w)
	if err := enc.Encode(snapshot{Version: snapshotVersion, NNodes: len(g.nodes), NLinks: len(g.links) - g.dead}); err != nil {
		return err
	}
	nodes := make([]savedNode, 0, min(chunk, len(g.nodes)))
	for i := range g.nodes {
		n := &g.nodes[i]
		nodes = append(nodes, savedNode{Kind: n.id.Kind, Value: n.id.Value, First: n.first, Last: n.last, Seen: n.seen})
		if len(nodes) == chunk || i == len(g.nodes)-1 {
			if err := enc.Encode(nodes); err != nil {
				return err
			}
			nodes = nodes[:0]
		}
	}
	links := make([]savedLink, 0, min(chunk, len(g.links)))
	events := make([]savedEvent, 0, chunk*MaxLinkEvents) // the links' events, reused
	for i := range g.links {
		k := &g.links[i]
		if !k.dead {
			sl := savedLink{A: k.a, B: k.b, Kind: k.kind, Count: k.count, Score: k.score, First: k.first, Last: k.last, Why: k.why}
			for j := range k.nev {
				e := k.ev[j]
				if e.odd {
					events = append(events, savedEvent{Text: g.odd[e.u], Odd: true})
				} else {
					events = append(events, savedEvent{UUID: e.u})
				}
			}
			sl.Events = events[len(events)-int(k.nev):]
			links = append(links, sl)
		}
		if len(links) > 0 && (len(links) == chunk || i == len(g.links)-1) {
			if err := enc.Encode(links); err != nil {
				return err
			}
			links, events = links[:0], events[:0]
		}
	}
	return nil
}

// Load replaces the graph's content with a snapshot written by Save.
func (g *Graph) Load(r io.Reader) error {
	if err := g.load(r); err != nil {
		return fmt.Errorf("load identity graph: %w", err)
	}
	return nil
}

func (g *Graph) load(r io.Reader) error {
	dec := gob.NewDecoder(r)
	var s snapshot
	if err := dec.Decode(&s); err != nil {
		return err
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("snapshot version %d, this build reads version %d", s.Version, snapshotVersion)
	}
	n := New()
	// Each part is decoded into a new slice: gob leaves a zero field out,
	// so decoding into an old one would keep the old part's value.
	var nodes []savedNode
	for left := s.NNodes; left > 0; left -= len(nodes) {
		nodes = nil
		if err := dec.Decode(&nodes); err != nil {
			return err
		}
		if len(nodes) == 0 || len(nodes) > min(left, chunk) {
			return fmt.Errorf("a part of %d nodes where %d remain", len(nodes), left)
		}
		for _, sn := range nodes {
			id := event.ID{Kind: sn.Kind, Value: sn.Value}
			if _, dup := n.index[id]; dup {
				return fmt.Errorf("node %d (%s %q) appears twice", len(n.nodes), sn.Kind, sn.Value)
			}
			j := n.add(id)
			n.nodes[j].first, n.nodes[j].last, n.nodes[j].seen = sn.First, sn.Last, sn.Seen
		}
	}
	var links []savedLink
	for left := s.NLinks; left > 0; left -= len(links) {
		links = nil
		if err := dec.Decode(&links); err != nil {
			return err
		}
		if len(links) == 0 || len(links) > min(left, chunk) {
			return fmt.Errorf("a part of %d links where %d remain", len(links), left)
		}
		for _, sl := range links {
			if err := n.loadLink(sl); err != nil {
				return err
			}
		}
	}
	*g = *n
	return nil
}

// loadLink adds a saved link, checked.
func (g *Graph) loadLink(sl savedLink) error {
	i := len(g.links)
	if sl.A < 0 || sl.B < 0 || int(sl.A) >= len(g.nodes) || int(sl.B) >= len(g.nodes) || int(sl.Kind) >= len(EvidenceKinds) {
		return fmt.Errorf("link %d refers to a missing node or evidence kind", i)
	}
	if CompareID(g.nodes[sl.A].id, g.nodes[sl.B].id) >= 0 {
		return fmt.Errorf("link %d is not ordered A < B", i)
	}
	if len(sl.Events) > MaxLinkEvents {
		return fmt.Errorf("link %d holds %d event ids, at most %d", i, len(sl.Events), MaxLinkEvents)
	}
	key := linkKey{sl.A, sl.B, sl.Kind}
	if _, dup := g.linkIdx[key]; dup {
		return fmt.Errorf("link %d appears twice", i)
	}
	j := int32(i)
	g.links = append(g.links, link{a: sl.A, b: sl.B, next: j, kind: sl.Kind, count: sl.Count, score: sl.Score, first: sl.First, last: sl.Last, why: sl.Why})
	k := &g.links[j]
	for _, e := range sl.Events {
		if e.Odd {
			g.pushEvent(k, e.Text)
		} else {
			g.pushID(k, evID{u: e.UUID})
		}
	}
	g.linkIdx[key] = j
	g.attach(j)
	return nil
}

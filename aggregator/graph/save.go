package graph

import (
	"encoding/gob"
	"fmt"
	"io"

	"exhaust/event"
)

// snapshotVersion is the version of the Save format; Load refuses others.
const snapshotVersion = 1

type savedNode struct {
	Kind        event.IDKind
	Value       string
	First, Last int64
	Seen        int32
}

type savedLink struct {
	A, B        int32 // node indices
	Kind        uint8
	Count       int32
	Score       float64
	First, Last int64
	Events      []string // oldest first
	Why         string
}

type snapshot struct {
	Version int
	Nodes   []savedNode // in creation order
	Links   []savedLink // in creation order
}

// Save writes the graph to w (gob). Nodes and links are written in the order
// they were created, so the same graph always gives the same bytes, and
// Load rebuilds exactly the same clusters. Links removed by Unlink are not
// written, so Load of a graph that split gives the same clusters and links,
// and the format is the one snapshots had before links could be removed.
func (g *Graph) Save(w io.Writer) error {
	s := snapshot{Version: snapshotVersion, Nodes: make([]savedNode, len(g.nodes)), Links: make([]savedLink, 0, len(g.links)-g.dead)}
	for i := range g.nodes {
		n := &g.nodes[i]
		s.Nodes[i] = savedNode{Kind: n.id.Kind, Value: n.id.Value, First: n.first, Last: n.last, Seen: n.seen}
	}
	for i := range g.links {
		k := &g.links[i]
		if k.dead {
			continue
		}
		sl := savedLink{A: k.a, B: k.b, Kind: k.kind, Count: k.count, Score: k.score, First: k.first, Last: k.last, Why: k.why}
		for j := range k.nev {
			sl.Events = append(sl.Events, g.decodeEvent(k.ev[j]))
		}
		s.Links = append(s.Links, sl)
	}
	if err := gob.NewEncoder(w).Encode(&s); err != nil {
		return fmt.Errorf("save identity graph: %w", err)
	}
	return nil
}

// Load replaces the graph's content with a snapshot written by Save.
func (g *Graph) Load(r io.Reader) error {
	var s snapshot
	if err := gob.NewDecoder(r).Decode(&s); err != nil {
		return fmt.Errorf("load identity graph: %w", err)
	}
	if s.Version != snapshotVersion {
		return fmt.Errorf("load identity graph: snapshot version %d, this build reads version %d", s.Version, snapshotVersion)
	}
	n := New()
	for i, sn := range s.Nodes {
		id := event.ID{Kind: sn.Kind, Value: sn.Value}
		if _, dup := n.index[id]; dup {
			return fmt.Errorf("load identity graph: node %d (%s %q) appears twice", i, sn.Kind, sn.Value)
		}
		j := n.add(id)
		n.nodes[j].first, n.nodes[j].last, n.nodes[j].seen = sn.First, sn.Last, sn.Seen
	}
	for i, sl := range s.Links {
		if sl.A < 0 || sl.B < 0 || int(sl.A) >= len(n.nodes) || int(sl.B) >= len(n.nodes) || int(sl.Kind) >= len(EvidenceKinds) {
			return fmt.Errorf("load identity graph: link %d refers to a missing node or evidence kind", i)
		}
		if CompareID(n.nodes[sl.A].id, n.nodes[sl.B].id) >= 0 {
			return fmt.Errorf("load identity graph: link %d is not ordered A < B", i)
		}
		if len(sl.Events) > MaxLinkEvents {
			return fmt.Errorf("load identity graph: link %d holds %d event ids, at most %d", i, len(sl.Events), MaxLinkEvents)
		}
		key := linkKey{sl.A, sl.B, sl.Kind}
		if _, dup := n.linkIdx[key]; dup {
			return fmt.Errorf("load identity graph: link %d appears twice", i)
		}
		j := int32(len(n.links))
		n.links = append(n.links, link{a: sl.A, b: sl.B, next: j, kind: sl.Kind, count: sl.Count, score: sl.Score, first: sl.First, last: sl.Last, why: sl.Why})
		k := &n.links[j]
		for _, e := range sl.Events {
			n.pushEvent(k, e)
		}
		n.linkIdx[key] = j
		n.attach(j)
	}
	*g = *n
	return nil
}

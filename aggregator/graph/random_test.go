package graph_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

// TestUnlinkRandom builds a random graph, links and unlinks at random, and
// checks every cluster, link, count and path against a breadth-first search
// over the links that remain.
func TestUnlinkRandom(t *testing.T) {
	const nodes, ops = 70, 3000
	r := rand.New(rand.NewPCG(1, 2))
	kinds := []event.IDKind{event.Card, event.Pass, event.IMSI, event.MAC}
	ids := make([]event.ID, nodes)
	for i := range ids {
		ids[i] = id(kinds[i%len(kinds)], fmt.Sprintf("%03d", r.IntN(1000)*1000+i))
	}
	g := graph.New()
	for _, x := range ids {
		g.Touch(x, t0)
	}
	m := &model{links: map[key]graph.Link{}}
	for op := range ops {
		a, b := ids[r.IntN(nodes)], ids[r.IntN(nodes)]
		// Hover around as many links as identifiers, where clusters
		// are many, large and held by few links, so that they split.
		add := 40
		if len(m.keys) < nodes {
			add = 60
		}
		switch p := r.IntN(100); {
		case p < add || len(m.keys) == 0:
			kind := graph.EvidenceKinds[r.IntN(len(graph.EvidenceKinds))]
			l := link(a, b, kind, t0, fmt.Sprintf("ev-%d", op))
			g.Link(l)
			m.link(l)
		case p < add+45:
			// An existing link, by its kind or every kind.
			k := m.keys[r.IntN(len(m.keys))]
			a, b = k.a, k.b
			if r.IntN(2) == 0 {
				a, b = b, a
			}
			kind := k.kind
			if r.IntN(3) == 0 {
				kind = ""
			}
			want := m.unlink(a, b, kind)
			if got := g.Unlink(a, b, kind); !slices.EqualFunc(got, want, linksEqual) {
				t.Fatalf("op %d: Unlink(%v, %v, %q) = %v, want %v", op, a, b, kind, brief(got), brief(want))
			}
		default:
			// Any pair, most often not linked.
			kind := graph.EvidenceKinds[r.IntN(len(graph.EvidenceKinds))]
			want := m.unlink(a, b, kind)
			if got := g.Unlink(a, b, kind); !slices.EqualFunc(got, want, linksEqual) {
				t.Fatalf("op %d: Unlink(%v, %v, %q) = %v, want %v", op, a, b, kind, brief(got), brief(want))
			}
		}
		if op%50 == 49 || op == ops-1 {
			m.check(t, g, ids, r)
			if t.Failed() {
				t.Fatalf("after op %d", op)
			}
		}
	}
	same(t, g, clone(t, g))
}

type key struct {
	a, b event.ID
	kind graph.EvidenceKind
}

// model is the graph's links in a map, and its clusters by breadth-first
// search.
type model struct {
	links map[key]graph.Link
	keys  []key // of links, in the order they were made
}

func (m *model) link(l graph.Link) {
	l = normal(l)
	if l.A == l.B {
		return
	}
	k := key{l.A, l.B, l.Kind}
	if old, ok := m.links[k]; ok {
		// The test's links have one new event each and a why.
		old.Score += l.Score
		old.Why = l.Why
		old.Count += l.Count
		old.EventIDs = append(old.EventIDs, l.EventIDs...)
		old.EventIDs = old.EventIDs[max(0, len(old.EventIDs)-graph.MaxLinkEvents):]
		m.links[k] = old
		return
	}
	m.links[k] = l
	m.keys = append(m.keys, k)
}

func (m *model) unlink(a, b event.ID, kind graph.EvidenceKind) []graph.Link {
	if graph.CompareID(a, b) > 0 {
		a, b = b, a
	}
	var out []graph.Link
	for _, k := range graph.EvidenceKinds {
		if kind != "" && k != kind {
			continue
		}
		lk := key{a, b, k}
		if l, ok := m.links[lk]; ok {
			out = append(out, l)
			delete(m.links, lk)
			m.keys = slices.DeleteFunc(m.keys, func(x key) bool { return x == lk })
		}
	}
	return out
}

// components returns the connected components over the links of kind
// (every kind if ""), each sorted, sorted by their first member, and the
// adjacency it searched.
func (m *model) components(ids []event.ID, kind graph.EvidenceKind) ([][]event.ID, map[event.ID][]event.ID) {
	adj := map[event.ID][]event.ID{}
	for _, k := range m.keys {
		if kind == "" || k.kind == kind {
			adj[k.a] = append(adj[k.a], k.b)
			adj[k.b] = append(adj[k.b], k.a)
		}
	}
	seen := map[event.ID]bool{}
	var out [][]event.ID
	for _, x := range ids {
		if seen[x] {
			continue
		}
		seen[x] = true
		c := []event.ID{x}
		for q := 0; q < len(c); q++ {
			for _, y := range adj[c[q]] {
				if !seen[y] {
					seen[y] = true
					c = append(c, y)
				}
			}
		}
		slices.SortFunc(c, graph.CompareID)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b []event.ID) int { return graph.CompareID(a[0], b[0]) })
	return out, adj
}

// distance is the number of links on a shortest path from a to b, or -1.
func distance(adj map[event.ID][]event.ID, a, b event.ID) int {
	dist := map[event.ID]int{a: 0}
	for q := []event.ID{a}; len(q) > 0; q = q[1:] {
		u := q[0]
		if u == b {
			return dist[u]
		}
		for _, v := range adj[u] {
			if _, ok := dist[v]; !ok {
				dist[v] = dist[u] + 1
				q = append(q, v)
			}
		}
	}
	return -1
}

func (m *model) check(t *testing.T, g *graph.Graph, ids []event.ID, r *rand.Rand) {
	t.Helper()
	var links []graph.Link
	for _, k := range m.keys {
		links = append(links, m.links[k])
	}
	want, adj := m.components(ids, "")
	checkClusters(t, g, want, links)
	for _, k := range graph.EvidenceKinds {
		if w, _ := m.components(ids, k); !slices.EqualFunc(g.ClustersBy(k), w, slices.Equal) {
			t.Errorf("ClustersBy(%s) = %v, want %v", k, g.ClustersBy(k), w)
		}
	}
	for _, c := range want {
		var got []event.ID
		g.EachMember(c[len(c)-1], func(x event.ID) bool { got = append(got, x); return true })
		slices.SortFunc(got, graph.CompareID)
		if !slices.Equal(got, c) {
			t.Errorf("EachMember(%v) visits %v, want %v", c[len(c)-1], got, c)
		}
	}
	for range 40 {
		a, b := ids[r.IntN(len(ids))], ids[r.IntN(len(ids))]
		d := distance(adj, a, b)
		p := g.Path(a, b)
		if d <= 0 {
			if p != nil {
				t.Errorf("Path(%v, %v) = %v, want nil", a, b, brief(p))
			}
			continue
		}
		if len(p) != d {
			t.Errorf("Path(%v, %v) has %d links, the shortest has %d", a, b, len(p), d)
		}
		at := a
		for _, l := range p {
			if _, ok := m.links[key{l.A, l.B, l.Kind}]; !ok {
				t.Errorf("Path(%v, %v) goes through %v, not a link", a, b, brief([]graph.Link{l}))
			}
			switch at {
			case l.A:
				at = l.B
			case l.B:
				at = l.A
			default:
				t.Errorf("Path(%v, %v) = %v does not follow on at %v", a, b, brief(p), at)
			}
		}
		if at != b {
			t.Errorf("Path(%v, %v) = %v ends at %v", a, b, brief(p), at)
		}
	}
}

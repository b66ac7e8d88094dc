package graph

import (
	"cmp"
	"slices"

	"exhaust/event"
)

// Unlink removes the link of the given kind between a and b (every kind if
// kind is ""), and returns what it removed, strongest kind first. If the
// cluster of a and b is no longer connected through its remaining links, it
// becomes one cluster per connected component, each named by its smallest
// member as always: a component that keeps the old name's identifier keeps
// the name. Nothing is removed, and Unlink returns nil, if a or b is
// unknown, if kind is not an evidence kind or if there is no such link.
//
// Its cost is that of the cluster of a and b (its members and links), not
// the whole graph's. A link removed and later given again to Link is a new
// link: none of the removed evidence comes back.
func (g *Graph) Unlink(a, b event.ID, kind EvidenceKind) []Link {
	if CompareID(a, b) > 0 {
		a, b = b, a
	}
	i, ok1 := g.index[a]
	j, ok2 := g.index[b]
	if !ok1 || !ok2 || i == j {
		return nil
	}
	var removed []Link
	for k, v := range EvidenceKinds {
		if kind != "" && v != kind {
			continue
		}
		key := linkKey{i, j, uint8(k)}
		li, ok := g.linkIdx[key]
		if !ok {
			continue
		}
		l := &g.links[li]
		removed = append(removed, g.export(l))
		delete(g.linkIdx, key)
		// The tombstone keeps its place (and its place in the cluster's
		// list until split rebuilds it), not its evidence.
		l.dead, l.why, l.nev, l.ev = true, "", 0, [MaxLinkEvents]evID{}
		g.dead++
	}
	if removed != nil {
		g.split(g.findCompress(i))
	}
	return removed
}

// split rebuilds the cluster of root r from its remaining links: every
// member becomes a cluster of its own, then the live links are attached
// again in the order they were created. Each connected component ends up
// with the union-find, member list and link list that Load would build for
// it, so the result depends only on the links left and the order they were
// made in, never on the merges and splits along the way.
func (g *Graph) split(r int32) {
	members := make([]int32, 0, g.nodes[r].size)
	for i := r; ; {
		members = append(members, i)
		i = g.nodes[i].next
		if i == r {
			break
		}
	}
	var links []int32
	if h := g.nodes[r].links; h != none {
		for j := h; ; {
			if !g.links[j].dead {
				links = append(links, j)
			}
			j = g.links[j].next
			if j == h {
				break
			}
		}
	}
	slices.Sort(links)
	for _, i := range members {
		n := &g.nodes[i]
		n.parent, n.size, n.next, n.min, n.links = i, 1, i, i, none
	}
	g.clusters += len(members) - 1
	for _, j := range links {
		g.links[j].next = j
		g.attach(j)
	}
}

// Path returns the links along one shortest path (fewest links) from a to
// b through the links of their cluster, in order from a (each Link keeps
// A < B, so a step may go from B to A); nil if a == b, if either is unknown
// or if they are not in one cluster. The search follows stronger evidence
// kinds first, then older links, so the same graph always gives the same
// path, and where two identifiers are linked by several kinds the path
// holds the strongest. Its cost is that of the cluster.
func (g *Graph) Path(a, b event.ID) []Link {
	i, ok1 := g.index[a]
	j, ok2 := g.index[b]
	if !ok1 || !ok2 || i == j {
		return nil
	}
	r := g.find(i)
	if g.find(j) != r {
		return nil
	}
	// Local numbers for the members, so that the search runs on slices.
	n := int(g.nodes[r].size)
	local := make(map[int32]int32, n)
	for m := r; ; {
		local[m] = int32(len(local))
		m = g.nodes[m].next
		if m == r {
			break
		}
	}
	var links []int32
	for h, k := g.nodes[r].links, g.nodes[r].links; ; {
		links = append(links, k)
		k = g.links[k].next
		if k == h {
			break
		}
	}
	slices.SortFunc(links, func(x, y int32) int {
		if c := cmp.Compare(g.links[x].kind, g.links[y].kind); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	// Adjacency in compressed rows, each row in the order of links.
	type step struct{ link, to int32 }
	start := make([]int32, n+1)
	for _, k := range links {
		start[local[g.links[k].a]+1]++
		start[local[g.links[k].b]+1]++
	}
	for v := range n {
		start[v+1] += start[v]
	}
	adj := make([]step, 2*len(links))
	fill := slices.Clone(start[:n])
	for _, k := range links {
		a, b := local[g.links[k].a], local[g.links[k].b]
		adj[fill[a]] = step{k, b}
		fill[a]++
		adj[fill[b]] = step{k, a}
		fill[b]++
	}
	// Breadth-first search from a: from[v] is the node v was reached from
	// and by[v] the link it was reached by.
	src, dst := local[i], local[j]
	from, by := make([]int32, n), make([]int32, n)
	for v := range from {
		from[v] = none
	}
	from[src] = src
	queue := make([]int32, 1, n)
	queue[0] = src
	for q := 0; q < len(queue) && from[dst] == none; q++ {
		u := queue[q]
		for _, s := range adj[start[u]:start[u+1]] {
			if from[s.to] == none {
				from[s.to], by[s.to] = u, s.link
				queue = append(queue, s.to)
			}
		}
	}
	if from[dst] == none {
		return nil // cannot happen while a cluster is connected
	}
	var out []Link
	for v := dst; v != src; v = from[v] {
		out = append(out, g.export(&g.links[by[v]]))
	}
	slices.Reverse(out)
	return out
}

// EachMember calls fn for each member of id's cluster (id included),
// without allocating, until fn returns false. Nothing if id is unknown. It
// starts with id, then follows the cluster's member list: an order that is
// the same for the same graph, not a sorted one (Members sorts). fn must
// not modify the graph.
func (g *Graph) EachMember(id event.ID, fn func(event.ID) bool) {
	i, ok := g.index[id]
	if !ok {
		return
	}
	for m := i; ; {
		if !fn(g.nodes[m].id) {
			return
		}
		m = g.nodes[m].next
		if m == i {
			return
		}
	}
}

// Stamp returns a fingerprint of id's cluster: its members and how often
// each was seen. It changes whenever a member joins or leaves or a sensor
// sees one again, so a reader may keep what it derived from a cluster
// while the stamp stays the same (0 if the graph does not know id).
func (g *Graph) Stamp(id event.ID) uint64 {
	i, ok := g.index[id]
	if !ok {
		return 0
	}
	var sum, mix uint64
	n := uint64(0)
	for m := i; ; {
		n++
		sum += uint64(g.nodes[m].seen)
		mix ^= splitmix(uint64(m))
		m = g.nodes[m].next
		if m == i {
			break
		}
	}
	return splitmix(n ^ splitmix(sum^splitmix(mix)))
}

// splitmix is SplitMix64's finaliser: a cheap, well-mixed hash of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

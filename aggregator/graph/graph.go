package graph

import (
	"cmp"
	"crypto/sha256"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"exhaust/event"
)

// EvidenceKind names why two identifiers were linked.
type EvidenceKind string

// The evidence kinds, from the strongest to the weakest.
const (
	// SameEvent: one event carried both identifiers (a ticket machine saw
	// the card and the pass, a wristband synced through a phone).
	SameEvent EvidenceKind = "same_event"
	// Joined: two sensors described one act (a card payment and a loyalty
	// basket at the same store, same amount, a minute apart).
	Joined EvidenceKind = "joined_records"
	// Cooccurrence: the identifiers were repeatedly seen at the same place
	// and time, more often than chance explains.
	Cooccurrence EvidenceKind = "cooccurrence"
)

// EvidenceKinds lists every evidence kind, strongest first.
var EvidenceKinds = []EvidenceKind{SameEvent, Joined, Cooccurrence}

// MaxLinkEvents is how many supporting event ids a link keeps: the most
// recent ones. Enough to show where a link comes from, few enough that links
// stay small (there are tens of them per person).
const MaxLinkEvents = 4

// Link is the evidence that two identifiers belong to the same person.
type Link struct {
	A, B     event.ID     // A < B (kind, then value)
	Kind     EvidenceKind // why they are linked
	Score    float64      // accumulated evidence weight
	Count    int          // observations supporting it
	EventIDs []string     // most recent supporting event ids, oldest first, at most MaxLinkEvents
	// FirstSeen and LastSeen bound the supporting observations.
	FirstSeen, LastSeen time.Time
	// Why is one human sentence, e.g. "card payment and loyalty basket at
	// shop:fnac-forum, same amount 54,70 €, 40 s apart".
	Why string
}

// Node is an identifier as the graph knows it.
type Node struct {
	ID        event.ID
	FirstSeen time.Time // first time a sensor saw it
	LastSeen  time.Time // last time a sensor saw it
	Seen      int       // observations (Touch calls)
}

// Stats counts what the graph holds.
type Stats struct {
	Identifiers       int                  `json:"identifiers"`
	IdentifiersByKind map[event.IDKind]int `json:"identifiers_by_kind"`
	Links             int                  `json:"links"`         // links, all kinds
	LinksByKind       map[EvidenceKind]int `json:"links_by_kind"` // links by evidence kind
	Clusters          int                  `json:"clusters"`      // connected clusters (profiles), singletons included
}

// CompareID orders identifiers by kind, then value: the order of Link.A and
// Link.B, of Members and of Roots.
func CompareID(a, b event.ID) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.Value, b.Value)
}

// none marks an absent index.
const none = -1

// node is a Node with its union-find and cluster-list fields.
type node struct {
	id          event.ID
	first, last int64 // unix nanoseconds, noTime when unset
	seen        int32
	parent      int32 // union-find parent (itself at a root)
	size        int32 // at a root: members
	next        int32 // circular list of the cluster's members
	min         int32 // at a root: the smallest member
	links       int32 // at a root: one link of the cluster's circular list, or none
}

// evID is a supporting event id: a UUID in 16 bytes, or, for the odd id that
// is not a canonical UUID, a hash of it whose text is in Graph.odd.
type evID struct {
	u   [16]byte
	odd bool
}

// link is a Link as stored: node indices and compact evidence.
type link struct {
	a, b        int32 // node indices, nodes[a].id < nodes[b].id
	next        int32 // circular list of the cluster's links
	kind        uint8 // index in EvidenceKinds
	nev         uint8 // event ids held
	dead        bool  // removed by Unlink: in no cluster's list, not saved
	count       int32
	score       float64
	first, last int64
	ev          [MaxLinkEvents]evID // oldest first
	why         string
}

type linkKey struct {
	a, b int32
	kind uint8
}

// Graph is the identity graph. The zero value is not usable; call New.
type Graph struct {
	index    map[event.ID]int32
	nodes    []node
	links    []link
	linkIdx  map[linkKey]int32
	odd      map[[16]byte]string
	clusters int
	// dead counts the links removed by Unlink. They stay in links, so
	// that no index moves and Save still writes links in the order they
	// were created; Load drops them.
	dead int
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{index: map[event.ID]int32{}, linkIdx: map[linkKey]int32{}, odd: map[[16]byte]string{}}
}

// noTime stands for the zero time.Time in the compact fields.
const noTime = math.MinInt64

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// kindName interns identifier kinds: decoded events carry fresh copies of
// the same few strings.
func kindName(k event.IDKind) event.IDKind {
	for _, v := range event.Kinds() {
		if v == k {
			return v
		}
	}
	return k
}

// add returns the index of id's node, creating it if needed.
func (g *Graph) add(id event.ID) int32 {
	if i, ok := g.index[id]; ok {
		return i
	}
	i := int32(len(g.nodes))
	id.Kind = kindName(id.Kind)
	g.nodes = append(g.nodes, node{id: id, first: noTime, last: noTime, parent: i, size: 1, next: i, min: i, links: none})
	g.index[id] = i
	g.clusters++
	return i
}

// Touch records that a sensor saw id at t, creating its node if needed,
// and returns the graph's own copy of id: callers that keep identifiers
// keep that one, so that a city's identifiers are held once, not once per
// event that carried them.
func (g *Graph) Touch(id event.ID, t time.Time) event.ID {
	h := g.add(id)
	n := &g.nodes[h]
	ts := nanos(t)
	if n.seen == 0 || n.first == noTime || ts < n.first {
		n.first = ts
	}
	if n.seen == 0 || n.last == noTime || ts > n.last {
		n.last = ts
	}
	n.seen++
	return n.id
}

// find returns the union-find root of i without modifying the graph, so that
// readers can share it.
func (g *Graph) find(i int32) int32 {
	for g.nodes[i].parent != i {
		i = g.nodes[i].parent
	}
	return i
}

// findCompress returns the root of i and shortens the path (writers only).
func (g *Graph) findCompress(i int32) int32 {
	r := g.find(i)
	for g.nodes[i].parent != r {
		next := g.nodes[i].parent
		g.nodes[i].parent = r
		i = next
	}
	return r
}

// union merges the clusters of a and b and returns the new root.
func (g *Graph) union(a, b int32) int32 {
	ra, rb := g.findCompress(a), g.findCompress(b)
	if ra == rb {
		return ra
	}
	if g.nodes[ra].size < g.nodes[rb].size {
		ra, rb = rb, ra
	}
	A, B := &g.nodes[ra], &g.nodes[rb]
	B.parent = ra
	A.size += B.size
	// Splice the circular member lists and link lists.
	A.next, B.next = B.next, A.next
	switch {
	case A.links == none:
		A.links = B.links
	case B.links != none:
		la, lb := &g.links[A.links], &g.links[B.links]
		la.next, lb.next = lb.next, la.next
	}
	B.links = none
	if CompareID(g.nodes[B.min].id, g.nodes[A.min].id) < 0 {
		A.min = B.min
	}
	g.clusters--
	return ra
}

func evidenceIndex(k EvidenceKind) (uint8, bool) {
	for i, v := range EvidenceKinds {
		if v == k {
			return uint8(i), true
		}
	}
	return 0, false
}

// Link adds the evidence l (creating the nodes if needed), or strengthens
// the existing link of the same two identifiers and kind: scores and counts
// add up, the time span widens, the newest event ids are kept and a
// non-empty Why replaces the old one. The two clusters become one. A link
// of an identifier to itself, or of an unknown evidence kind, is ignored.
func (g *Graph) Link(l Link) {
	kind, ok := evidenceIndex(l.Kind)
	c := CompareID(l.A, l.B)
	if !ok || c == 0 {
		return
	}
	if c > 0 {
		l.A, l.B = l.B, l.A
	}
	a, b := g.add(l.A), g.add(l.B)
	count := int32(max(l.Count, 1))
	first, last := nanos(l.FirstSeen), nanos(l.LastSeen)
	if last == noTime {
		last = first
	}
	if first == noTime {
		first = last
	}
	key := linkKey{a, b, kind}
	if i, ok := g.linkIdx[key]; ok {
		k := &g.links[i]
		k.score += l.Score
		k.count += count
		if first != noTime && (k.first == noTime || first < k.first) {
			k.first = first
		}
		if last != noTime && (k.last == noTime || last > k.last) {
			k.last = last
		}
		for _, e := range l.EventIDs {
			g.pushEvent(k, e)
		}
		if l.Why != "" {
			k.why = l.Why
		}
		return
	}
	i := int32(len(g.links))
	g.links = append(g.links, link{a: a, b: b, next: i, kind: kind, count: count, score: l.Score, first: first, last: last, why: l.Why})
	k := &g.links[i]
	for _, e := range l.EventIDs {
		g.pushEvent(k, e)
	}
	g.linkIdx[key] = i
	g.attach(i)
}

// attach unions the clusters of link i's ends and puts the link in the
// cluster's circular list of links.
func (g *Graph) attach(i int32) {
	k := &g.links[i]
	R := &g.nodes[g.union(k.a, k.b)]
	if R.links == none {
		R.links = i
		return
	}
	h := &g.links[R.links]
	k.next, h.next = h.next, i
}

// pushEvent appends event id s to k's sample, dropping the oldest when full
// and ignoring an id already held (a replayed event adds nothing).
func (g *Graph) pushEvent(k *link, s string) { g.pushID(k, g.encodeEvent(s)) }

// pushID is pushEvent of an encoded event id.
func (g *Graph) pushID(k *link, e evID) {
	for j := range k.nev {
		if k.ev[j] == e {
			return
		}
	}
	if int(k.nev) < MaxLinkEvents {
		k.ev[k.nev] = e
		k.nev++
		return
	}
	copy(k.ev[:], k.ev[1:])
	k.ev[MaxLinkEvents-1] = e
}

func (g *Graph) encodeEvent(s string) evID {
	if u, err := uuid.Parse(s); err == nil && u.String() == s {
		return evID{u: u}
	}
	h := sha256.Sum256([]byte(s))
	var e evID
	copy(e.u[:], h[:16])
	e.odd = true
	g.odd[e.u] = s
	return e
}

func (g *Graph) decodeEvent(e evID) string {
	if e.odd {
		return g.odd[e.u]
	}
	return uuid.UUID(e.u).String()
}

// export turns a stored link into a Link.
func (g *Graph) export(k *link) Link {
	l := Link{
		A: g.nodes[k.a].id, B: g.nodes[k.b].id,
		Kind: EvidenceKinds[k.kind], Score: k.score, Count: int(k.count),
		FirstSeen: fromNanos(k.first), LastSeen: fromNanos(k.last), Why: k.why,
	}
	if k.nev > 0 {
		l.EventIDs = make([]string, k.nev)
		for j := range k.nev {
			l.EventIDs[j] = g.decodeEvent(k.ev[j])
		}
	}
	return l
}

// Root returns the name of id's cluster, its smallest member, and whether
// the graph knows id.
func (g *Graph) Root(id event.ID) (event.ID, bool) {
	i, ok := g.index[id]
	if !ok {
		return event.ID{}, false
	}
	return g.nodes[g.nodes[g.find(i)].min].id, true
}

// Same reports whether a and b are known and in the same cluster.
func (g *Graph) Same(a, b event.ID) bool {
	i, ok := g.index[a]
	if !ok {
		return false
	}
	j, ok := g.index[b]
	return ok && g.find(i) == g.find(j)
}

// Size returns the number of members of id's cluster (0 if id is unknown).
func (g *Graph) Size(id event.ID) int {
	i, ok := g.index[id]
	if !ok {
		return 0
	}
	return int(g.nodes[g.find(i)].size)
}

// Members returns the identifiers of the cluster named root (see Root),
// sorted; nil if root names no cluster. Any member's id is accepted too.
func (g *Graph) Members(root event.ID) []event.ID {
	i, ok := g.index[root]
	if !ok {
		return nil
	}
	return g.membersOf(g.find(i))
}

func (g *Graph) membersOf(r int32) []event.ID {
	out := make([]event.ID, 0, g.nodes[r].size)
	for i := r; ; {
		out = append(out, g.nodes[i].id)
		i = g.nodes[i].next
		if i == r {
			break
		}
	}
	slices.SortFunc(out, CompareID)
	return out
}

// Roots returns the name of every cluster, sorted.
func (g *Graph) Roots() []event.ID {
	out := make([]event.ID, 0, g.clusters)
	for i := range g.nodes {
		if g.nodes[i].parent == int32(i) {
			out = append(out, g.nodes[g.nodes[i].min].id)
		}
	}
	slices.SortFunc(out, CompareID)
	return out
}

// Clusters returns every cluster's members (each sorted), clusters sorted
// by their name.
func (g *Graph) Clusters() [][]event.ID {
	var out [][]event.ID
	for i := range g.nodes {
		if g.nodes[i].parent == int32(i) {
			out = append(out, g.membersOf(int32(i)))
		}
	}
	slices.SortFunc(out, func(a, b []event.ID) int { return CompareID(a[0], b[0]) })
	return out
}

// Links returns the links inside the cluster of root (any member's id is
// accepted), sorted by A, B and kind.
func (g *Graph) Links(root event.ID) []Link {
	i, ok := g.index[root]
	if !ok {
		return nil
	}
	r := g.find(i)
	h := g.nodes[r].links
	if h == none {
		return nil
	}
	var out []Link
	for j := h; ; {
		out = append(out, g.export(&g.links[j]))
		j = g.links[j].next
		if j == h {
			break
		}
	}
	slices.SortFunc(out, compareLinks)
	return out
}

func compareLinks(x, y Link) int {
	if c := CompareID(x.A, y.A); c != 0 {
		return c
	}
	if c := CompareID(x.B, y.B); c != 0 {
		return c
	}
	return cmp.Compare(x.Kind, y.Kind)
}

// LinkBetween returns the link of kind between a and b, if there is one.
func (g *Graph) LinkBetween(a, b event.ID, kind EvidenceKind) (Link, bool) {
	k, ok := evidenceIndex(kind)
	if !ok {
		return Link{}, false
	}
	if CompareID(a, b) > 0 {
		a, b = b, a
	}
	i, ok1 := g.index[a]
	j, ok2 := g.index[b]
	if !ok1 || !ok2 {
		return Link{}, false
	}
	li, ok := g.linkIdx[linkKey{i, j, k}]
	if !ok {
		return Link{}, false
	}
	return g.export(&g.links[li]), true
}

// Node returns what the graph knows of id.
func (g *Graph) Node(id event.ID) (Node, bool) {
	i, ok := g.index[id]
	if !ok {
		return Node{}, false
	}
	n := &g.nodes[i]
	return Node{ID: n.id, FirstSeen: fromNanos(n.first), LastSeen: fromNanos(n.last), Seen: int(n.seen)}, true
}

// Stats counts identifiers by kind, links by evidence kind and clusters.
func (g *Graph) Stats() Stats {
	s := Stats{
		Identifiers:       len(g.nodes),
		IdentifiersByKind: map[event.IDKind]int{},
		Links:             len(g.links) - g.dead,
		LinksByKind:       map[EvidenceKind]int{},
		Clusters:          g.clusters,
	}
	for i := range g.nodes {
		s.IdentifiersByKind[g.nodes[i].id.Kind]++
	}
	for i := range g.links {
		if !g.links[i].dead {
			s.LinksByKind[EvidenceKinds[g.links[i].kind]]++
		}
	}
	return s
}

// ClustersBy returns the clustering that links of one evidence kind alone
// would give: every identifier of the graph, in clusters (each sorted,
// clusters sorted by their smallest member), singletons included. Scoring
// it tells what each kind of evidence contributes.
func (g *Graph) ClustersBy(kind EvidenceKind) [][]event.ID {
	k, ok := evidenceIndex(kind)
	parent := make([]int32, len(g.nodes))
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(i int32) int32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	if ok {
		for i := range g.links {
			if l := &g.links[i]; l.kind == k && !l.dead {
				ra, rb := find(l.a), find(l.b)
				if ra != rb {
					parent[ra] = rb
				}
			}
		}
	}
	groups := map[int32][]event.ID{}
	for i := range g.nodes {
		r := find(int32(i))
		groups[r] = append(groups[r], g.nodes[i].id)
	}
	out := make([][]event.ID, 0, len(groups))
	for _, m := range groups {
		slices.SortFunc(m, CompareID)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b []event.ID) int { return CompareID(a[0], b[0]) })
	return out
}

// Handle returns id's node number, or -1 if the graph does not know id.
// A handle never changes for the life of the graph, and Load gives every
// node the handle it had when saved (nodes are saved in creation order),
// so callers may keep handles instead of hashing identifiers again.
func (g *Graph) Handle(id event.ID) int32 {
	if i, ok := g.index[id]; ok {
		return i
	}
	return -1
}

// ClusterOf returns the handle of the node that stands for h's cluster
// in the union-find: equal for two handles exactly when they are in one
// cluster, until the next Link or Unlink. It is not the cluster's name
// (see Root).
func (g *Graph) ClusterOf(h int32) int32 { return g.find(h) }

// IDOf returns the identifier of handle h.
func (g *Graph) IDOf(h int32) event.ID { return g.nodes[h].id }

// SizeOf returns the number of members of the cluster of handle h.
func (g *Graph) SizeOf(h int32) int { return int(g.nodes[g.find(h)].size) }

// EachHandle is EachMember by handles: it calls fn for the handle of each
// member of h's cluster, h first, until fn returns false.
func (g *Graph) EachHandle(h int32, fn func(int32) bool) {
	for m := h; ; {
		if !fn(m) {
			return
		}
		m = g.nodes[m].next
		if m == h {
			return
		}
	}
}

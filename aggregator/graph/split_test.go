package graph_test

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Identifiers sort card < email < imei < imsi < mac < pass < ticket.

func TestUnlink(t *testing.T) {
	chain := []graph.Link{
		link(card, pass, graph.SameEvent, t0, ev1),
		link(pass, imsi, graph.Cooccurrence, t0, ev2),
	}
	cycle := append(slices.Clone(chain), link(imsi, card, graph.Joined, t0, ev3))
	double := []graph.Link{
		link(card, pass, graph.SameEvent, t0, ev1),
		link(card, pass, graph.Cooccurrence, t0, ev2),
	}
	tests := []struct {
		name     string
		links    []graph.Link
		a, b     event.ID
		kind     graph.EvidenceKind
		removed  []graph.Link
		clusters [][]event.ID // every cluster afterwards
	}{
		{
			name: "a chain splits", links: chain, a: card, b: pass, kind: graph.SameEvent,
			removed:  chain[:1],
			clusters: [][]event.ID{{card}, {imsi, pass}, {ticket}},
		},
		{
			name: "arguments in either order", links: chain, a: pass, b: card, kind: graph.SameEvent,
			removed:  chain[:1],
			clusters: [][]event.ID{{card}, {imsi, pass}, {ticket}},
		},
		{
			name: "a chain splits in its middle", links: append(slices.Clone(chain), link(imsi, imei, graph.SameEvent, t0, ev3)),
			a: imsi, b: pass, kind: graph.Cooccurrence,
			removed:  chain[1:],
			clusters: [][]event.ID{{card, pass}, {imei, imsi}, {ticket}},
		},
		{
			name: "a cycle keeps it connected", links: cycle, a: card, b: pass, kind: graph.SameEvent,
			removed:  cycle[:1],
			clusters: [][]event.ID{{card, imsi, pass}, {ticket}},
		},
		{
			name: "another kind keeps it connected", links: double, a: card, b: pass, kind: graph.SameEvent,
			removed:  double[:1],
			clusters: [][]event.ID{{card, pass}, {ticket}},
		},
		{
			name: "every kind at once", links: double, a: card, b: pass, kind: "",
			removed:  double,
			clusters: [][]event.ID{{card}, {pass}, {ticket}},
		},
		{
			name: "no link of that kind", links: chain, a: card, b: pass, kind: graph.Joined,
			clusters: [][]event.ID{{card, imsi, pass}, {ticket}},
		},
		{
			name: "no link between them", links: chain, a: card, b: imsi, kind: "",
			clusters: [][]event.ID{{card, imsi, pass}, {ticket}},
		},
		{
			name: "an unknown evidence kind", links: chain, a: card, b: pass, kind: "hunch",
			clusters: [][]event.ID{{card, imsi, pass}, {ticket}},
		},
		{
			name: "an unknown identifier", links: chain, a: card, b: email, kind: "",
			clusters: [][]event.ID{{card, imsi, pass}, {ticket}},
		},
		{
			name: "an identifier to itself", links: chain, a: card, b: card, kind: "",
			clusters: [][]event.ID{{card, imsi, pass}, {ticket}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New()
			g.Touch(ticket, t0)
			for _, l := range tt.links {
				g.Link(l)
			}
			removed := g.Unlink(tt.a, tt.b, tt.kind)
			if !slices.EqualFunc(removed, tt.removed, asGiven) {
				t.Errorf("Unlink returned %+v\nwant %+v", removed, tt.removed)
			}
			for _, l := range tt.removed {
				if _, ok := g.LinkBetween(l.A, l.B, l.Kind); ok {
					t.Errorf("LinkBetween finds the removed %s link %v-%v", l.Kind, l.A, l.B)
				}
			}
			var remaining []graph.Link
			for _, l := range tt.links {
				if !slices.ContainsFunc(tt.removed, func(r graph.Link) bool { return sameLink(l, r) }) {
					remaining = append(remaining, l)
				}
			}
			checkClusters(t, g, tt.clusters, remaining)
		})
	}
}

// checkClusters checks every view of the clusters against want, and the
// links of each cluster against links, the links that remain.
func checkClusters(t *testing.T, g *graph.Graph, want [][]event.ID, links []graph.Link) {
	t.Helper()
	if got := g.Clusters(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Clusters = %v, want %v", got, want)
	}
	var roots []event.ID
	for _, c := range want {
		roots = append(roots, c[0])
		for _, m := range c {
			if r, ok := g.Root(m); !ok || r != c[0] {
				t.Errorf("Root(%v) = %v, %v, want %v", m, r, ok, c[0])
			}
			if got := g.Members(m); !slices.Equal(got, c) {
				t.Errorf("Members(%v) = %v, want %v", m, got, c)
			}
			if got := g.Size(m); got != len(c) {
				t.Errorf("Size(%v) = %d, want %d", m, got, len(c))
			}
			if !g.Same(m, c[0]) {
				t.Errorf("Same(%v, %v) = false", m, c[0])
			}
		}
		var in []graph.Link
		for _, l := range links {
			if slices.Contains(c, l.A) {
				in = append(in, normal(l))
			}
		}
		slices.SortFunc(in, compareLinks)
		if got := g.Links(c[0]); !slices.EqualFunc(got, in, linksEqual) {
			t.Errorf("Links(%v) = %+v\nwant %+v", c[0], got, in)
		}
	}
	if got := g.Roots(); !slices.Equal(got, roots) {
		t.Errorf("Roots = %v, want %v", got, roots)
	}
	for i := 1; i < len(want); i++ {
		if g.Same(want[i-1][0], want[i][0]) {
			t.Errorf("Same(%v, %v) = true across clusters", want[i-1][0], want[i][0])
		}
	}
	st := g.Stats()
	if st.Clusters != len(want) || st.Links != len(links) {
		t.Errorf("Stats: %d clusters, %d links; want %d, %d", st.Clusters, st.Links, len(want), len(links))
	}
	for _, k := range graph.EvidenceKinds {
		n := 0
		for _, l := range links {
			if l.Kind == k {
				n++
			}
		}
		if st.LinksByKind[k] != n {
			t.Errorf("Stats: %d %s links, want %d", st.LinksByKind[k], k, n)
		}
	}
}

// normal puts l's ends in the graph's order, A < B.
func normal(l graph.Link) graph.Link {
	if graph.CompareID(l.A, l.B) > 0 {
		l.A, l.B = l.B, l.A
	}
	return l
}

// asGiven reports whether the graph's link got is want, as given to Link.
func asGiven(got, want graph.Link) bool { return linksEqual(got, normal(want)) }

func sameLink(x, y graph.Link) bool {
	x, y = normal(x), normal(y)
	return x.A == y.A && x.B == y.B && x.Kind == y.Kind
}

func compareLinks(x, y graph.Link) int {
	if c := graph.CompareID(x.A, y.A); c != 0 {
		return c
	}
	if c := graph.CompareID(x.B, y.B); c != 0 {
		return c
	}
	return cmp.Compare(x.Kind, y.Kind)
}

func TestUnlinkKeepsNames(t *testing.T) {
	// card is the cluster's name; after the split the part holding card
	// keeps it and the other part is named by its own smallest member.
	g := graph.New()
	g.Link(link(card, pass, graph.SameEvent, t0, ev1))
	g.Link(link(pass, imsi, graph.Cooccurrence, t0, ev2))
	g.Link(link(imsi, imei, graph.SameEvent, t0, ev3))
	g.Link(link(imei, mac, graph.SameEvent, t0, ev4))
	if r, _ := g.Root(mac); r != card {
		t.Fatalf("Root(mac) = %v before the split, want %v", r, card)
	}
	g.Unlink(pass, imsi, graph.Cooccurrence)
	for _, tt := range []struct{ id, root event.ID }{{card, card}, {pass, card}, {imsi, imei}, {imei, imei}, {mac, imei}} {
		if r, _ := g.Root(tt.id); r != tt.root {
			t.Errorf("Root(%v) = %v, want %v", tt.id, r, tt.root)
		}
	}
}

func TestRelinkIsNew(t *testing.T) {
	g := graph.New()
	g.Link(graph.Link{A: card, B: pass, Kind: graph.Joined, Score: 5, Count: 7, EventIDs: []string{ev1, ev2}, FirstSeen: t0, Why: "old"})
	g.Unlink(card, pass, graph.Joined)
	fresh := link(card, pass, graph.Joined, t0.Add(1e9), ev3)
	g.Link(fresh)
	got, ok := g.LinkBetween(pass, card, graph.Joined)
	if !ok || !asGiven(got, fresh) {
		t.Errorf("LinkBetween after Unlink and Link = %+v, %v\nwant %+v", got, ok, fresh)
	}
	checkClusters(t, g, [][]event.ID{{card, pass}}, []graph.Link{fresh})
	// Removed again, nothing of either link is left.
	if removed := g.Unlink(card, pass, ""); len(removed) != 1 || !asGiven(removed[0], fresh) {
		t.Errorf("second Unlink removed %+v, want the new link", removed)
	}
	checkClusters(t, g, [][]event.ID{{card}, {pass}}, nil)
}

func TestStatsAndClustersByAfterSplit(t *testing.T) {
	g := graph.New()
	g.Touch(ticket, t0)
	g.Link(link(imsi, imei, graph.SameEvent, t0, ev1))
	g.Link(link(card, pass, graph.SameEvent, t0, ev2))
	g.Link(link(card, email, graph.Joined, t0, ev3))
	g.Link(link(pass, imsi, graph.Cooccurrence, t0, ev4))
	g.Link(link(pass, email, graph.Cooccurrence, t0, ev5))
	g.Unlink(imsi, pass, "")
	g.Unlink(card, email, graph.Joined)

	st := g.Stats()
	wantByKind := map[graph.EvidenceKind]int{graph.SameEvent: 2, graph.Cooccurrence: 1}
	if st.Identifiers != 6 || st.Links != 3 || st.Clusters != 3 {
		t.Errorf("Stats = %+v, want 6 identifiers, 3 links, 3 clusters", st)
	}
	for _, k := range graph.EvidenceKinds {
		if st.LinksByKind[k] != wantByKind[k] {
			t.Errorf("Stats.LinksByKind[%s] = %d, want %d", k, st.LinksByKind[k], wantByKind[k])
		}
	}
	tests := []struct {
		kind graph.EvidenceKind
		want [][]event.ID
	}{
		{graph.SameEvent, [][]event.ID{{card, pass}, {email}, {imei, imsi}, {ticket}}},
		{graph.Joined, [][]event.ID{{card}, {email}, {imei}, {imsi}, {pass}, {ticket}}},
		{graph.Cooccurrence, [][]event.ID{{card}, {email, pass}, {imei}, {imsi}, {ticket}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if got := g.ClustersBy(tt.kind); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("ClustersBy(%s) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
	if got, want := g.Clusters(), [][]event.ID{{card, email, pass}, {imei, imsi}, {ticket}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Clusters = %v, want %v", got, want)
	}
}

func TestPath(t *testing.T) {
	// card -SE- pass -CO- imsi -SE- imei, and card -JO- email -JO- imsi:
	// two paths of three links from card to imei. card and pass are also
	// linked by co-occurrence; ticket is alone.
	g := graph.New()
	g.Touch(ticket, t0)
	cp := link(card, pass, graph.SameEvent, t0, ev1)
	pi := link(pass, imsi, graph.Cooccurrence, t0, ev2)
	ii := link(imsi, imei, graph.SameEvent, t0, ev3)
	ce := link(card, email, graph.Joined, t0, ev4)
	ei := link(email, imsi, graph.Joined, t0, ev5)
	cpCo := link(card, pass, graph.Cooccurrence, t0, ev5)
	for _, l := range []graph.Link{cpCo, ce, ei, cp, pi, ii} {
		g.Link(l)
	}
	tests := []struct {
		name   string
		unlink [][2]event.ID // pairs to unlink first, every kind
		a, b   event.ID
		want   []graph.Link
	}{
		{name: "neighbours, the strongest kind", a: pass, b: card, want: []graph.Link{cp}},
		{name: "stronger kinds are tried first", a: card, b: imei, want: []graph.Link{cp, pi, ii}},
		{name: "in order from a", a: imei, b: card, want: []graph.Link{ii, ei, ce}},
		{name: "two links", a: pass, b: email, want: []graph.Link{cp, ce}},
		{name: "around a removed link", unlink: [][2]event.ID{{card, pass}}, a: card, b: imei, want: []graph.Link{ce, ei, ii}},
		{name: "the long way round", unlink: [][2]event.ID{{card, email}}, a: email, b: card, want: []graph.Link{ei, pi, cp}},
		{name: "itself", a: card, b: card},
		{name: "an unknown identifier", a: card, b: mac},
		{name: "another cluster", a: card, b: ticket},
		{name: "split apart", unlink: [][2]event.ID{{imsi, imei}}, a: card, b: imei},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := clone(t, g)
			for _, p := range tt.unlink {
				if h.Unlink(p[0], p[1], "") == nil {
					t.Fatalf("Unlink(%v, %v) removed nothing", p[0], p[1])
				}
			}
			got := h.Path(tt.a, tt.b)
			if !slices.EqualFunc(got, tt.want, asGiven) {
				t.Errorf("Path(%v, %v) = %v\nwant %v", tt.a, tt.b, brief(got), brief(tt.want))
			}
		})
	}
}

// brief shows links as "a-b kind".
func brief(ls []graph.Link) []string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%s-%s %s", l.A.Value, l.B.Value, l.Kind))
	}
	return out
}

// clone copies g through Save and Load.
func clone(tb testing.TB, g *graph.Graph) *graph.Graph {
	tb.Helper()
	var b bytes.Buffer
	if err := g.Save(&b); err != nil {
		tb.Fatal(err)
	}
	h := graph.New()
	if err := h.Load(&b); err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestEachMember(t *testing.T) {
	g := graph.New()
	g.Link(link(card, pass, graph.SameEvent, t0, ev1))
	g.Link(link(pass, imsi, graph.Cooccurrence, t0, ev2))
	g.Link(link(imsi, imei, graph.SameEvent, t0, ev3))
	g.Touch(ticket, t0)

	var seen []event.ID
	g.EachMember(imsi, func(id event.ID) bool { seen = append(seen, id); return true })
	if len(seen) == 0 || seen[0] != imsi {
		t.Errorf("EachMember(imsi) starts with %v, want imsi", seen)
	}
	slices.SortFunc(seen, graph.CompareID)
	if want := g.Members(imsi); !slices.Equal(seen, want) {
		t.Errorf("EachMember(imsi) visits %v, want %v", seen, want)
	}

	n := 0
	g.EachMember(imsi, func(event.ID) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("EachMember called fn %d times after it returned false on the 2nd, want 2", n)
	}
	n = 0
	g.EachMember(ticket, func(event.ID) bool { n++; return true })
	if n != 1 {
		t.Errorf("EachMember(ticket) called fn %d times, want 1", n)
	}
	g.EachMember(mac, func(event.ID) bool { t.Error("EachMember called fn for an unknown identifier"); return true })

	g.Unlink(pass, imsi, "")
	n = 0
	g.EachMember(imei, func(event.ID) bool { n++; return true })
	if n != 2 {
		t.Errorf("EachMember(imei) after the split called fn %d times, want 2", n)
	}

	count := func(event.ID) bool { n++; return true }
	if allocs := testing.AllocsPerRun(100, func() { g.EachMember(card, count) }); allocs != 0 {
		t.Errorf("EachMember allocates %v times per call", allocs)
	}
}

// splitGraph is build(60) with some of its clusters joined, then split
// again in other places.
func splitGraph() *graph.Graph {
	g := build(60)
	// Join some of build's small clusters, then take links out.
	for i := range 20 {
		a := id(event.Pass, fmt.Sprintf("NAV-%03d", i))
		b := id(event.Card, fmt.Sprintf("tok_%03d", i+1))
		g.Link(link(a, b, graph.Joined, t0, ev3))
	}
	for i := 0; i < 20; i += 3 {
		g.Unlink(id(event.Card, fmt.Sprintf("tok_%03d", i)), id(event.Pass, fmt.Sprintf("NAV-%03d", i)), "")
		g.Unlink(id(event.Pass, fmt.Sprintf("NAV-%03d", i+1)), id(event.Card, fmt.Sprintf("tok_%03d", i+2)), graph.Joined)
	}
	g.Unlink(id(event.Pass, "NAV-003"), id(event.IMSI, "2080003"), graph.Cooccurrence)
	return g
}

func TestSplitsAreDeterministic(t *testing.T) {
	same(t, splitGraph(), splitGraph())
}

func TestSaveLoadAfterSplits(t *testing.T) {
	g := splitGraph()
	// build's 60 clusters, joined by 20 links into 40 clusters.
	if st := g.Stats(); st.Clusters <= 40 {
		t.Fatalf("splitGraph has %d clusters, want more than the 40 before the splits", st.Clusters)
	}
	var b bytes.Buffer
	if err := g.Save(&b); err != nil {
		t.Fatal(err)
	}
	saved := bytes.Clone(b.Bytes())
	h := graph.New()
	if err := h.Load(&b); err != nil {
		t.Fatal(err)
	}
	same(t, g, h)
	var b2 bytes.Buffer
	if err := h.Save(&b2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, b2.Bytes()) {
		t.Error("Save after Load differs from the snapshot")
	}

	// Both go on identically: a removed link comes back, another goes.
	for _, x := range []*graph.Graph{g, h} {
		x.Link(link(id(event.Card, "tok_000"), id(event.Pass, "NAV-000"), graph.SameEvent, t0, ev5))
		x.Unlink(id(event.Pass, "NAV-004"), id(event.Card, "tok_005"), "")
	}
	same(t, g, h)
}

// same checks that g and h hold the same graph, down to the order
// EachMember visits members in and the paths Path finds.
func same(t *testing.T, g, h *graph.Graph) {
	t.Helper()
	var sg, sh bytes.Buffer
	if err := g.Save(&sg); err != nil {
		t.Fatal(err)
	}
	if err := h.Save(&sh); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sg.Bytes(), sh.Bytes()) {
		t.Error("Save bytes differ")
	}
	if fmt.Sprint(g.Stats()) != fmt.Sprint(h.Stats()) {
		t.Errorf("Stats differ: %+v, %+v", g.Stats(), h.Stats())
	}
	if !slices.EqualFunc(g.Clusters(), h.Clusters(), slices.Equal) {
		t.Error("clusters differ")
	}
	for _, k := range graph.EvidenceKinds {
		if !slices.EqualFunc(g.ClustersBy(k), h.ClustersBy(k), slices.Equal) {
			t.Errorf("ClustersBy(%s) differs", k)
		}
	}
	for _, c := range g.Clusters() {
		if !slices.EqualFunc(g.Links(c[0]), h.Links(c[0]), linksEqual) {
			t.Errorf("links of %v differ", c[0])
		}
		if !slices.Equal(order(g, c[0]), order(h, c[0])) {
			t.Errorf("EachMember(%v) order differs: %v, %v", c[0], order(g, c[0]), order(h, c[0]))
		}
		last := c[len(c)-1]
		if !slices.EqualFunc(g.Path(c[0], last), h.Path(c[0], last), linksEqual) {
			t.Errorf("Path(%v, %v) differs", c[0], last)
		}
	}
}

func order(g *graph.Graph, id event.ID) []event.ID {
	var out []event.ID
	g.EachMember(id, func(m event.ID) bool { out = append(out, m); return true })
	return out
}

// TestLoadVersion3 loads a snapshot of this format (testdata/v3.bin,
// build(20), written with -update): it loads and saves again to the same
// bytes, so a change of the format cannot go unnoticed.
func TestLoadVersion3(t *testing.T) {
	golden := filepath.Join("testdata", "v3.bin")
	if *update {
		var b bytes.Buffer
		if err := build(20).Save(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New()
	if err := g.Load(bytes.NewReader(data)); err != nil {
		t.Fatalf("Load of a version 3 snapshot: %v", err)
	}
	same(t, g, build(20))
	var b bytes.Buffer
	if err := g.Save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), data) {
		t.Error("Save of a loaded version 3 snapshot gives other bytes")
	}
}

// TestLoadGob refuses the snapshots of the formats before, written with
// gob (testdata/v1.gob and v2.gob, build(20)), with one line that says
// what they are and what to do.
func TestLoadGob(t *testing.T) {
	for _, name := range []string{"v1.gob", "v2.gob"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			g := build(3)
			before := g.Stats()
			err = g.Load(bytes.NewReader(data))
			if err == nil || !strings.Contains(err.Error(), "not an identity graph part of version 3") ||
				!strings.Contains(err.Error(), "gob") || !strings.Contains(err.Error(), "delete the snapshot") ||
				strings.Contains(err.Error(), "\n") {
				t.Errorf("Load of a gob snapshot: %v, want one line naming version 3, gob and what to do", err)
			}
			if fmt.Sprint(g.Stats()) != fmt.Sprint(before) {
				t.Error("a refused Load changed the graph")
			}
		})
	}
}

// BenchmarkUnlink removes a link of a three-member cluster and gives it
// back, in graphs of growing size: the cost should not grow with them.
func BenchmarkUnlink(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			g := build(n)
			c, p := id(event.Card, "tok_000"), id(event.Pass, "NAV-000")
			l, _ := g.LinkBetween(c, p, graph.SameEvent)
			b.ReportAllocs()
			for b.Loop() {
				g.Unlink(c, p, graph.SameEvent)
				g.Link(l)
			}
		})
	}
}

func TestHandles(t *testing.T) {
	g := graph.New()
	a, b, c := event.ID{Kind: event.Card, Value: "a"}, event.ID{Kind: event.IMSI, Value: "b"}, event.ID{Kind: event.Pass, Value: "c"}
	if g.Handle(a) != -1 {
		t.Fatal("a handle for an unknown identifier")
	}
	g.Link(graph.Link{A: a, B: b, Kind: graph.SameEvent})
	g.Touch(c, t0)
	ha, hb, hc := g.Handle(a), g.Handle(b), g.Handle(c)
	if ha < 0 || hb < 0 || hc < 0 || g.IDOf(ha) != a || g.IDOf(hc) != c {
		t.Fatalf("handles %d %d %d do not give their identifiers back", ha, hb, hc)
	}
	if g.ClusterOf(ha) != g.ClusterOf(hb) || g.ClusterOf(ha) == g.ClusterOf(hc) {
		t.Error("ClusterOf does not tell clusters apart")
	}
	g.Unlink(a, b, "")
	if g.ClusterOf(ha) == g.ClusterOf(hb) {
		t.Error("ClusterOf still joins a split cluster")
	}
	var buf bytes.Buffer
	if err := g.Save(&buf); err != nil {
		t.Fatal(err)
	}
	h := graph.New()
	if err := h.Load(&buf); err != nil {
		t.Fatal(err)
	}
	for _, id := range []event.ID{a, b, c} {
		if h.Handle(id) != g.Handle(id) {
			t.Errorf("%v: handle %d after Load, %d before", id, h.Handle(id), g.Handle(id))
		}
	}
}

// TestSaveLoadParts saves a graph of more nodes and links than one part
// of a snapshot holds, with links removed, and loads it back the same.
func TestSaveLoadParts(t *testing.T) {
	g := build(1500)
	g.Unlink(id(event.Card, "tok_000"), id(event.Pass, "NAV-000"), "")
	var b bytes.Buffer
	if err := g.Save(&b); err != nil {
		t.Fatal(err)
	}
	h := graph.New()
	if err := h.Load(bytes.NewReader(b.Bytes())); err != nil {
		t.Fatal(err)
	}
	same(t, g, h)
	if err := graph.New().Load(bytes.NewReader(b.Bytes()[:b.Len()-100])); err == nil {
		t.Error("Load of a cut snapshot succeeded")
	}
}

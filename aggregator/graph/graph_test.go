package graph_test

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func id(k event.IDKind, v string) event.ID { return event.ID{Kind: k, Value: v} }

var (
	imsi   = id(event.IMSI, "208010000000001")
	imei   = id(event.IMEI, "353976113239499")
	card   = id(event.Card, "tok_1")
	pass   = id(event.Pass, "NAV-1")
	email  = id(event.Email, "claire@example.net")
	mac    = id(event.MAC, "3c:22:fb:ca:10:b2")
	ticket = id(event.Ticket, "TKT-1")
)

const (
	ev1 = "190ef733-6c77-4d5b-89cd-6c648bf03ba4"
	ev2 = "0c2b7fd2-286b-44f4-b204-c27ab9a607ac"
	ev3 = "8b706d36-2e85-4ac0-bad4-d2bb4740f92d"
	ev4 = "ab27adbb-dcb4-4178-b98c-23fe93c9f61b"
	ev5 = "9874e927-6bba-483f-a221-80c6294e2668"
)

func link(a, b event.ID, kind graph.EvidenceKind, at time.Time, evs ...string) graph.Link {
	return graph.Link{A: a, B: b, Kind: kind, Score: 1, Count: 1, EventIDs: evs, FirstSeen: at, LastSeen: at, Why: fmt.Sprintf("%s %s", a.Kind, b.Kind)}
}

func TestClusters(t *testing.T) {
	tests := []struct {
		name      string
		links     []graph.Link
		wantRoots []event.ID
		members   map[event.ID][]event.ID // any member → its cluster
	}{
		{
			name:      "nothing linked",
			wantRoots: []event.ID{card, imsi},
			members:   map[event.ID][]event.ID{card: {card}, imsi: {imsi}},
		},
		{
			name:      "one link, root is the smallest member",
			links:     []graph.Link{link(pass, card, graph.SameEvent, t0, ev1)},
			wantRoots: []event.ID{card, imsi},
			members:   map[event.ID][]event.ID{pass: {card, pass}, imsi: {imsi}},
		},
		{
			name: "a chain of kinds makes one cluster",
			links: []graph.Link{
				link(imsi, imei, graph.SameEvent, t0, ev1),
				link(card, pass, graph.SameEvent, t0, ev2),
				link(pass, imsi, graph.Cooccurrence, t0, ev3),
				link(email, mac, graph.SameEvent, t0, ev4),
			},
			wantRoots: []event.ID{card, email},
			members:   map[event.ID][]event.ID{imei: {card, imei, imsi, pass}, mac: {email, mac}},
		},
		{
			name:      "a link to itself is ignored",
			links:     []graph.Link{link(card, card, graph.SameEvent, t0, ev1)},
			wantRoots: []event.ID{card, imsi},
			members:   map[event.ID][]event.ID{card: {card}},
		},
		{
			name:      "an unknown evidence kind is ignored",
			links:     []graph.Link{{A: card, B: pass, Kind: "hunch"}},
			wantRoots: []event.ID{card, imsi},
			members:   map[event.ID][]event.ID{card: {card}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New()
			g.Touch(card, t0)
			g.Touch(imsi, t0)
			for _, l := range tt.links {
				g.Link(l)
			}
			if got := g.Roots(); !slices.Equal(got, tt.wantRoots) {
				t.Errorf("Roots = %v, want %v", got, tt.wantRoots)
			}
			for m, want := range tt.members {
				if got := g.Members(m); !slices.Equal(got, want) {
					t.Errorf("Members(%v) = %v, want %v", m, got, want)
				}
				root, ok := g.Root(m)
				if !ok || root != want[0] {
					t.Errorf("Root(%v) = %v, %v, want %v", m, root, ok, want[0])
				}
				if got := g.Size(m); got != len(want) {
					t.Errorf("Size(%v) = %d, want %d", m, got, len(want))
				}
			}
			if got := g.Stats().Clusters; got != len(tt.wantRoots) {
				t.Errorf("Stats().Clusters = %d, want %d", got, len(tt.wantRoots))
			}
			var all [][]event.ID
			for _, r := range g.Roots() {
				all = append(all, g.Members(r))
			}
			if got := g.Clusters(); !slices.EqualFunc(got, all, slices.Equal) {
				t.Errorf("Clusters = %v, want %v", got, all)
			}
		})
	}
}

func TestLinkMergesEvidence(t *testing.T) {
	g := graph.New()
	g.Link(graph.Link{A: pass, B: card, Kind: graph.SameEvent, Score: 1, EventIDs: []string{ev1}, FirstSeen: t0.Add(time.Hour), Why: "first"})
	g.Link(graph.Link{A: card, B: pass, Kind: graph.SameEvent, Score: 2, Count: 3, EventIDs: []string{ev2, ev3}, FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour)})
	g.Link(graph.Link{A: card, B: pass, Kind: graph.SameEvent, Score: 0.5, EventIDs: []string{ev3, ev4, ev5, "not-a-uuid"}, FirstSeen: t0.Add(30 * time.Minute), Why: "latest"})
	g.Link(graph.Link{A: card, B: pass, Kind: graph.Cooccurrence, Score: 7, EventIDs: []string{ev1}, FirstSeen: t0})

	links := g.Links(pass)
	if len(links) != 2 {
		t.Fatalf("Links = %d links, want 2 (one per evidence kind): %+v", len(links), links)
	}
	// A replayed event id is not held twice; the newest MaxLinkEvents are
	// kept.
	want := graph.Link{
		A: card, B: pass, Kind: graph.SameEvent, Score: 3.5, Count: 5,
		EventIDs:  []string{ev1, ev2, ev3, ev4, ev5, "not-a-uuid"}[6-graph.MaxLinkEvents:],
		FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour), Why: "latest",
	}
	got := links[1]
	if links[0].Kind == graph.SameEvent {
		got = links[0]
	}
	if got.A != want.A || got.B != want.B || got.Score != want.Score || got.Count != want.Count ||
		!got.FirstSeen.Equal(want.FirstSeen) || !got.LastSeen.Equal(want.LastSeen) || got.Why != want.Why ||
		!slices.Equal(got.EventIDs, want.EventIDs) {
		t.Errorf("merged link = %+v\nwant %+v", got, want)
	}
	if k, ok := g.LinkBetween(pass, card, graph.Cooccurrence); !ok || k.Score != 7 {
		t.Errorf("LinkBetween(cooccurrence) = %+v, %v", k, ok)
	}
	if _, ok := g.LinkBetween(pass, card, graph.Joined); ok {
		t.Error("LinkBetween(joined) found a link that was never made")
	}
	st := g.Stats()
	if st.Links != 2 || st.LinksByKind[graph.SameEvent] != 1 || st.LinksByKind[graph.Cooccurrence] != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestTouch(t *testing.T) {
	g := graph.New()
	g.Touch(card, t0.Add(time.Hour))
	g.Touch(card, t0)
	g.Touch(card, t0.Add(2*time.Hour))
	n, ok := g.Node(card)
	if !ok || n.Seen != 3 || !n.FirstSeen.Equal(t0) || !n.LastSeen.Equal(t0.Add(2*time.Hour)) || n.ID != card {
		t.Errorf("Node = %+v, %v", n, ok)
	}
	if _, ok := g.Node(pass); ok {
		t.Error("Node of an unseen identifier")
	}
	if _, ok := g.Root(pass); ok {
		t.Error("Root of an unseen identifier")
	}
	if g.Members(pass) != nil || g.Links(pass) != nil || g.Size(pass) != 0 {
		t.Error("an unseen identifier has members, links or a size")
	}
}

func TestClustersBy(t *testing.T) {
	g := graph.New()
	g.Touch(ticket, t0)
	g.Link(link(imsi, imei, graph.SameEvent, t0, ev1))
	g.Link(link(card, pass, graph.SameEvent, t0, ev2))
	g.Link(link(card, email, graph.Joined, t0, ev3))
	g.Link(link(pass, imsi, graph.Cooccurrence, t0, ev4))
	tests := []struct {
		kind graph.EvidenceKind
		want [][]event.ID
	}{
		{graph.SameEvent, [][]event.ID{{card, pass}, {email}, {imei, imsi}, {ticket}}},
		{graph.Joined, [][]event.ID{{card, email}, {imei}, {imsi}, {pass}, {ticket}}},
		{graph.Cooccurrence, [][]event.ID{{card}, {email}, {imei}, {imsi, pass}, {ticket}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if got := g.ClustersBy(tt.kind); !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("ClustersBy(%s) = %v, want %v", tt.kind, got, tt.want)
			}
		})
	}
}

// build makes a graph of n small clusters, linked in a fixed but
// scrambled order.
func build(n int) *graph.Graph {
	g := graph.New()
	for i := range n {
		c := id(event.Card, fmt.Sprintf("tok_%03d", (i*37)%n))
		p := id(event.Pass, fmt.Sprintf("NAV-%03d", (i*37)%n))
		s := id(event.IMSI, fmt.Sprintf("2080%03d", (i*37)%n))
		g.Touch(c, t0.Add(time.Duration(i)*time.Minute))
		g.Link(link(c, p, graph.SameEvent, t0, ev1, fmt.Sprintf("odd-%d", i)))
		if i%3 == 0 {
			g.Link(link(p, s, graph.Cooccurrence, t0.Add(time.Duration(i)*time.Second), ev2))
		}
	}
	return g
}

func TestSaveLoad(t *testing.T) {
	g := build(60)
	var b bytes.Buffer
	if err := g.Save(&b); err != nil {
		t.Fatal(err)
	}
	saved := bytes.Clone(b.Bytes())
	h := graph.New()
	h.Touch(email, t0) // Load replaces everything
	if err := h.Load(&b); err != nil {
		t.Fatal(err)
	}
	var b2 bytes.Buffer
	if err := h.Save(&b2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, b2.Bytes()) {
		t.Error("Save after Load differs from the snapshot")
	}
	if !slices.EqualFunc(g.Clusters(), h.Clusters(), slices.Equal) {
		t.Error("clusters differ after Load")
	}
	for _, r := range g.Roots() {
		if !slices.EqualFunc(g.Links(r), h.Links(r), linksEqual) {
			t.Errorf("links of %v differ after Load", r)
		}
	}
	if _, ok := h.Node(email); ok {
		t.Error("Load kept a node of the graph it replaced")
	}
	// Both go on identically.
	for _, x := range []*graph.Graph{g, h} {
		x.Link(link(id(event.Card, "tok_000"), id(event.Card, "tok_001"), graph.Joined, t0, ev5))
	}
	var c1, c2 bytes.Buffer
	_ = g.Save(&c1)
	_ = h.Save(&c2)
	if !bytes.Equal(c1.Bytes(), c2.Bytes()) {
		t.Error("a loaded graph and the original diverge on the same link")
	}
	if g.Stats().Clusters != h.Stats().Clusters {
		t.Error("cluster counts differ")
	}
}

func linksEqual(a, b graph.Link) bool {
	return a.A == b.A && a.B == b.B && a.Kind == b.Kind && a.Score == b.Score && a.Count == b.Count &&
		slices.Equal(a.EventIDs, b.EventIDs) && a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen) && a.Why == b.Why
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a graph part", []byte("hello, world")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(3)
			before := g.Stats()
			if err := g.Load(bytes.NewReader(tt.data)); err == nil {
				t.Error("Load succeeded")
			}
			if after := g.Stats(); after.Identifiers != before.Identifiers || after.Links != before.Links {
				t.Errorf("a failed Load changed the graph: %+v, was %+v", after, before)
			}
		})
	}
}

// TestConcurrentReaders lets the race detector check that read methods do
// not write: the aggregator serves them under a read lock.
func TestConcurrentReaders(t *testing.T) {
	g := build(200)
	g.Unlink(id(event.Card, "tok_000"), id(event.Pass, "NAV-000"), "")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range g.Roots() {
				for _, m := range g.Members(r) {
					g.Root(m)
					g.Node(m)
					g.Path(r, m)
				}
				g.Links(r)
				g.EachMember(r, func(event.ID) bool { return true })
			}
			g.Stats()
			g.ClustersBy(graph.SameEvent)
		}()
	}
	wg.Wait()
}

func BenchmarkLink(b *testing.B) {
	ids := make([]event.ID, 1000)
	for i := range ids {
		ids[i] = id(event.Ticket, fmt.Sprintf("TKT-%04d", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		g := graph.New()
		for i := range ids {
			g.Link(graph.Link{A: card, B: ids[i], Kind: graph.SameEvent, Score: 1, EventIDs: []string{ev1}, FirstSeen: t0})
			g.Link(graph.Link{A: imsi, B: imei, Kind: graph.SameEvent, Score: 1, EventIDs: []string{ev2}, FirstSeen: t0})
		}
	}
}

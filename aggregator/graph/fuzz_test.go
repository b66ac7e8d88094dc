package graph_test

import (
	"bytes"
	"testing"

	"exhaust/aggregator/graph"
)

// FuzzLoad feeds arbitrary bytes to Graph.Load, a part of the snapshot the
// aggregator reads back at start (seeds: testdata/fuzz/FuzzLoad, written by
// the aggregator's TestWriteFuzzCorpus, and small graphs of this package's
// tests: one with odd event ids, one split). It must never panic, and a
// graph that accepted the bytes must work and save again.
func FuzzLoad(f *testing.F) {
	for _, g := range []*graph.Graph{graph.New(), build(4), splitGraph()} {
		var b bytes.Buffer
		if err := g.Save(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g := graph.New()
		if err := g.Load(bytes.NewReader(data)); err != nil {
			return
		}
		g.Stats()
		for _, root := range g.Roots() {
			g.Members(root)
			g.Links(root)
		}
		var b bytes.Buffer
		if err := g.Save(&b); err != nil {
			t.Fatalf("loaded, but cannot save again: %v", err)
		}
		again := graph.New()
		if err := again.Load(&b); err != nil {
			t.Fatalf("cannot load what it saved: %v", err)
		}
	})
}

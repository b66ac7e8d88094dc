package score_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"exhaust/aggregator/score"
)

// FuzzTracesLoad feeds arbitrary bytes to Traces.Load, a part of the
// snapshot the aggregator reads back at start (seeds:
// testdata/fuzz/FuzzTracesLoad, written by the aggregator's
// TestWriteFuzzCorpus). It must never panic, and traces that accepted the
// bytes must score and save again.
func FuzzTracesLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := score.NewTraces()
		if err := tr.Load(bytes.NewReader(data)); err != nil {
			return
		}
		tr.TotalPoints()
		tr.Unicity(2, 2, rand.New(rand.NewPCG(1, 2)))
		tr.UnicityCurve(3, 2, rand.New(rand.NewPCG(1, 2)))
		var b bytes.Buffer
		if err := tr.Save(&b); err != nil {
			t.Fatalf("loaded, but cannot save again: %v", err)
		}
		again := score.NewTraces()
		if err := again.Load(&b); err != nil {
			t.Fatalf("cannot load what it saved: %v", err)
		}
	})
}

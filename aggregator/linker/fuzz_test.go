package linker_test

import (
	"bytes"
	"testing"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/linker"
)

// FuzzLoad feeds arbitrary bytes to Linker.Load, a part of the snapshot
// the aggregator reads back at start (seeds: testdata/fuzz/FuzzLoad,
// written by the aggregator's TestWriteFuzzCorpus, and SampleParts). It
// must never panic, and a linker that accepted the bytes must save again.
func FuzzLoad(f *testing.F) {
	for _, p := range linker.SampleParts(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := linker.New(linker.DefaultConfig(), graph.New())
		if err := l.Load(bytes.NewReader(data)); err != nil {
			return
		}
		l.Stats()
		l.Watermark()
		var b bytes.Buffer
		if err := l.Save(&b); err != nil {
			t.Fatalf("loaded, but cannot save again: %v", err)
		}
		again := linker.New(linker.DefaultConfig(), graph.New())
		if err := again.Load(&b); err != nil {
			t.Fatalf("cannot load what it saved: %v", err)
		}
	})
}

package facts_test

import (
	"bytes"
	"testing"

	"exhaust/aggregator/facts"
)

// FuzzLoad feeds arbitrary bytes to Store.Load, a part of the snapshot the
// aggregator reads back at start (seeds: testdata/fuzz/FuzzLoad, written by
// the aggregator's TestWriteFuzzCorpus). It must never panic, and a store
// that accepted the bytes must save again.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := facts.New()
		if err := s.Load(bytes.NewReader(data)); err != nil {
			return
		}
		s.Len()
		var b bytes.Buffer
		if err := s.Save(&b); err != nil {
			t.Fatalf("loaded, but cannot save again: %v", err)
		}
		again := facts.New()
		if err := again.Load(&b); err != nil {
			t.Fatalf("cannot load what it saved: %v", err)
		}
	})
}

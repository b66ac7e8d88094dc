package facts_test

import (
	"bytes"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

// FuzzLoad feeds arbitrary bytes to Store.Load, a part of the snapshot the
// aggregator reads back at start (seeds: testdata/fuzz/FuzzLoad, written by
// the aggregator's TestWriteFuzzCorpus, and the parts added below). It must
// never panic, and a store that accepted the bytes must save again, and
// load what it saved.
func FuzzLoad(f *testing.F) {
	// Seeds in this build's format: an empty store and a day of a city of
	// one, 3.5 kB. Small seeds, because the fuzzer minimises every input
	// that finds new code before it goes on, byte by byte: from a part of
	// tens of kilobytes, that takes it a minute.
	cfg := world.DefaultConfig()
	cfg.Persons = 1
	seeds := []*facts.Store{facts.New(), generate(f, "fuzz/1", cfg, 1, false).store()}
	for _, s := range seeds {
		var b bytes.Buffer
		if err := s.Save(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
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

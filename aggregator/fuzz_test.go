package aggregator_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
)

var writeFuzzCorpus = flag.Bool("write-fuzz-corpus", false,
	"write the seed corpora of the snapshot fuzzers (testdata/fuzz of aggregator and its parts) from a tiny city")

// snapshotParts are the parts of an Engine snapshot, in order, and the
// fuzz target of each part's own loader (package directory, target).
var snapshotParts = []struct{ dir, target string }{
	{"", ""}, // the engine's set of recent event ids: FuzzRestore covers it
	{"graph", "FuzzLoad"},
	{"linker", "FuzzLoad"},
	{"facts", "FuzzLoad"},
	{"score", "FuzzTracesLoad"},
}

// tinySnapshot is the snapshot of an Engine that applied a tiny city's
// day: two people, small enough for a fuzzer to mutate.
func tinySnapshot(t testing.TB) []byte {
	t.Helper()
	s, err := aggtest.Generate(1, 2, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := aggregator.New(aggregator.DefaultConfig())
	apply(t, e, s.Events, 1)
	for _, tr := range s.Truth {
		e.SetTruth(tr)
	}
	var b bytes.Buffer
	if err := e.Snapshot(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// splitSnapshot returns the parts of an Engine snapshot (see
// Engine.Snapshot: a 28-byte header, then each part in chunks, each after
// its 4-byte length, and an empty chunk after the last).
func splitSnapshot(t testing.TB, snap []byte) [][]byte {
	t.Helper()
	var parts [][]byte
	rest := snap[28:]
	for len(rest) > 0 {
		var part []byte
		for {
			n := binary.BigEndian.Uint32(rest)
			part, rest = append(part, rest[4:4+n]...), rest[4+n:]
			if n == 0 {
				break
			}
		}
		parts = append(parts, part)
	}
	if len(parts) != len(snapshotParts) {
		t.Fatalf("snapshot has %d parts, want %d", len(parts), len(snapshotParts))
	}
	return parts
}

// variants returns b, truncated copies and copies with a byte changed: the
// seeds of a decoder's fuzz corpus.
func variants(b []byte) [][]byte {
	out := [][]byte{b, b[:len(b)/2], b[:len(b)-1], {}}
	for _, at := range []int{len(b) / 3, len(b) / 2, 2 * len(b) / 3} {
		m := bytes.Clone(b)
		m[at] ^= 0xff
		out = append(out, m)
	}
	return out
}

// writeCorpus writes seeds as the files of the fuzz corpus dir.
func writeCorpus(t *testing.T, dir string, seeds [][]byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range seeds {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("tiny-city-%d", i)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteFuzzCorpus writes the seed corpora of the snapshot fuzzers
// with -write-fuzz-corpus: a tiny city's snapshot, whole and part by part,
// with truncated and altered copies.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeFuzzCorpus {
		t.Skip("writes the fuzz corpora only with -write-fuzz-corpus")
	}
	snap := tinySnapshot(t)
	writeCorpus(t, filepath.Join("testdata", "fuzz", "FuzzRestore"), variants(snap))
	for i, part := range splitSnapshot(t, snap) {
		if p := snapshotParts[i]; p.dir != "" {
			writeCorpus(t, filepath.Join(p.dir, "testdata", "fuzz", p.target), variants(part))
		}
	}
}

// FuzzRestore feeds arbitrary bytes to Engine.Restore, the decoder of the
// snapshot the aggregator reads back at start: it must never panic nor
// hang, and an Engine that accepted the bytes must work: list, score,
// save and take events.
func FuzzRestore(f *testing.F) {
	s, err := aggtest.Shared(1, 2, 1)
	if err != nil {
		f.Fatal(err)
	}
	evs := s.Events[len(s.Events)-3:]
	f.Fuzz(func(t *testing.T, data []byte) {
		e := aggregator.New(aggregator.DefaultConfig())
		if err := e.Restore(bytes.NewReader(data)); err != nil {
			return
		}
		for _, p := range e.Profiles() {
			e.Profile(p.ID)
		}
		e.Accuracy()
		e.Stats()
		var b bytes.Buffer
		if err := e.Snapshot(&b); err != nil {
			t.Fatalf("restored, but cannot snapshot again: %v", err)
		}
		seq := e.Seq()
		for i, ev := range evs {
			if _, err := e.Apply(seq+uint64(i)+1, ev); err != nil {
				t.Fatalf("restored, but cannot apply an event: %v", err)
			}
		}
		e.Profiles()
	})
}

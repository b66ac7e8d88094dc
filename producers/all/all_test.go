package all_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/producers/producertest"
)

// TestContract runs the producer contract over every registered producer:
// walking the registry means no producer escapes it.
func TestContract(t *testing.T) {
	all := producers.All()
	if len(all) == 0 {
		t.Fatal("no producer registered")
	}
	for _, p := range all {
		t.Run(p.Spec().Name, func(t *testing.T) {
			t.Parallel()
			producertest.Run(t, p)
		})
	}
}

// notProducers are the directories under producers/ that hold no producer.
var notProducers = []string{"all", "asyncapi", "docgen", "producertest"}

// TestEveryPackageRegistered fails when a producer package exists but is not
// imported by all.go: its producer would be missing from the binary, the
// contract suite and the docs.
func TestEveryPackageRegistered(t *testing.T) {
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	names := producers.Names()
	for _, e := range entries {
		if !e.IsDir() || slices.Contains(notProducers, e.Name()) {
			continue
		}
		gos, _ := filepath.Glob(filepath.Join("..", e.Name(), "*.go"))
		if len(gos) == 0 {
			continue // not a Go package (yet)
		}
		if !slices.Contains(names, e.Name()) {
			t.Errorf("producers/%s is a package but no producer %q is registered: add its import to producers/all/all.go", e.Name(), e.Name())
		}
	}
}

package score

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSaveLoadBlocks checks the round trip of traces that span many of
// Save's blocks, packed and wide: the loaded traces hold exactly the
// saved points, places and bound, and save the same bytes.
func TestSaveLoadBlocks(t *testing.T) {
	for _, wide := range []bool{false, true} {
		t.Run(fmt.Sprint("wide=", wide), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			tr := NewTraces()
			tr.MaxPoints = 200
			const hour = 495_000 // an hour of 2026 since the epoch
			for range 300_000 {
				tr.Add(fmt.Sprint("sim-", rng.IntN(3000)), fmt.Sprint("tower-", rng.IntN(500)), hour+rng.Int64N(24*30))
			}
			if wide {
				tr.Add("sim-far", "tower-1", 1<<31) // beyond the packed window
				if tr.packed != nil {
					t.Fatal("still packed")
				}
			}
			var b bytes.Buffer
			if err := tr.Save(&b); err != nil {
				t.Fatal(err)
			}
			if b.Len() < 4*blockSize {
				t.Fatalf("%d bytes saved: too few to span several blocks of %d", b.Len(), blockSize)
			}
			saved := bytes.Clone(b.Bytes())
			got := NewTraces()
			got.Add("other", "tower-x", 3) // Load replaces whatever was there
			if err := got.Load(&b); err != nil {
				t.Fatal(err)
			}
			if got.MaxPoints != tr.MaxPoints || !slices.Equal(got.names, tr.names) || !maps.Equal(got.towers, tr.towers) {
				t.Error("bound or places differ")
			}
			if (got.packed == nil) != (tr.packed == nil) {
				t.Errorf("packed: %v loaded, %v saved", got.packed != nil, tr.packed != nil)
			}
			if !reflect.DeepEqual(got.wide(), tr.wide()) {
				t.Error("loaded points differ")
			}
			var again bytes.Buffer
			if err := got.Save(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), saved) {
				t.Error("the loaded traces save other bytes")
			}
			for _, cut := range []int{1, len(saved) / 2, len(saved) - 1} {
				if err := NewTraces().Load(bytes.NewReader(saved[:cut])); err == nil {
					t.Errorf("Load of the first %d bytes of %d succeeded", cut, len(saved))
				}
			}
		})
	}
}

// TestLoadVersion1 checks that a snapshot of the previous format, which
// wrote every trace in one gob value (testdata/v1.gob, a tiny city's),
// gets the version error.
func TestLoadVersion1(t *testing.T) {
	data, err := os.ReadFile("testdata/v1.gob")
	if err != nil {
		t.Fatal(err)
	}
	err = NewTraces().Load(bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "snapshot version 1, this build reads version 2") {
		t.Fatalf("Load of a version 1 snapshot: %v, want the version error", err)
	}
}

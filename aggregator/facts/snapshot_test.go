package facts_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

// TestSaveLoadCity checks the round trip of a 300-person store: the loaded
// store holds exactly the saved state, saves the same bytes and derives
// the same facts; Save writes as it goes, never the whole part at once;
// and a part cut short is refused.
func TestSaveLoadCity(t *testing.T) {
	cfg := world.DefaultConfig()
	cfg.Persons = 300
	r := generate(t, "city300", cfg, 1, false)
	s := r.store()
	var saved bytes.Buffer
	w := &writeSizes{w: &saved}
	if err := s.Save(w); err != nil {
		t.Fatal(err)
	}
	const bufSize = 32 << 10 // wire.Writer's buffer
	if saved.Len() < 3*bufSize {
		t.Fatalf("a part of %d bytes: too small to check that Save writes it in pieces of %d", saved.Len(), bufSize)
	}
	if w.most > bufSize {
		t.Errorf("Save wrote %d bytes at once, more than its buffer of %d", w.most, bufSize)
	}
	want := bytes.Clone(saved.Bytes())
	got := facts.New()
	got.Observe(r.records[0]) // Load replaces whatever was there
	if err := got.Load(&saved); err != nil {
		t.Fatal(err)
	}
	if err := facts.SameState(got, s); err != nil {
		t.Errorf("loaded state: %v", err)
	}
	var again bytes.Buffer
	if err := got.Save(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), want) {
		t.Error("the loaded store saves other bytes")
	}
	for _, p := range r.world.People {
		if g, w := jsonOf(t, got.Derive(r.truth[p.ID])), jsonOf(t, s.Derive(r.truth[p.ID])); g != w {
			t.Errorf("%s: facts differ\n got %s\nwant %s", p.ID, g, w)
		}
	}
	for _, cut := range []int{0, 1, 6, 7, len(want) / 2, len(want) - 1} {
		if err := facts.New().Load(bytes.NewReader(want[:cut])); err == nil {
			t.Errorf("Load of the first %d bytes of %d succeeded", cut, len(want))
		}
	}
}

// writeSizes records the largest write.
type writeSizes struct {
	w    *bytes.Buffer
	most int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.most = max(w.most, len(p))
	return w.w.Write(p)
}

// TestLoadOldVersions checks that parts of earlier formats get the version
// error: gob streams, of a tiny city (versions 3 and 4, testdata), and a
// version number this build does not read.
func TestLoadOldVersions(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"v3.gob", readFile("testdata/v3.gob")},
		{"v4.gob", readFile("testdata/v4.gob")},
		{"version 4 after the magic", func(*testing.T) []byte { return []byte("facts\x00\x04") }},
		{"version 5 after the magic", func(*testing.T) []byte { return []byte("facts\x00\x05") }},
		{"version 7", func(*testing.T) []byte { return []byte("facts\x00\x07") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := facts.New().Load(bytes.NewReader(tc.data(t)))
			if !errors.Is(err, facts.ErrSnapshotVersion) {
				t.Fatalf("Load: %v, want %v", err, facts.ErrSnapshotVersion)
			}
			if msg := err.Error(); bytes.ContainsRune([]byte(msg), '\n') {
				t.Errorf("the error is not one line: %q", msg)
			}
			t.Log(err)
		})
	}
}

func readFile(name string) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
}

// TestLoadHugeCounts checks that a part whose counts are corrupt is
// refused without allocating for them.
func TestLoadHugeCounts(t *testing.T) {
	head := append([]byte("facts\x00\x05\x00"), make([]byte, 4*8+2)...) // no types, zero radio
	for _, tc := range []struct {
		name string
		tail []byte
	}{
		{"2^31-1 strings", []byte{0xff, 0xff, 0xff, 0xff, 0x07}},
		{"2^63 strings", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{"a string of 2^31 bytes", []byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x08}},
		{"2^31-1 towers of no string", []byte{0x00, 0xff, 0xff, 0xff, 0xff, 0x07}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := append(bytes.Clone(head), tc.tail...)
			allocs := testing.AllocsPerRun(1, func() {
				if err := facts.New().Load(bytes.NewReader(data)); err == nil {
					t.Error("Load succeeded")
				} else {
					t.Log(err)
				}
			})
			if allocs > 200 {
				t.Errorf("%v allocations", allocs)
			}
		})
	}
}

// ExampleStore_Save shows a part's head: snapshotMagic and the version.
func ExampleStore_Save() {
	var b bytes.Buffer
	if err := facts.New().Save(&b); err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", b.Bytes()[:7])
	// Output: "facts\x00\x06"
}

package facts_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"exhaust/aggregator/facts"
	"exhaust/world"
)

// TestSaveLoadBatches checks the round trip of a store whose lists span
// several of Save's batches: the loaded store holds exactly the saved
// state, saves the same bytes and derives the same facts.
func TestSaveLoadBatches(t *testing.T) {
	cfg := world.DefaultConfig()
	cfg.Persons = 300
	r := generate(t, "batches", cfg, 1, false)
	s := r.store()
	if s.Len() < 3*facts.MaxBatch {
		t.Fatalf("%d identifiers: too few to span several batches of %d", s.Len(), facts.MaxBatch)
	}
	var saved bytes.Buffer
	if err := s.Save(&saved); err != nil {
		t.Fatal(err)
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
	for _, cut := range []int{1, len(want) / 2, len(want) - 1} {
		if err := facts.New().Load(bytes.NewReader(want[:cut])); err == nil {
			t.Errorf("Load of the first %d bytes of %d succeeded", cut, len(want))
		}
	}
}

// TestLoadVersion3 checks that a snapshot of the previous format, which
// wrote the whole store as one gob value (testdata/v3.gob, a tiny city's),
// gets the version error.
func TestLoadVersion3(t *testing.T) {
	data, err := os.ReadFile("testdata/v3.gob")
	if err != nil {
		t.Fatal(err)
	}
	err = facts.New().Load(bytes.NewReader(data))
	if !errors.Is(err, facts.ErrSnapshotVersion) {
		t.Fatalf("Load of a version 3 snapshot: %v, want %v", err, facts.ErrSnapshotVersion)
	}
	t.Log(err)
}

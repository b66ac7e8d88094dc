package all_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"exhaust/producers"
	"exhaust/producers/docgen"
	"exhaust/world"
)

var update = flag.Bool("update", false, "rewrite docs/events.md from the registry")

// eventsDoc is the committed event reference, relative to this package.
var eventsDoc = filepath.Join("..", "..", "docs", "events.md")

// TestEventsDoc fails when docs/events.md is not what the registry
// generates: a producer, a schema or the world changed and the reference was
// not regenerated. Examples come from a small generated world (seed 1, the
// hero and three others, days 1 and 2), the hero's events first.
func TestEventsDoc(t *testing.T) {
	w, err := world.New(world.Config{Seed: 1, Persons: 4})
	if err != nil {
		t.Fatal(err)
	}
	got := docgen.Markdown(producers.All(), docgen.DayExamples(1, w.Day(1), w.Day(2)))
	if *update {
		if err := os.WriteFile(eventsDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(eventsDoc)
	if err != nil {
		t.Fatalf("%v: generate it with `%s`", err, docgen.UpdateCommand)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/events.md is stale (%s): regenerate it with `%s` and review the diff", firstDiffLine(want, got), docgen.UpdateCommand)
	}
}

func firstDiffLine(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := range min(len(wl), len(gl)) {
		if !bytes.Equal(wl[i], gl[i]) {
			return fmt.Sprintf("line %d: committed %q, generated %q", i+1, wl[i], gl[i])
		}
	}
	return fmt.Sprintf("committed %d lines, generated %d", len(wl), len(gl))
}

package all_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"exhaust/producers"
	"exhaust/producers/asyncapi"
)

// asyncAPIDoc is the committed AsyncAPI document, relative to this package.
var asyncAPIDoc = filepath.Join("..", "..", "docs", "asyncapi.yaml")

// TestAsyncAPIDoc fails when docs/asyncapi.yaml is not what the registry
// generates: a producer or a schema changed and the document was not
// regenerated. -update (the flag of TestEventsDoc) rewrites it.
func TestAsyncAPIDoc(t *testing.T) {
	got, err := asyncapi.YAML(producers.All())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(asyncAPIDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(asyncAPIDoc)
	if err != nil {
		t.Fatalf("%v: generate it with `%s`", err, asyncapi.UpdateCommand)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/asyncapi.yaml is stale (%s): regenerate it with `%s` and review the diff", firstDiffLine(want, got), asyncapi.UpdateCommand)
	}
}

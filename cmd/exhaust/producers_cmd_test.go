package main

import (
	"context"
	"strings"
	"testing"

	"exhaust/producers"
	"exhaust/producers/asyncapi"
)

func TestProducersAsyncAPI(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "producers", "--asyncapi")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, err := asyncapi.YAML(producers.All())
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("producers --asyncapi printed %d bytes, not the registry's document (%d bytes)", len(stdout), len(want))
	}
}

func TestProducersAsyncAPIAndJSONExclusive(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "producers", "--json", "--asyncapi")
	if code != 2 {
		t.Errorf("exit %d, want 2 (a usage error)", code)
	}
	if stdout != "" {
		t.Errorf("printed %q, want nothing", stdout)
	}
	if !strings.Contains(stderr, "--json and --asyncapi") || strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
		t.Errorf("stderr %q: want one line naming both flags", stderr)
	}
}

package main

import (
	"testing"
)

// jsonNumbers decodes stdout as one JSON object and returns the named
// numeric fields, failing the test if one is missing or not a number.
func jsonNumbers(t *testing.T, stdout string, names ...string) map[string]float64 {
	t.Helper()
	var obj map[string]any
	decodeOne(t, stdout, &obj)
	out := map[string]float64{}
	for _, n := range names {
		v, ok := obj[n].(float64)
		if !ok {
			t.Fatalf("field %q is %#v, want a number:\n%s", n, obj[n], stdout)
		}
		out[n] = v
	}
	return out
}

// TestBenchPublishJSON checks the contract of bench publish --json on a
// tiny city: one object with a positive ratio. No figure of speed is
// checked.
func TestBenchPublishJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulation and an embedded server: not in -short mode")
	}
	code, stdout, stderr := runCLI(t, t.Context(), nil, "bench", "publish", "--json", "--persons", "4", "--rounds", "1")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	got := jsonNumbers(t, stdout, "ratio", "events", "exhaust_events_per_second", "raw_messages_per_second", "stage_ratio")
	for name, v := range got {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
}

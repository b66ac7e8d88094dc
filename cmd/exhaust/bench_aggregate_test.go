package main

import (
	"context"
	"strings"
	"testing"
)

// TestBenchAggregate runs the benchmark on a tiny city (settings from the
// environment, as a user would): it must report every measure. The
// numbers themselves are not checked: timings are never asserted in tests.
func TestBenchAggregate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulation and an embedded server: not in -short mode")
	}
	env := map[string]string{"EXHAUST_PERSONS": "4", "EXHAUST_ROUNDS": "1", "EXHAUST_LATENCY_EVENTS": "40",
		"EXHAUST_LATENCY_RATE": "2000", "EXHAUST_MEM_PERSONS": "4,8", "EXHAUST_REFERENCE": "false"}
	code, stdout, stderr := runCLI(t, t.Context(), env, "bench", "aggregate", "--workers", "2")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	for _, want := range []string{
		"bench aggregate: 4 people, 1 day(s)",
		"round 1: core NATS raw",
		"core NATS: raw subscriber",
		"JetStream: raw consumer",
		"latency, publish to applied",
		"memory, 8 people",
		"marginal cost from 4 to 8 people",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "reference validator") {
		t.Errorf("EXHAUST_REFERENCE=false still timed the reference validator:\n%s", stdout)
	}
}

// TestBenchAggregateJSON checks the contract of bench aggregate --json:
// one object on stdout with positive ratios, ratio being ratio_core. No
// figure of speed is checked.
func TestBenchAggregateJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulation and an embedded server: not in -short mode")
	}
	code, stdout, stderr := runCLI(t, t.Context(), nil, "bench", "aggregate", "--json", "--persons", "4", "--rounds", "1",
		"--reference=false", "--latency-events", "40", "--latency-rate", "2000", "--mem-persons", "4,8", "--workers", "2")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	got := jsonNumbers(t, stdout, "ratio", "ratio_core", "ratio_jetstream", "events", "latency_p50_ms", "latency_p99_ms")
	for name, v := range got {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if got["ratio"] != got["ratio_core"] {
		t.Errorf("ratio %v, ratio_core %v: ratio is documented as ratio_core", got["ratio"], got["ratio_core"])
	}
	if got["latency_p50_ms"] > got["latency_p99_ms"] {
		t.Errorf("latency p50 %v ms > p99 %v ms", got["latency_p50_ms"], got["latency_p99_ms"])
	}
	if !strings.Contains(stderr, "bench aggregate: 4 people") {
		t.Errorf("progress did not go to stderr:\n%s", stderr)
	}
}

func TestBenchAggregateBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no rounds", []string{"--rounds", "0"}, "--rounds must be at least 1"},
		{"no days", []string{"--days", "0"}, "--days must be at least 1"},
		{"bad population", []string{"--mem-persons", "10,lots"}, "--mem-persons"},
		{"negative rate", []string{"--latency-rate", "-1"}, "--latency-rate"},
		{"no subject", nil, `"exhaust bench aggregate"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"bench", "aggregate"}, tc.args...)
			if tc.args == nil {
				args = []string{"bench"}
			}
			code, _, stderr := runCLI(t, context.Background(), nil, args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want an error containing %q", code, stderr, tc.want)
			}
		})
	}
}

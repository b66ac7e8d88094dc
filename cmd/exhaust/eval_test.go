package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"exhaust/eval"
	"exhaust/faults"
)

func TestEvalBadFlags(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // each in the error
	}{
		{"not a number", nil, []string{"--persons", "30,x"}, []string{"persons", `"30,x"`, `"x" is not a whole number`}},
		{"too few people", nil, []string{"--persons", "30,0"}, []string{"--persons must be at least 1, got 0"}},
		{"no days", nil, []string{"--days", "1,0"}, []string{"--days must be at least 1, got 0"}},
		{"empty list", nil, []string{"--persons", ","}, []string{"--persons is empty"}},
		{"bad seed", nil, []string{"--seed", "1,two"}, []string{"seed", `"two"`}},
		{"bad date", nil, []string{"--start", "tomorrow"}, []string{"--start must be a date"}},
		{"bad env", map[string]string{"EXHAUST_DAYS": "1,seven"}, nil, []string{"EXHAUST_DAYS", `"seven"`}},
		{"stray argument", nil, []string{"paris"}, []string{`unexpected argument "paris"`}},
		{"bad fault", nil, []string{"--faults", "none|phone:delay=10"},
			[]string{`exhaust eval: --faults: "phone:delay=10": delay needs a lateness, e.g. delay=10%/5m`}},
		{"unknown producer in env", map[string]string{"EXHAUST_FAULTS": "drone:drop=2%"}, nil,
			[]string{`--faults: "drone:drop=2%": unknown producer "drone"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), tc.env, append([]string{"eval"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (a usage error); stderr %q", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
			if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one:\n%s", n+1, stderr)
			}
			if stdout != "" {
				t.Errorf("a usage error printed to stdout:\n%s", stdout)
			}
		})
	}
	code, stdout, _ := runCLI(t, context.Background(), nil, "eval", "--help")
	if code != 0 || !strings.Contains(stdout, "$EXHAUST_PERSONS") || !strings.Contains(stdout, "--json") || !strings.Contains(stdout, "Linker thresholds") || !strings.Contains(stdout, "$EXHAUST_FAULTS") {
		t.Errorf("eval --help: exit %d\n%s", code, stdout)
	}
}

func TestEvalJSONLines(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "eval", "--persons", "8,12", "--days", "1", "--seed", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per combination (2):\n%s", len(lines), stdout)
	}
	for i, persons := range []float64{8, 12} {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, lines[i])
		}
		if m["persons"] != persons || m["days"] != 1.0 || m["seed"] != 3.0 {
			t.Errorf("line %d is for persons %v, days %v, seed %v; want %v, 1, 3", i+1, m["persons"], m["days"], m["seed"], persons)
		}
		for _, k := range []string{"pairwise", "bcubed", "by_evidence", "same_event", "home_error_m", "work_error_m", "sleep_error_min", "unicity", "events", "events_per_s", "faults"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d has no %q: %s", i+1, k, lines[i])
			}
		}
	}
}

func TestEvalTable(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "eval", "--persons", "8", "--days", "1", "--seed", "1,2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want two of headings and a row per combination (2):\n%s", len(lines), stdout)
	}
	for _, want := range []string{"pairwise", "B-cubed", "same event", "home (m)", "unicity"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("headings lack %q:\n%s", want, stdout)
		}
	}
	heads := strings.Fields(lines[1])
	for i, seed := range []string{"1", "2"} {
		row := strings.Fields(lines[2+i])
		if len(row) != len(heads) {
			t.Fatalf("row %d has %d fields for %d headings:\n%s", i+1, len(row), len(heads), stdout)
		}
		if row[0] != "8" || row[1] != "1" || row[2] != seed {
			t.Errorf("row %d starts %v, want 8 people, 1 day, seed %s", i+1, row[:3], seed)
		}
	}
}

// TestEvalFaultSweep sweeps two fault plans: a row each, the clean one
// first, with what the faults did.
func TestEvalFaultSweep(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "eval", "--persons", "8", "--days", "1", "--seed", "3",
		"--faults", "none | all:drop=10%,duplicate=5%", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per plan (2):\n%s", len(lines), stdout)
	}
	var rs [2]eval.Result
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &rs[i]); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, l)
		}
	}
	clean, faulty := rs[0], rs[1]
	if clean.Faults.Plan != "" || clean.Faults.Done != (faults.Counts{}) || clean.Faults.Duplicates != 0 {
		t.Errorf("the clean run's faults: %+v", clean.Faults)
	}
	f := faulty.Faults
	if f.Plan != "all:duplicate=5%,drop=10%" || f.Done.Drop == 0 || f.Done.Duplicate == 0 || f.Duplicates != f.Done.Duplicate {
		t.Errorf("the faulty run's faults: %+v", f)
	}
	if faulty.Events+f.Done.Drop != clean.Events {
		t.Errorf("%d events applied and %d dropped, %d clean", faulty.Events, f.Done.Drop, clean.Events)
	}
}

package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"exhaust/producers"
)

func TestCityJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "city", "--persons", "200", "--days", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Persons          *int               `json:"persons"`
		Days             *int               `json:"days"`
		Events           *int64             `json:"events"`
		EventsByProducer map[string]int64   `json:"events_by_producer"`
		Unicity          map[string]float64 `json:"unicity"`
		UnicityShop      map[string]float64 `json:"unicity_shop"`
		Occupations      map[string]int     `json:"occupations"`
		Towers           int                `json:"towers"`
		Places           map[string]int     `json:"places"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	if r.Persons == nil || *r.Persons != 200 || r.Days == nil || *r.Days != 2 || r.Events == nil {
		t.Fatalf("persons, days or events missing or wrong:\n%s", stdout)
	}
	var sum int64
	for _, p := range producers.All() {
		sum += r.EventsByProducer[p.Spec().Name]
	}
	if sum != *r.Events || sum == 0 {
		t.Errorf("events by producer sum to %d, events %d", sum, *r.Events)
	}
	prev := 0.0
	for _, p := range []string{"1", "2", "3", "4", "5", "6"} {
		v, ok := r.Unicity[p]
		if !ok {
			t.Fatalf("unicity has no %q: %v", p, r.Unicity)
		}
		if v < prev || v > 1 {
			t.Errorf("unicity[%s] = %v after %v: the curve must rise within [0, 1]", p, v, prev)
		}
		prev = v
		if _, ok := r.UnicityShop[p]; !ok {
			t.Errorf("unicity_shop has no %q: %v", p, r.UnicityShop)
		}
	}
	people := 0
	for _, n := range r.Occupations {
		people += n
	}
	if people != 200 || r.Towers == 0 || len(r.Places) == 0 {
		t.Errorf("occupations count %d people, %d towers, places %v", people, r.Towers, r.Places)
	}
}

func TestCityText(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "city", "--persons", "30", "--days", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"People by occupation", "Cell towers", "Events by producer", "antenna × hour", "shop × day", "Unique in the Crowd", "Unique in the shopping mall", "events/s"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
}

func TestCityBadFlags(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no persons", nil, []string{"--persons", "0"}, "--persons must be at least 1"},
		{"no days", nil, []string{"--days", "0"}, "--days must be at least 1"},
		{"no draws", nil, []string{"--samples", "0"}, "--samples must be at least 1"},
		{"bad seed", nil, []string{"--seed", "one"}, "seed"},
		{"bad date", nil, []string{"--start", "tomorrow"}, "--start must be a date"},
		{"bad env", map[string]string{"EXHAUST_PERSONS": "many"}, nil, "EXHAUST_PERSONS"},
		{"stray argument", nil, []string{"paris"}, `unexpected argument "paris"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), tc.env, append([]string{"city"}, tc.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, want non-zero; stderr %q", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
			if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one:\n%s", n+1, stderr)
			}
		})
	}
	code, stdout, _ := runCLI(t, context.Background(), nil, "city", "--help")
	if code != 0 || !strings.Contains(stdout, "$EXHAUST_PERSONS") || !strings.Contains(stdout, "--json") {
		t.Errorf("city --help: exit %d\n%s", code, stdout)
	}
}

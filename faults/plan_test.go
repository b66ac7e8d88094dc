package faults_test

import (
	"fmt"
	"testing"
	"time"

	"exhaust/faults"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
		check          map[string]map[faults.Kind]faults.Rule // producer → rules to find
	}{
		{name: "empty", in: "", want: ""},
		{name: "blank clauses", in: " ; ;", want: ""},
		{name: "the issue's example", in: "phone:delay=10%/5m,duplicate=5%;wifi:drop=2%",
			want: "phone:delay=10%/5m,duplicate=5%;wifi:drop=2%",
			check: map[string]map[faults.Kind]faults.Rule{
				"phone": {faults.Delay: {Rate: 0.1, Amount: 5 * time.Minute}, faults.Duplicate: {Rate: 0.05}, faults.Drop: {}},
				"wifi":  {faults.Drop: {Rate: 0.02}, faults.Delay: {}},
				"card":  {faults.Drop: {}},
			}},
		{name: "all, and a producer overriding it", in: "phone:drop=0%; all:drop=10%,skew=5%/90s",
			want: "all:drop=10%,skew=5%/1m30s;phone:drop=0%",
			check: map[string]map[faults.Kind]faults.Rule{
				"phone": {faults.Drop: {}, faults.Skew: {Rate: 0.05, Amount: 90 * time.Second}},
				"card":  {faults.Drop: {Rate: 0.1}},
			}},
		{name: "spaces and a producer in two clauses", in: " phone : corrupt = 1.5% ; phone:delay=100%/2h ",
			want: "phone:delay=100%/2h,corrupt=1.5%",
			check: map[string]map[faults.Kind]faults.Rule{
				"phone": {faults.Corrupt: {Rate: 0.015}, faults.Delay: {Rate: 1, Amount: 2 * time.Hour}},
			}},
		{name: "sub-second lateness", in: "all:delay=1%/250ms", want: "all:delay=1%/250ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := faults.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if again, err := faults.Parse(p.String()); err != nil || again.String() != p.String() {
				t.Errorf("String() does not parse back to itself: %q, %v", again.String(), err)
			}
			if p.IsZero() != (tc.want == "" || tc.want == "phone:drop=0%") {
				t.Errorf("IsZero() = %v", p.IsZero())
			}
			for producer, rules := range tc.check {
				for k, want := range rules {
					if got := p.For(producer).Rule(k); got != want {
						t.Errorf("For(%s).Rule(%s) = %+v, want %+v", producer, k, got, want)
					}
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"phone:delay=10", `"phone:delay=10": delay needs a lateness, e.g. delay=10%/5m`},
		{"phone:delay", `"phone:delay": delay needs a rate and a lateness, e.g. delay=10%/5m`},
		{"phone", `"phone": want phone:<fault>=<rate>%, e.g. phone:drop=2%`},
		{"drop=2%", `"drop=2%": want <producer|all>:<fault>=<rate>%, e.g. <producer|all>:drop=2%`},
		{"Phone:drop=2%", `"Phone:drop=2%": "Phone" is not a producer's name (lower-case letters and digits) or all`},
		{":drop=2%", `":drop=2%": "" is not a producer's name (lower-case letters and digits) or all`},
		{"phone:", `"phone:": no fault after the colon, e.g. phone:drop=2%`},
		{"phone:lag=5%", `"phone:lag=5%": unknown fault "lag" (want delay, duplicate, drop, corrupt or skew)`},
		{"wifi:drop", `"wifi:drop": drop needs a rate, e.g. drop=2%`},
		{"wifi:drop=0.02", `"wifi:drop=0.02": rate must be a percentage from 0% to 100%, got "0.02", e.g. drop=2%`},
		{"wifi:drop=150%", `"wifi:drop=150%": rate must be a percentage from 0% to 100%, got "150%", e.g. drop=2%`},
		{"wifi:drop=-1%", `"wifi:drop=-1%": rate must be a percentage from 0% to 100%, got "-1%", e.g. drop=2%`},
		{"wifi:drop=2%/5m", `"wifi:drop=2%/5m": drop takes only a rate, e.g. drop=2%`},
		{"all:duplicate=5%/1s", `"all:duplicate=5%/1s": duplicate takes only a rate, e.g. duplicate=5%`},
		{"all:corrupt=x%", `"all:corrupt=x%": rate must be a percentage from 0% to 100%, got "x%", e.g. corrupt=1%`},
		{"phone:delay=10%/5 minutes", `"phone:delay=10%/5 minutes": lateness must be a positive duration up to 24h, like 90s or 5m, got "5 minutes"`},
		{"phone:delay=10%/0s", `"phone:delay=10%/0s": lateness must be a positive duration up to 24h, like 90s or 5m, got "0s"`},
		{"phone:skew=10%/48h", `"phone:skew=10%/48h": clock offset must be a positive duration up to 24h, like 90s or 5m, got "48h"`},
		{"phone:skew=10%", `"phone:skew=10%": skew needs a clock offset, e.g. skew=5%/90s`},
		{"phone:drop=1%;phone:drop=2%", `"phone:drop=2%": drop given twice for phone`},
		{"all:drop=1%,drop=2%", `"all:drop=2%": drop given twice for all`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := faults.Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want %s", tc.in, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q):\n got %s\nwant %s", tc.in, err, tc.want)
			}
		})
	}
}

func TestCheckNamesTheClause(t *testing.T) {
	p, err := faults.Parse("all:drop=1%;phone:drop=2%;drone:delay=5%/1m")
	if err != nil {
		t.Fatal(err)
	}
	err = p.Check([]string{"phone", "wifi"})
	want := `"drone:delay=5%/1m": unknown producer "drone" (want one of phone, wifi, or all)`
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %s", err, want)
	}
	if err := p.Check([]string{"phone", "drone"}); err != nil {
		t.Errorf("Check with every name known: %v", err)
	}
}

func ExampleParse() {
	p, err := faults.Parse("phone:delay=10%/5m,duplicate=5%;wifi:drop=2%")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.For("phone"))
	fmt.Println(p.For("wifi").Rule(faults.Drop).Rate)
	// Output:
	// delay=10%/5m,duplicate=5%
	// 0.02
}

package main

import (
	"context"
	"flag"
	"strings"
	"testing"
)

// TestFlagMistakesGiveOneLine checks, for every command, that a bad flag is
// one line on stderr naming the flag, what is wrong and where the usage is,
// with exit code 2 and no usage printed; --help prints the usage on stdout.
func TestFlagMistakesGiveOneLine(t *testing.T) {
	commands := []struct {
		args    []string // the command, with a subject for bench
		intFlag string   // a whole-number flag it takes
	}{
		{[]string{"demo"}, "persons"},
		{[]string{"produce"}, "persons"},
		{[]string{"aggregate"}, "max-ack-pending"},
		{[]string{"setup"}, "replicas"},
		{[]string{"producers"}, ""},
		{[]string{"city"}, "persons"},
		{[]string{"eval"}, ""}, // its lists say their own errors (below)
		{[]string{"bench", "publish"}, "rounds"},
		{[]string{"bench", "aggregate"}, "rounds"},
		{[]string{"bench", "scale"}, "latency-events"},
		{[]string{"version"}, ""},
	}
	for _, c := range commands {
		name := strings.Join(c.args, " ")
		hint := "(see exhaust " + name + " --help)"
		cases := []struct {
			name string
			args []string
			want string // the whole line after "exhaust <command>: "
		}{
			{"unknown flag", []string{"--colour"}, "--colour: no such flag " + hint},
			{"single dash", []string{"-colour=red"}, "--colour: no such flag " + hint},
			{"bad syntax", []string{"---x"}, `"---x" is not a flag (flags are --name or --name=value) ` + hint},
		}
		if c.intFlag != "" {
			cases = append(cases,
				struct {
					name string
					args []string
					want string
				}{"not a number", []string{"--" + c.intFlag, "x"}, "--" + c.intFlag + `: "x" is not a whole number ` + hint},
				struct {
					name string
					args []string
					want string
				}{"missing value", []string{"--" + c.intFlag}, "--" + c.intFlag + " needs a value " + hint},
			)
		}
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				args := append(append([]string{}, c.args...), tc.args...)
				code, stdout, stderr := runCLI(t, context.Background(), nil, args...)
				if code != 2 {
					t.Errorf("exit code %d, want 2", code)
				}
				if stdout != "" {
					t.Errorf("stdout not empty (no usage unless asked):\n%s", stdout)
				}
				if want := "exhaust " + c.args[0] + ": " + tc.want + "\n"; stderr != want {
					t.Errorf("stderr\n got %q\nwant %q", stderr, want)
				}
			})
		}
		t.Run(name+"/help", func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), nil, append(append([]string{}, c.args...), "--help")...)
			if code != 0 || stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			if !strings.HasPrefix(stdout, "Usage: exhaust "+name) {
				t.Errorf("stdout does not start with the usage:\n%s", stdout)
			}
		})
	}
}

func TestFlagValueProblems(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"boolean", []string{"produce", "--fast=maybe"}, nil, `--fast: "maybe" is not true or false`},
		{"duration", []string{"produce", "--dedup-window", "soon"}, nil, `--dedup-window: "soon" is not a duration (such as 90s, 5m or 1h30m)`},
		{"number", []string{"demo", "--speed", "fast"}, nil, `--speed: "fast" is not a number`},
		{"out of range", []string{"city", "--days", "99999999999999999999"}, nil, `--days: "99999999999999999999" is out of range`},
		{"a value's own error", []string{"produce", "--stream-max-bytes", "big"}, nil, `--stream-max-bytes: want a size like 512MiB or 1GiB, got "big"`},
		{"eval's lists", []string{"eval", "--persons", "x"}, nil, `--persons: "x" is not a whole number`},
		{"a list's part", []string{"eval", "--persons", "30,x"}, nil, `--persons: "30,x": "x" is not a whole number`},
		{"near miss", []string{"demo", "--persns", "3"}, nil, "--persns: no such flag (did you mean --persons?)"},
		{"prefix", []string{"demo", "--pers", "3"}, nil, "--pers: no such flag (did you mean --person-cap or --persons?)"},
		{"environment", nil, map[string]string{"EXHAUST_PERSONS": "x"}, `EXHAUST_PERSONS (--persons): "x" is not a whole number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{"city"}
			}
			code, stdout, stderr := runCLI(t, context.Background(), tc.env, args...)
			if code != 2 || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line with %q", stderr, tc.want)
			}
		})
	}
}

// TestParseFlagsRestoresValues checks that the recorder parseFlags puts
// around each value during Parse is gone afterwards, so commands that look
// a flag's value up find their own type.
func TestParseFlagsRestoresValues(t *testing.T) {
	fs := newFlagSet("test", "test", "", new(strings.Builder))
	n := fs.Int("n", 1, "a number")
	b := fs.Bool("b", false, "a switch")
	if err := parseFlags(fs, []string{"--n", "3", "--b"}, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if *n != 3 || !*b {
		t.Errorf("n=%d b=%v, want 3 true", *n, *b)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(*recordingValue); ok {
			t.Errorf("--%s still has the recorder", f.Name)
		}
	})
}

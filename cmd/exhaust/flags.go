package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// envName is the environment variable that sets a flag: --nats-listen is
// EXHAUST_NATS_LISTEN.
func envName(flagName string) string {
	return "EXHAUST_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newFlagSet returns a flag set for a subcommand whose usage text names every
// flag's environment variable.
func newFlagSet(name, synopsis, about string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print its own error and the whole usage on a
	// bad flag; parseFlags returns one line instead, and prints the usage
	// only when asked for with --help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: exhaust %s\n\n%s\n\nFlags (each also read from the environment variable shown):\n", synopsis, about)
		secondaryMu.Lock()
		marked, title := secondary[fs], secondaryTitle[fs]
		secondaryMu.Unlock()
		var later []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) {
			if marked[f.Name] {
				later = append(later, f)
				return
			}
			printFlag(out, f)
		})
		if len(later) > 0 {
			fmt.Fprintf(out, "\n%s:\n", title)
			for _, f := range later {
				printFlag(out, f)
			}
		}
	}
	return fs
}

// secondary marks, per flag set, flags listed after the others under
// secondaryTitle (the demo's many aggregator thresholds would otherwise
// bury --persons and --speed).
var (
	secondaryMu    sync.Mutex
	secondary      = map[*flag.FlagSet]map[string]bool{}
	secondaryTitle = map[*flag.FlagSet]string{}
)

// registerSecondary runs register and marks the flags it adds as
// secondary, listed under title in the usage.
func registerSecondary(fs *flag.FlagSet, title string, register func()) {
	before := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { before[f.Name] = true })
	register()
	marked := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if !before[f.Name] {
			marked[f.Name] = true
		}
	})
	secondaryMu.Lock()
	defer secondaryMu.Unlock()
	secondary[fs], secondaryTitle[fs] = marked, title
}

func printFlag(out io.Writer, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	if kind != "" {
		kind = " " + kind
	}
	fmt.Fprintf(out, "  --%s%s\n    \t%s", f.Name, kind, usage)
	if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
		fmt.Fprintf(out, " (default %s)", f.DefValue)
	}
	fmt.Fprintf(out, " [$%s]\n", envName(f.Name))
}

// parseFlags applies EXHAUST_* environment variables, then the command line
// (which wins). It prints the usage only when asked (-h, --help: it returns
// flag.ErrHelp); a mistake comes back as a usageError of one line that
// names the flag, says what is wrong with it and where the usage is:
//
//	--persons: "x" is not a whole number (see exhaust demo --help)
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	hint := fmt.Sprintf("(see exhaust %s --help)", fs.Name())
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s (--%s): %s %s", envName(f.Name), f.Name, valueProblem(f, v, err), hint))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}

	// The flag package calls Usage on every error and wraps a value's error
	// in a message of its own: Usage is silenced during Parse, and each
	// value records its error (with its flag) for the message below.
	usage := fs.Usage
	fs.Usage = func() {}
	var bad *badValue
	var originals []flag.Value
	fs.VisitAll(func(f *flag.Flag) {
		originals = append(originals, f.Value)
		f.Value = &recordingValue{Value: f.Value, flag: f, bad: &bad}
	})
	err := fs.Parse(args)
	i := 0
	fs.VisitAll(func(f *flag.Flag) { f.Value, i = originals[i], i+1 })
	fs.Usage = usage

	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case bad != nil:
		return usageError{fmt.Errorf("--%s: %s %s", bad.flag.Name, valueProblem(bad.flag, bad.value, bad.err), hint)}
	case err != nil:
		return usageError{fmt.Errorf("%s %s", syntaxProblem(fs, err), hint)}
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("unexpected argument %q (flags start with --; see exhaust %s --help)", fs.Arg(0), fs.Name())}
	}
	return nil
}

// badValue is a value a flag refused, as recordingValue saw it.
type badValue struct {
	flag  *flag.Flag // with its own Value, not the recorder
	value string
	err   error
}

// recordingValue passes Set to the flag's value and keeps its error.
type recordingValue struct {
	flag.Value
	flag *flag.Flag
	bad  **badValue
}

func (r *recordingValue) Set(s string) error {
	err := r.Value.Set(s)
	if err != nil && *r.bad == nil {
		*r.bad = &badValue{flag: &flag.Flag{Name: r.flag.Name, Value: r.Value}, value: s, err: err}
	}
	return err
}

// IsBoolFlag keeps --json meaning --json=true through the recorder.
func (r *recordingValue) IsBoolFlag() bool {
	b, ok := r.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// valueProblem says what is wrong with value v of flag f. The flag
// package's own values fail with a bare "parse error" or "value out of
// range": those are said in words from the flag's type; other values' errors
// say it themselves, after the value when they do not quote it whole (a
// list's error names the part that is wrong).
func valueProblem(f *flag.Flag, v string, err error) string {
	msg := err.Error()
	if msg != "parse error" && msg != "value out of range" {
		if !strings.Contains(msg, strconv.Quote(v)) {
			return fmt.Sprintf("%q: %s", v, msg)
		}
		return msg
	}
	var kind any
	if g, ok := f.Value.(flag.Getter); ok {
		kind = g.Get()
	}
	if msg == "value out of range" {
		return fmt.Sprintf("%q is out of range", v)
	}
	switch kind.(type) {
	case bool:
		return fmt.Sprintf("%q is not true or false", v)
	case int, int64:
		return fmt.Sprintf("%q is not a whole number", v)
	case uint, uint64:
		return fmt.Sprintf("%q is not a whole number of 0 or more", v)
	case float64:
		return fmt.Sprintf("%q is not a number", v)
	case time.Duration:
		return fmt.Sprintf("%q is not a duration (such as 90s, 5m or 1h30m)", v)
	}
	return fmt.Sprintf("%q is not a valid value", v)
}

// syntaxProblem rewrites the flag package's other errors (an unknown flag,
// a missing value, a malformed flag) with the flags spelled as --name.
func syntaxProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		if near := nearestFlag(fs, name); near != "" {
			return fmt.Sprintf("--%s: no such flag (did you mean %s?)", name, near)
		}
		return fmt.Sprintf("--%s: no such flag", name)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Sprintf("--%s needs a value", name)
	}
	if s, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Sprintf("%q is not a flag (flags are --name or --name=value)", s)
	}
	return msg
}

// nearestFlag returns the flags closest to name, within two edits (a flag
// that name begins counts as one edit), as "--a" or "--a or --b", or "".
func nearestFlag(fs *flag.FlagSet, name string) string {
	var best []string
	bestDist := 3
	fs.VisitAll(func(f *flag.Flag) {
		d := editDistance(name, f.Name)
		if len(name) >= 3 && strings.HasPrefix(f.Name, name) {
			d = min(d, 1)
		}
		switch {
		case d < bestDist:
			best, bestDist = []string{"--" + f.Name}, d
		case d == bestDist:
			best = append(best, "--"+f.Name)
		}
	})
	if len(best) > 3 {
		return ""
	}
	return strings.Join(best, " or ")
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// csvFlag is a comma-separated list flag ("phone,card").
type csvFlag []string

func (c *csvFlag) String() string { return strings.Join(*c, ",") }

func (c *csvFlag) Set(s string) error {
	*c = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*c = append(*c, part)
		}
	}
	return nil
}

// byteSize is a size flag accepting plain bytes or KiB/MiB/GiB suffixes.
type byteSize int64

func (b *byteSize) String() string {
	v := int64(*b)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v != 0 && v%u.n == 0 {
			return fmt.Sprintf("%d%s", v/u.n, u.suffix)
		}
	}
	return fmt.Sprint(v)
}

func (b *byteSize) Set(s string) error {
	mult := int64(1)
	num := s
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			mult, num = u.n, strings.TrimSuffix(s, u.suffix)
			break
		}
	}
	var v int64
	if _, err := fmt.Sscan(strings.TrimSpace(num), &v); err != nil || v < 0 {
		return fmt.Errorf("want a size like 512MiB or 1GiB, got %q", s)
	}
	*b = byteSize(v * mult)
	return nil
}

// osGetenv is the real environment; tests pass their own.
var osGetenv = os.Getenv

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
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
	// bad flag; we print one line instead (see parseFlags), and the usage
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
// (which wins). Errors are one line and say what to fix.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags start with --; see exhaust %s --help)", fs.Arg(0), fs.Name())
	}
	return nil
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

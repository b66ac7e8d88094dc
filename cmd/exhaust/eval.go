package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"exhaust/aggregator"
	"exhaust/eval"
	"exhaust/faults"
	"exhaust/producers"
	"exhaust/world"
)

// usageError is a mistake on the command line: run exits with 2, as the
// flag package's own programs do.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func runEval(ctx context.Context, args []string, env *cliEnv) error {
	// The flag package prints the usage on a bad flag too: it is kept for
	// --help only, and a mistake gets its one line.
	var help bytes.Buffer
	fs := newFlagSet("eval", "eval [--persons N,…] [--days D,…] [--seed S,…] [--faults PLAN|…] [--json]",
		"Sweeps the accuracy of the aggregator: for every combination of --persons,\n--days and --seed, simulates the city and feeds its events to the aggregator\nin process (no NATS), then scores the profiles against the ground truth.\nPrints one row per combination (--json: one JSON object per line):\npairwise and B-cubed precision/recall/F1, per evidence kind, same-event\nrecall, home and work error in metres, sleep error in minutes, unicity ε2\nand ε4, and the aggregator's events/s. docs/accuracy.md defines each figure.\n--faults dirties the events first, as produce --faults does, and sweeps\nplans separated by |: the curve of accuracy against the fault rate\n(docs/faults.md).",
		&help)
	persons := listFlag[int]{world.DefaultPersons}
	days := listFlag[int]{7}
	seeds := listFlag[int64]{world.DefaultSeed}
	fs.Var(&persons, "persons", "people in the city, the hero included: one or more, comma-separated")
	fs.Var(&days, "days", "days simulated from day 1: one or more, comma-separated")
	fs.Var(&seeds, "seed", "seeds of the city and its events: one or more, comma-separated")
	start := fs.String("start", defaultStart, "date of the first simulated day, YYYY-MM-DD")
	asJSON := fs.Bool("json", false, "print one JSON object per combination, one per line")
	faultSpec := fs.String("faults", "", evalFaultsUsage)
	engine := aggregator.DefaultConfig()
	registerSecondary(fs, "Linker thresholds (the defaults are what the sweep is meant to measure)", func() {
		registerLinkerFlags(fs, &engine.Linker)
	})
	if err := parseFlags(fs, args, env.getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = help.WriteTo(env.stdout)
			return err
		}
		return usageError{err}
	}
	if err := checkEvalFlags(persons, days, seeds, engine); err != nil {
		return usageError{err}
	}
	o := simOptions{start: *start}
	first, err := o.startDate()
	if err != nil {
		return usageError{err}
	}
	plans, err := parseFaultSweep(*faultSpec)
	if err != nil {
		return usageError{fmt.Errorf("--faults: %w", err)}
	}
	grid := eval.Grid{Persons: persons, Days: days, Seeds: seeds, Faults: plans}
	var out resultPrinter = &evalTable{w: env.stdout}
	if *asJSON {
		out = &evalJSON{enc: json.NewEncoder(env.stdout)}
	}
	for _, cfg := range grid.Configs() {
		cfg.Start, cfg.Engine = first, &engine
		r, err := eval.Run(ctx, cfg)
		if err != nil {
			if !cfg.Faults.IsZero() {
				return fmt.Errorf("%d people, %d day(s), seed %d, faults %s: %w", cfg.Persons, cfg.Days, cfg.Seed, cfg.Faults, err)
			}
			return fmt.Errorf("%d people, %d day(s), seed %d: %w", cfg.Persons, cfg.Days, cfg.Seed, err)
		}
		if err := out.print(r); err != nil {
			return err
		}
	}
	return nil
}

// evalFaultsUsage is eval's --faults usage: produce's grammar, swept.
const evalFaultsUsage = "faults done to the events before the aggregator, as produce --faults does them (same seed and\n" +
	"    \tsettings, same faults): `plans` separated by |, each " + faults.Syntax + "\n" +
	"    \tor none (no faults), each measured in turn, e.g. 'none|all:drop=5%|all:drop=10%'; see docs/faults.md"

// parseFaultSweep reads --faults: plans separated by "|", each in the
// faults grammar or "none" (or nothing) for a clean run, checked against
// the producer registry. "" is no plan at all: one clean run.
func parseFaultSweep(s string) ([]faults.Plan, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []faults.Plan
	for _, spec := range strings.Split(s, "|") {
		spec = strings.TrimSpace(spec)
		if spec == "none" {
			spec = ""
		}
		p, err := faults.Parse(spec)
		if err == nil {
			err = p.Check(producers.Names())
		}
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// checkEvalFlags checks the lists' values; errors are one line and name the
// flag.
func checkEvalFlags(persons, days listFlag[int], seeds listFlag[int64], engine aggregator.Config) error {
	for _, l := range []struct {
		name string
		vals []int
		min  int
	}{{"persons", persons, 1}, {"days", days, 1}} {
		if len(l.vals) == 0 {
			return fmt.Errorf("--%s is empty: give at least one value", l.name)
		}
		for _, v := range l.vals {
			if v < l.min {
				return fmt.Errorf("--%s must be at least %d, got %d", l.name, l.min, v)
			}
		}
	}
	for _, v := range persons {
		if v > world.MaxPersons {
			return fmt.Errorf("--persons must be at most %d, got %d", world.MaxPersons, v)
		}
	}
	if len(seeds) == 0 {
		return errors.New("--seed is empty: give at least one value")
	}
	if err := engine.Linker.Validate(); err != nil {
		return fmt.Errorf("linker flags: %w", err)
	}
	return nil
}

// listFlag is a comma-separated list of whole numbers ("30,300,1000").
type listFlag[T int | int64] []T

func (l *listFlag[T]) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(*l))
	for i, v := range *l {
		s[i] = strconv.FormatInt(int64(v), 10)
	}
	return strings.Join(s, ",")
}

func (l *listFlag[T]) Set(v string) error {
	var out []T
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || int64(T(n)) != n {
			return fmt.Errorf("%q is not a whole number (want a comma-separated list such as 30,300,1000)", part)
		}
		out = append(out, T(n))
	}
	*l = out
	return nil
}

// resultPrinter writes the sweep's results as they come.
type resultPrinter interface {
	print(eval.Result) error
}

// evalJSON prints one JSON object per line.
type evalJSON struct{ enc *json.Encoder }

func (p *evalJSON) print(r eval.Result) error { return p.enc.Encode(r) }

// evalTable prints a fixed-width table, a row as each combination ends, so
// a long sweep shows its results as it goes.
type evalTable struct {
	w      io.Writer
	header bool
}

// evalColumn is one column of the table, under a group heading.
type evalColumn struct {
	group, name string
	value       func(eval.Result) string
}

func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func metres(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 0, 64)
}

func minutes(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

var evalColumns = []evalColumn{
	{"city", "people", func(r eval.Result) string { return strconv.Itoa(r.Persons) }},
	{"", "days", func(r eval.Result) string { return strconv.Itoa(r.Days) }},
	{"", "seed", func(r eval.Result) string { return strconv.FormatInt(r.Seed, 10) }},
	{"pairwise", "P", func(r eval.Result) string { return f3(r.Pairwise.Precision) }},
	{"", "R", func(r eval.Result) string { return f3(r.Pairwise.Recall) }},
	{"", "F1", func(r eval.Result) string { return f3(r.Pairwise.F1) }},
	{"B-cubed", "P", func(r eval.Result) string { return f3(r.BCubed.Precision) }},
	{"", "R", func(r eval.Result) string { return f3(r.BCubed.Recall) }},
	{"", "F1", func(r eval.Result) string { return f3(r.BCubed.F1) }},
	{"same event", "P", func(r eval.Result) string { return f3(r.ByEvidence["same_event"].Precision) }},
	{"", "R", func(r eval.Result) string { return f3(r.ByEvidence["same_event"].Recall) }},
	{"joined", "P", func(r eval.Result) string { return f3(r.ByEvidence["joined_records"].Precision) }},
	{"", "R", func(r eval.Result) string { return f3(r.ByEvidence["joined_records"].Recall) }},
	{"co-occurrence", "P", func(r eval.Result) string { return f3(r.ByEvidence["cooccurrence"].Precision) }},
	{"", "R", func(r eval.Result) string { return f3(r.ByEvidence["cooccurrence"].Recall) }},
	{"same-ev pairs", "recall", func(r eval.Result) string { return f3(r.SameEvent.Recall) }},
	{"", "bound", func(r eval.Result) string { return f3(r.SameEvent.Bound) }},
	{"home (m)", "p50", func(r eval.Result) string { return metres(r.Home.P50) }},
	{"", "p90", func(r eval.Result) string { return metres(r.Home.P90) }},
	{"", "found", func(r eval.Result) string { return f3(r.Home.Found) }},
	{"work (m)", "p50", func(r eval.Result) string { return metres(r.Work.P50) }},
	{"", "p90", func(r eval.Result) string { return metres(r.Work.P90) }},
	{"", "found", func(r eval.Result) string { return f3(r.Work.Found) }},
	{"bed (min)", "p50", func(r eval.Result) string { return minutes(r.Sleep.Bed.P50) }},
	{"", "p90", func(r eval.Result) string { return minutes(r.Sleep.Bed.P90) }},
	{"wake (min)", "p50", func(r eval.Result) string { return minutes(r.Sleep.Wake.P50) }},
	{"", "p90", func(r eval.Result) string { return minutes(r.Sleep.Wake.P90) }},
	{"unicity", "ε2", func(r eval.Result) string { return f3(r.Unicity.P2) }},
	{"", "ε4", func(r eval.Result) string { return f3(r.Unicity.P4) }},
	{"aggregator", "events", func(r eval.Result) string { return strconv.FormatUint(r.Events, 10) }},
	{"", "events/s", func(r eval.Result) string { return strconv.FormatFloat(r.EventsPerS, 'f', 0, 64) }},
	{"faults", "dup", func(r eval.Result) string { return strconv.FormatUint(r.Faults.Duplicates, 10) }},
	{"", "late≤", func(r eval.Result) string { return strconv.FormatUint(r.Faults.LateWithin, 10) }},
	{"", "late>", func(r eval.Result) string { return strconv.FormatUint(r.Faults.LateBeyond, 10) }},
	{"", "rejected", func(r eval.Result) string { return strconv.FormatUint(rejected(r.Faults), 10) }},
	// Last: a plan is as wide as it is written.
	{"", "plan", func(r eval.Result) string { return cmp.Or(r.Faults.Plan, "none") }},
}

// rejected is the number of messages rejected, whatever the reason.
func rejected(f eval.Faults) uint64 {
	var n uint64
	for _, c := range f.Rejected {
		n += c
	}
	return n
}

// evalWidths are the columns' widths: wide enough for the values
// expected and their headings.
var evalWidths = func() []int {
	w := make([]int, len(evalColumns))
	for i, c := range evalColumns {
		w[i] = max(6, len([]rune(c.name)))
		if c.name == "events" || c.name == "events/s" {
			w[i] = 9
		}
	}
	return w
}()

func (p *evalTable) print(r eval.Result) error {
	var b strings.Builder
	if !p.header {
		p.header = true
		// Group headings, each starting over its first column.
		var line []rune
		at := 0
		for i, c := range evalColumns {
			if c.group != "" {
				for len(line) < at {
					line = append(line, ' ')
				}
				line = append(line, []rune(c.group)...)
			}
			at += evalWidths[i] + 1
		}
		b.WriteString(string(line) + "\n")
		for i, c := range evalColumns {
			b.WriteString(padLeft(c.name, evalWidths[i]) + " ")
		}
		b.WriteString("\n")
	}
	for i, c := range evalColumns {
		b.WriteString(padLeft(c.value(r), evalWidths[i]) + " ")
	}
	b.WriteString("\n")
	_, err := io.WriteString(p.w, strings.ReplaceAll(b.String(), " \n", "\n"))
	return err
}

func padLeft(s string, n int) string {
	if k := n - len([]rune(s)); k > 0 {
		return strings.Repeat(" ", k) + s
	}
	return s
}

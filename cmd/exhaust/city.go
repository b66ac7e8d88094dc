package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"exhaust/census"
	"exhaust/producers"
	"exhaust/world"
)

// City defaults: a town large and long enough for the curves to mean
// something, and quick (20 s or so on two cores).
const (
	cityPersons = 1000
	cityDays    = 7
)

func runCity(ctx context.Context, args []string, env *cliEnv) error {
	fs := newFlagSet("city", "city [--persons N] [--days D] [--seed S] [--json]",
		"Simulates the city in process (no NATS) and reports what it is: people by\noccupation, towers, places, events per person per day by producer, and the\nunicity curves ε1..ε6 at antenna × hour (phone.cell) and shop × day (card\npayments), measured from the events, next to the papers' figures\n(docs/world.md, \"The city's own report\").",
		env.stdout)
	persons := fs.Int("persons", cityPersons, "people in the city, the hero included")
	days := fs.Int("days", cityDays, "simulated days, from day 1")
	seed := fs.Int64("seed", world.DefaultSeed, "random seed of the city and its events (the same as exhaust produce's)")
	start := fs.String("start", defaultStart, "date of the first simulated day, YYYY-MM-DD")
	samples := fs.Int("samples", census.DefaultSamples, "draws each unicity curve is measured from, spread over its traces")
	drawSeed := fs.Uint64("draw-seed", 1, "seed of the unicity draws (another one shows how stable the curves are)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	switch {
	case *persons < 1:
		return fmt.Errorf("--persons must be at least 1 (the hero), got %d", *persons)
	case *days < 1:
		return fmt.Errorf("--days must be at least 1, got %d", *days)
	case *samples < 1:
		return fmt.Errorf("--samples must be at least 1, got %d", *samples)
	}
	o := simOptions{start: *start}
	first, err := o.startDate()
	if err != nil {
		return err
	}
	r, err := census.Run(ctx, census.Config{
		World:     world.Config{Seed: *seed, Persons: *persons, Start: first},
		Days:      *days,
		Producers: producers.All(),
		Samples:   *samples,
		DrawSeed:  *drawSeed,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printCity(env.stdout, r)
	return nil
}

// printCity writes the report as text.
func printCity(out io.Writer, r *census.Report) {
	fmt.Fprintf(out, "The city: %d people, %d day(s) from %s, seed %d (%d person-days in the city)\n\n",
		r.Persons, r.Days, r.Start, r.Seed, r.PersonDays)

	fmt.Fprintln(out, "People by occupation")
	names := make([]string, 0, len(r.Occupations))
	for _, o := range world.Occupations {
		names = append(names, census.OccupationName(o))
	}
	for _, name := range sortedKeys(r.Occupations) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range names {
		fmt.Fprintf(out, "  %-10s %8d  %5.1f %%\n", name, r.Occupations[name], 100*float64(r.Occupations[name])/float64(r.Persons))
	}
	fmt.Fprintf(out, "\nCell towers: %d\nPlaces by kind:", r.Towers)
	total := 0
	for _, kind := range sortedKeys(r.Places) {
		fmt.Fprintf(out, " %s %d,", kind, r.Places[kind])
		total += r.Places[kind]
	}
	fmt.Fprintf(out, " %d in all\n\n", total)

	fmt.Fprintf(out, "Events by producer\n  %-10s %10s  %s\n", "", "events", "per person per day")
	for _, name := range sortedKeys(r.EventsByProducer) {
		fmt.Fprintf(out, "  %-10s %10d  %8.1f\n", name, r.EventsByProducer[name], r.PerPersonDay[name])
	}
	fmt.Fprintf(out, "  %-10s %10d  %8.1f\n", "all", r.Events, r.PerPersonDay["all"])
	fmt.Fprintln(out, "\nUnicity: the share of traces that p random points of their own single out")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := []string{"p"}
	for _, m := range r.Curves {
		head = append(head, m.Lens, paperOf(m.Lens))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for p := 1; p <= census.MaxP; p++ {
		row := []string{fmt.Sprint(p)}
		for _, m := range r.Curves {
			row = append(row, fmt.Sprintf("%.3f", m.Curve[p-1]), paperFigure(m.Lens, p))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	for _, m := range r.Curves {
		fmt.Fprintf(out, "  %s: %d traces (%s), %.1f points each on average, drawn %d time(s) each\n", m.Lens, m.Traces, m.Key, m.Mean, m.Draws)
	}
	for _, p := range r.Papers {
		fmt.Fprintf(out, "  %s: %s; %s. %s.\n", p.Resolution, p.Cite, p.Data, p.Note)
	}
	fmt.Fprintf(out, "\nTook %.1f s to simulate (%.0f events/s) and %.1f s to measure unicity.\n",
		r.SimulateSeconds, r.EventsPerSecond, r.UnicitySeconds)
}

// paperOf names the paper measured at a lens's resolution.
func paperOf(lens string) string {
	for _, p := range census.Papers {
		if p.Resolution == lens {
			if i := strings.IndexByte(p.Title, ':'); i > 0 {
				return p.Title[:i]
			}
			return p.Title
		}
	}
	return ""
}

// paperFigure is the paper's ε_p at a lens's resolution, or "-".
func paperFigure(lens string, p int) string {
	for _, pp := range census.Papers {
		if v, ok := pp.Unicity[fmt.Sprint(p)]; ok && pp.Resolution == lens {
			return fmt.Sprintf("%.2f", v)
		}
	}
	return "-"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

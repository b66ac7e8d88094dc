package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/producers/asyncapi"
)

func runProducers(_ context.Context, args []string, env *cliEnv) error {
	fs := newFlagSet("producers", "producers [--json | --asyncapi]",
		"Lists every registered producer: its event kinds, their NATS subjects,\nthe identifier kinds each may carry, and the schema of its data.", env.stdout)
	asJSON := fs.Bool("json", false, "print the listing as JSON")
	asAsyncAPI := fs.Bool("asyncapi", false, "print an AsyncAPI 3.0 document (YAML) of every channel, message and schema, as in docs/asyncapi.yaml")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if *asJSON && *asAsyncAPI {
		return usageError{errors.New("--json and --asyncapi print different things: choose one")}
	}
	if *asAsyncAPI {
		doc, err := asyncapi.YAML(producers.All())
		if err != nil {
			return err
		}
		_, err = env.stdout.Write(doc)
		return err
	}
	type kindOut struct {
		Type    string         `json:"type"`
		Subject string         `json:"subject"`
		Summary string         `json:"summary"`
		Reveals string         `json:"reveals"`
		IDKinds []event.IDKind `json:"id_kinds"`
		Schema  string         `json:"schema"`
		Privacy []string       `json:"suppressed_by,omitempty"`
		// Means says what the kind's events mean (meaning.Describe each).
		Means []string `json:"means"`
	}
	type producerOut struct {
		Name    string    `json:"name"`
		Summary string    `json:"summary"`
		Kinds   []kindOut `json:"kinds"`
	}
	var out []producerOut
	for _, p := range producers.All() {
		s := p.Spec()
		po := producerOut{Name: s.Name, Summary: s.Summary}
		for _, k := range s.Kinds {
			typ := event.Type(s.Name, k.Name)
			ko := kindOut{Type: typ, Subject: event.Subject(s.Name, k.Name), Summary: k.Summary, Reveals: k.Reveals,
				IDKinds: k.IDKinds, Schema: event.SchemaURI(typ, event.SchemaVersion), Means: []string{}}
			for _, m := range k.Means {
				ko.Means = append(ko.Means, meaning.Describe(m))
			}
			for _, r := range s.Privacy {
				for _, sup := range r.Suppresses {
					if sup == k.Name {
						ko.Privacy = append(ko.Privacy, r.Setting)
					}
				}
			}
			po.Kinds = append(po.Kinds, ko)
		}
		out = append(out, po)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, p := range out {
		fmt.Fprintf(env.stdout, "%s: %s\n", p.Name, p.Summary)
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  SUBJECT\tIDENTIFIERS\tMEANS\tSTOPPED BY")
		for _, k := range p.Kinds {
			ids := make([]string, len(k.IDKinds))
			for i, id := range k.IDKinds {
				ids[i] = string(id)
			}
			var means []string
			for _, m := range k.Means {
				means = append(means, strings.SplitN(m, " (", 2)[0]) // "payment of card"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", k.Subject, strings.Join(ids, ","), strings.Join(means, ", "), strings.Join(k.Privacy, "; "))
		}
		tw.Flush()
		fmt.Fprintln(env.stdout)
	}
	fmt.Fprintln(env.stdout, "Event reference: docs/events.md (AsyncAPI: docs/asyncapi.yaml). Adding a producer: docs/adding-a-producer.md.")
	return nil
}

package docgen

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/natsbus"
	"exhaust/producers"
	"exhaust/world"
)

// UpdateCommand is the command that regenerates docs/events.md; the page
// names it so nobody edits it by hand.
const UpdateCommand = "go test ./producers/all -run TestEventsDoc -update"

// IDDoc returns the reference's description of an identifier kind, its
// summary in the vocabulary (event.Describe), or "" for a kind outside it.
func IDDoc(k event.IDKind) string {
	info, _ := event.Describe(k)
	return info.Summary
}

// Markdown renders the event reference: the envelope, the identifier
// vocabulary, then for every producer and kind its subject, type, schema,
// identifier kinds, what it reveals, a field table derived from the schema
// and a real example event. example returns one encoded event of a
// producer's kind, or nil when there is none; it is pretty-printed as is.
func Markdown(ps []producers.Producer, example func(p producers.Producer, kind string) []byte) []byte {
	var b bytes.Buffer
	w := &b
	fmt.Fprintf(w, "# Event reference\n\n")
	fmt.Fprintf(w, "<!-- Generated from the producer registry by `%s`. DO NOT EDIT. -->\n\n", UpdateCommand)
	fmt.Fprintf(w, "Every sensor publishes JSON events to NATS subjects `exhaust.<producer>.<kind>`, in one envelope "+
		"with [CloudEvents 1.0](https://cloudevents.io) attribute names. The payload (`data`) starts with the "+
		"identifiers the sensor saw (`ids`) and, when it knows one, where it located the observation (`where`); "+
		"the rest is the kind's own fields. Every payload has a JSON Schema (draft 2020-12), checked in next to "+
		"its producer and enforced by the aggregator's validator.\n\n")
	fmt.Fprintf(w, "Watch them live with `nats sub 'exhaust.>'`.\n\n")

	fmt.Fprintf(w, "| producer | what it is | event types |\n|---|---|---|\n")
	for _, p := range ps {
		s := p.Spec()
		var types []string
		for _, k := range s.Kinds {
			typ := event.Type(s.Name, k.Name)
			types = append(types, fmt.Sprintf("[`%s`](#%s)", typ, anchor(typ)))
		}
		fmt.Fprintf(w, "| [%s](#%s) | %s | %s |\n", s.Name, anchor(s.Name), cell(s.Summary), strings.Join(types, ", "))
	}
	fmt.Fprintln(w)

	writeEnvelope(w)
	writeIdentifiers(w, ps)
	for _, p := range ps {
		writeProducer(w, p, example)
	}
	return b.Bytes()
}

func writeEnvelope(w io.Writer) {
	fmt.Fprintf(w, "## Envelope\n\n")
	fmt.Fprintf(w, "Schema `%s`. Every event, whatever its type, has these attributes:\n\n", event.EnvelopeSchemaID)
	root, err := parseSchema(event.EnvelopeSchema())
	if err != nil { // the envelope schema is embedded and tested
		panic(err)
	}
	writeFields(w, root)
	fmt.Fprintf(w, "The NATS subject is `exhaust.` followed by the type; the event id is also the `Nats-Msg-Id` header, "+
		"so JetStream drops a replayed event.\n\n")
	fmt.Fprintf(w, "Each message also carries `%s` (a random id per publishing process), `%s` (its number in "+
		"that publisher's order, from 1) and `%s` (every earlier message numbered below it was stored before this "+
		"one was published, or never will be), with which the aggregator puts a publisher's messages back in "+
		"publication order after a stream leader's failover on a cluster ([deploy.md](deploy.md)).\n\n",
		natsbus.PublisherHeader, natsbus.PublisherSeqHeader, natsbus.PublisherSettledHeader)
	fmt.Fprintf(w, "Inside `data`, `ids` is a list of `{\"kind\", \"value\"}` pairs and `where` (when present) is "+
		"`{\"place\", \"lat\", \"lon\", \"accuracy_m\"}`: the place id and position *the sensor* knows (a tower, a "+
		"station, a shop, an access point), not the person's true position.\n\n")
}

func writeIdentifiers(w io.Writer, ps []producers.Producer) {
	fmt.Fprintf(w, "## Identifiers\n\n")
	fmt.Fprintf(w, "A controlled vocabulary: an event carries only identifiers its sensor could really see, and never a "+
		"person's name or true id (names and e-mails appear only where people typed them in themselves). "+
		"Linking them is the aggregator's job. The built-in kinds come first; a producer whose sensor sees a "+
		"kind of its own declares it in its spec (`NewIDKinds`), and it follows, marked with its producer. "+
		"*One per person* marks the kinds a person has at most one of at a time.\n\n")
	fmt.Fprintf(w, "| kind | what it is | carried by |\n|---|---|---|\n")
	declaredBy := map[event.IDKind][]string{}
	for _, p := range ps {
		for _, nk := range p.Spec().NewIDKinds {
			declaredBy[nk.Kind] = append(declaredBy[nk.Kind], p.Spec().Name)
		}
	}
	for _, k := range event.Kinds() {
		var by []string
		for _, p := range ps {
			s := p.Spec()
			for _, ks := range s.Kinds {
				if slices.Contains(ks.IDKinds, k) {
					typ := event.Type(s.Name, ks.Name)
					by = append(by, fmt.Sprintf("[`%s`](#%s)", typ, anchor(typ)))
				}
			}
		}
		carried := strings.Join(by, ", ")
		if carried == "" {
			carried = "(no registered producer)"
		}
		doc := cell(IDDoc(k))
		if event.Exclusive(k) {
			doc += " *One per person.*"
		}
		if by := declaredBy[k]; len(by) > 0 {
			for i, name := range by {
				by[i] = fmt.Sprintf("[%s](#%s)", name, anchor(name))
			}
			doc += fmt.Sprintf(" Declared by %s.", strings.Join(by, ", "))
		}
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", k, doc, carried)
	}
	fmt.Fprintln(w)
}

func writeProducer(w io.Writer, p producers.Producer, example func(producers.Producer, string) []byte) {
	s := p.Spec()
	fmt.Fprintf(w, "## %s\n\n%s\n\n", s.Name, text(s.Summary))
	fmt.Fprintf(w, "Source `%s`, subjects `%s`.\n\n", event.Source(s.Name), event.Subject(s.Name, "*"))
	if len(s.Privacy) > 0 {
		fmt.Fprintf(w, "Privacy settings it honours:\n\n")
		for _, r := range s.Privacy {
			var kinds []string
			for _, k := range r.Suppresses {
				kinds = append(kinds, "`"+event.Type(s.Name, k)+"`")
			}
			fmt.Fprintf(w, "- *%s*: no more %s.\n", text(r.Setting), strings.Join(kinds, ", "))
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "No privacy setting silences it.\n\n")
	}
	for _, k := range s.Kinds {
		typ := event.Type(s.Name, k.Name)
		fmt.Fprintf(w, "### %s\n\n%s\n\n", typ, text(k.Summary))
		var ids []string
		for _, id := range k.IDKinds {
			ids = append(ids, "`"+string(id)+"`")
		}
		fmt.Fprintf(w, "| | |\n|---|---|\n")
		fmt.Fprintf(w, "| subject | `%s` |\n", event.Subject(s.Name, k.Name))
		fmt.Fprintf(w, "| type | `%s` |\n", typ)
		fmt.Fprintf(w, "| dataschema | `%s` |\n", event.SchemaURI(typ, event.SchemaVersion))
		fmt.Fprintf(w, "| identifiers | %s |\n", strings.Join(ids, ", "))
		fmt.Fprintf(w, "| reveals | %s |\n", cell(k.Reveals))
		var means []string
		for _, m := range k.Means {
			means = append(means, meaning.Describe(m))
		}
		if len(means) == 0 {
			means = []string{"nothing declared: linked by its identifiers, no fact"}
		}
		fmt.Fprintf(w, "| means | %s |\n\n", cell(strings.Join(means, "; ")))
		root, err := parseSchema(k.Schema)
		if err != nil {
			fmt.Fprintf(w, "*The schema does not parse: %s.*\n\n", cell(err.Error()))
		} else {
			if root.Description != "" {
				fmt.Fprintf(w, "%s\n\n", text(root.Description))
			}
			writeFields(w, root)
		}
		var raw []byte
		if example != nil {
			raw = example(p, k.Name)
		}
		var nice []byte
		if raw != nil {
			nice, _ = pretty(raw)
		}
		if nice == nil {
			fmt.Fprintf(w, "*No example: the generated days have no such event.*\n\n")
			continue
		}
		fmt.Fprintf(w, "Example:\n\n```json\n%s\n```\n\n", nice)
	}
}

// writeFields writes the field table of an object schema, nested fields
// flattened with dots ("where.lat") and array items with "[]" ("ids[].kind").
func writeFields(w io.Writer, root *schemaNode) {
	if len(root.Properties) == 0 {
		return
	}
	fmt.Fprintf(w, "| field | type | required | description |\n|---|---|---|---|\n")
	var walk func(prefix string, n *schemaNode)
	walk = func(prefix string, n *schemaNode) {
		for _, p := range n.Properties {
			name := prefix + p.Name
			req := ""
			if slices.Contains(n.Required, p.Name) {
				req = "yes"
			}
			fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", name, cell(p.Node.typeString()), req, cell(p.Node.Description))
			switch {
			case len(p.Node.Properties) > 0:
				walk(name+".", p.Node)
			case p.Node.Items != nil && len(p.Node.Items.Properties) > 0:
				walk(name+"[].", p.Node.Items)
			}
		}
	}
	walk("", root)
	fmt.Fprintln(w)
}

// text makes prose from specs and schemas safe as Markdown: "<producer>"
// would otherwise be taken for an HTML tag and vanish.
func text(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// cell makes s safe inside a Markdown table cell: one line, pipes escaped.
func cell(s string) string {
	s = strings.ReplaceAll(text(s), "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// anchor returns the GitHub anchor of a heading: lower case, punctuation
// other than - and _ dropped, spaces to dashes.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// DayExamples returns an example func for Markdown taking events from
// generated days: for each producer and kind, the first such event carrying
// one of the hero's identifiers (days in the order given), else the first
// such event of anybody. Each producer's events are collected once, with
// producers.Collect and seed.
func DayExamples(seed int64, days ...*world.Day) func(p producers.Producer, kind string) []byte {
	type collected struct {
		events [][]event.Event // per day
	}
	cache := map[string]*collected{}
	heroIDs := make([]map[event.ID]bool, len(days))
	for i, d := range days {
		heroIDs[i] = map[event.ID]bool{}
		for _, id := range d.Truth()[world.HeroID] {
			heroIDs[i][id] = true
		}
	}
	return func(p producers.Producer, kind string) []byte {
		name := p.Spec().Name
		c, ok := cache[name]
		if !ok {
			c = &collected{}
			for _, d := range days {
				evs, err := producers.Collect(p, seed, d)
				if err != nil {
					evs = nil // the contract suite reports Collect errors
				}
				c.events = append(c.events, evs)
			}
			cache[name] = c
		}
		pick := func(hero bool) []byte {
			for i, evs := range c.events {
				for j := range evs {
					e := &evs[j]
					if e.Kind() != kind {
						continue
					}
					if hero && !slices.ContainsFunc(event.IDsOf(e), func(id event.ID) bool { return heroIDs[i][id] }) {
						continue
					}
					b, err := e.Encode()
					if err != nil {
						return nil
					}
					return b
				}
			}
			return nil
		}
		if b := pick(true); b != nil {
			return b
		}
		return pick(false)
	}
}

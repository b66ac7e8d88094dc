package docgen

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

const demoSchema = `{
  "$id": "urn:exhaust:schema:demo.ping:v1",
  "description": "A ping <answered>.",
  "type": "object",
  "required": ["ids", "count"],
  "properties": {
    "ids": {"description": "Identifiers.", "type": "array", "items": {
      "type": "object", "required": ["kind"],
      "properties": {
        "kind": {"description": "Kind.", "enum": ["mac"]},
        "value": {"description": "Value.", "type": "string"}}}},
    "count": {"description": "Pings | answers.", "type": "integer"},
    "where": {"description": "Where.", "type": "object", "properties": {
      "lat": {"description": "Latitude.", "type": "number"}}},
    "at": {"description": "When.", "type": "string", "format": "date-time"},
    "unit": {"description": "Unit.", "const": "ms"}
  }
}`

type demo struct{ spec producers.Spec }

func (d demo) Spec() producers.Spec                                  { return d.spec }
func (demo) Observe(*world.Day, *rand.Rand, producers.Emitter) error { return nil }

func demoProducer() demo {
	return demo{producers.Spec{
		Name:    "demo",
		Summary: "A demo sensor for <tests>.",
		Kinds: []producers.KindSpec{
			{Name: "ping", Summary: "A ping.", Reveals: "Presence.", IDKinds: []event.IDKind{event.MAC}, Schema: []byte(demoSchema)},
			{Name: "quiet", Summary: "Never emitted.", Reveals: "Nothing.", IDKinds: []event.IDKind{event.MAC}, Schema: []byte(`{"type":"object"}`)},
		},
		Privacy: []producers.PrivacyRule{{Setting: "wifi off", Suppresses: []string{"ping"}}},
	}}
}

func TestMarkdown(t *testing.T) {
	example := func(p producers.Producer, kind string) []byte {
		if kind != "ping" {
			return nil
		}
		e := event.New("4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11", "demo", "ping", time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC),
			map[string]any{"ids": []event.ID{{Kind: event.MAC, Value: "02:00:00:00:00:01"}}, "count": 3})
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	md := string(Markdown([]producers.Producer{demoProducer()}, example))
	tests := []struct {
		name string
		want string
	}{
		{"producer table links kinds", "| [demo](#demo) | A demo sensor for &lt;tests&gt;. | [`demo.ping`](#demoping), [`demo.quiet`](#demoquiet) |"},
		{"envelope attributes", "| `specversion` | always `\"1.0\"` | yes |"},
		{"identifier carried by", "| `mac` | " + cell(IDDoc(event.MAC)) + " | [`demo.ping`](#demoping), [`demo.quiet`](#demoquiet) |"},
		{"identifier nobody carries, one per person", "| `imsi` | " + cell(IDDoc(event.IMSI)) + " *One per person.* | (no registered producer) |"},
		{"privacy rule", "- *wifi off*: no more `demo.ping`."},
		{"kind heading", "### demo.ping\n\nA ping.\n"},
		{"subject row", "| subject | `exhaust.demo.ping` |"},
		{"schema row", "| dataschema | `urn:exhaust:schema:demo.ping:v1` |"},
		{"identifiers row", "| identifiers | `mac` |"},
		{"schema description, escaped", "A ping &lt;answered&gt;."},
		{"array items flattened", "| `ids[].kind` | one of `\"mac\"` | yes | Kind. |"},
		{"optional nested field", "| `ids[].value` | string |  | Value. |"},
		{"pipe escaped", "| `count` | integer | yes | Pings \\| answers. |"},
		{"object flattened", "| `where.lat` | number |  | Latitude. |"},
		{"format shown", "| `at` | string (date-time) |  | When. |"},
		{"const shown", "| `unit` | always `\"ms\"` |  | Unit. |"},
		{"example folded", `    "ids": [{"kind": "mac", "value": "02:00:00:00:00:01"}]`},
		{"missing example said", "### demo.quiet\n\nNever emitted.\n"},
		{"no fields, no table", "| reveals | Nothing. |\n| means | nothing declared: linked by its identifiers, no fact |\n\n*No example"},
		{"no example", "*No example: the generated days have no such event.*"},
		{"regeneration command", UpdateCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(md, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, md)
			}
		})
	}
	// Field order follows the schema file, not the alphabet.
	if i, j := strings.Index(md, "| `count` |"), strings.Index(md, "| `at` |"); i < 0 || j < 0 || i > j {
		t.Errorf("fields out of schema order (count at %d, at at %d)", i, j)
	}
}

// A kind a producer declares is listed after the built-in ones, with its
// summary and its producer.
func TestMarkdownDeclaredKind(t *testing.T) {
	plate := producers.IDKindSpec{Kind: "plate", Summary: "Car number plate: parking cameras read it.", Exclusive: true}
	event.Declare(event.KindInfo(plate)) // what producers.Register does; the test binary keeps it
	p := demoProducer()
	p.spec.NewIDKinds = []producers.IDKindSpec{plate}
	p.spec.Kinds[0].IDKinds = []event.IDKind{"plate"}
	md := string(Markdown([]producers.Producer{p}, func(producers.Producer, string) []byte { return nil }))
	row := "| `plate` | Car number plate: parking cameras read it. *One per person.* Declared by [demo](#demo). | [`demo.ping`](#demoping) |"
	i, email := strings.Index(md, row), strings.Index(md, "| `email` |")
	if i < 0 || email < 0 || i < email {
		t.Errorf("declared kind's row missing or before the built-in kinds (at %d, email at %d):\n%s", i, email, md)
	}
}

func TestIDDocs(t *testing.T) {
	for _, k := range event.Kinds() {
		if IDDoc(k) == "" {
			t.Errorf("identifier kind %q has no description in docgen", k)
		}
	}
	if IDDoc("ssn") != "" {
		t.Error("a kind outside the vocabulary has a description")
	}
}

func TestAnchor(t *testing.T) {
	tests := []struct{ heading, want string }{
		{"card.payment", "cardpayment"},
		{"Envelope", "envelope"},
		{"wifi.portal", "wifiportal"},
		{"Adding a producer", "adding-a-producer"},
		{"phone_call x", "phone_call-x"},
	}
	for _, tt := range tests {
		t.Run(tt.heading, func(t *testing.T) {
			if got := anchor(tt.heading); got != tt.want {
				t.Errorf("anchor(%q) = %q, want %q", tt.heading, got, tt.want)
			}
		})
	}
}

func TestPretty(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"scalars", `{"a":1,"b":"x"}`, "{\n  \"a\": 1,\n  \"b\": \"x\"\n}"},
		{"key order kept", `{"z":1,"a":2}`, "{\n  \"z\": 1,\n  \"a\": 2\n}"},
		{"empty containers fold", `{"a":[],"b":{}}`, "{\n  \"a\": [],\n  \"b\": {}\n}"},
		{"short nested folds", `{"d":{"ids":[{"kind":"mac","value":"x"}]}}`, "{\n  \"d\": {\n    \"ids\": [{\"kind\": \"mac\", \"value\": \"x\"}]\n  }\n}"},
		{"long nested unfolds", `{"d":{"s":"` + strings.Repeat("x", 120) + `"}}`, "{\n  \"d\": {\n    \"s\": \"" + strings.Repeat("x", 120) + "\"\n  }\n}"},
		{"numbers kept as written", `{"n":48.8563000}`, "{\n  \"n\": 48.8563000\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pretty([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("pretty(%s) =\n%s\nwant\n%s", tt.in, got, tt.want)
			}
		})
	}
	if _, err := pretty([]byte(`{"a":`)); err == nil {
		t.Error("pretty accepted truncated JSON")
	}
}

func TestDayExamplesPrefersTheHero(t *testing.T) {
	w, err := world.New(world.Config{Seed: 1, Persons: 3})
	if err != nil {
		t.Fatal(err)
	}
	day := w.Day(1)
	hero := map[event.ID]bool{}
	for _, id := range day.Truth()[world.HeroID] {
		hero[id] = true
	}
	ex := DayExamples(1, day)
	p := demoEmitter{}
	raw := ex(p, "seen")
	if raw == nil {
		t.Fatal("no example")
	}
	if !strings.Contains(string(raw), day.Plan(world.HeroID).Person.CardToken) {
		t.Errorf("example %s is not the hero's", raw)
	}
	if ex(p, "never") != nil {
		t.Error("example for a kind never emitted")
	}
}

// demoEmitter emits one "seen" event per person, the hero last, so only a
// preference for the hero picks hers.
type demoEmitter struct{}

func (demoEmitter) Spec() producers.Spec { return producers.Spec{Name: "demo"} }
func (demoEmitter) Observe(d *world.Day, _ *rand.Rand, emit producers.Emitter) error {
	for i := len(d.Plans) - 1; i >= 0; i-- {
		p := d.Plans[i].Person
		emit.Emit("seen", d.Date, event.Common{IDs: []event.ID{{Kind: event.Card, Value: p.CardToken}}})
	}
	return nil
}

package asyncapi_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/producers/asyncapi"
	"exhaust/world"
)

// normalise returns v as encoding/json decodes it, so a value decoded from
// YAML (ints) compares with one decoded from JSON (float64s).
func normalise(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// at walks a decoded document along keys; it fails the test at the first
// missing one.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a mapping", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

// TestYAMLCoversRegistry walks the registry: every kind has a channel at
// its subject, a send operation on that channel, and a message whose
// payload is the envelope with the kind's schema as data.
func TestAsyncAPICoversRegistry(t *testing.T) {
	ps := producers.All()
	if len(ps) == 0 {
		t.Fatal("no producer registered")
	}
	out, err := asyncapi.YAML(ps)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	if got := at(t, doc, "asyncapi"); got != asyncapi.Version {
		t.Errorf("asyncapi = %v, want %s", got, asyncapi.Version)
	}
	if got := at(t, doc, "servers", asyncapi.ServerName, "protocol"); got != "nats" {
		t.Errorf("server protocol = %v, want nats", got)
	}
	kinds := 0
	for _, p := range ps {
		s := p.Spec()
		for _, k := range s.Kinds {
			kinds++
			typ := event.Type(s.Name, k.Name)
			t.Run(typ, func(t *testing.T) {
				if got := at(t, doc, "channels", typ, "address"); got != event.Subject(s.Name, k.Name) {
					t.Errorf("channel address = %v, want %s", got, event.Subject(s.Name, k.Name))
				}
				if got := at(t, doc, "channels", typ, "messages", typ, "$ref"); got != "#/components/messages/"+typ {
					t.Errorf("channel message = %v", got)
				}
				if got := at(t, doc, "operations", typ, "action"); got != "send" {
					t.Errorf("operation action = %v, want send", got)
				}
				if got := at(t, doc, "operations", typ, "channel", "$ref"); got != "#/channels/"+typ {
					t.Errorf("operation channel = %v", got)
				}
				msgs := at(t, doc, "operations", typ, "messages").([]any)
				if len(msgs) != 1 || at(t, msgs[0], "$ref") != "#/channels/"+typ+"/messages/"+typ {
					t.Errorf("operation messages = %v", msgs)
				}
				if got := at(t, doc, "components", "messages", typ, "summary"); got != k.Summary {
					t.Errorf("message summary = %q, want %q", got, k.Summary)
				}
				if got := at(t, doc, "components", "messages", typ, "description").(string); !strings.Contains(got, k.Reveals) {
					t.Errorf("message description %q does not say what it reveals (%q)", got, k.Reveals)
				}
				if len(k.Means) > 0 {
					ms := at(t, doc, "components", "messages", typ, "x-exhaust-means").([]any)
					if len(ms) != len(k.Means) {
						t.Fatalf("x-exhaust-means lists %d meanings, want %d", len(ms), len(k.Means))
					}
					for i, m := range k.Means {
						if at(t, ms[i], "meaning") != m.Kind() || at(t, ms[i], "of") != string(m.About()) {
							t.Errorf("x-exhaust-means[%d] = %v, want %s of %s", i, ms[i], m.Kind(), m.About())
						}
					}
				}
				pl := at(t, doc, "components", "messages", typ, "payload")
				if got := at(t, pl, "schemaFormat"); got != asyncapi.SchemaFormat {
					t.Errorf("schemaFormat = %v, want %s", got, asyncapi.SchemaFormat)
				}
				for attr, want := range map[string]string{
					"type": typ, "source": event.Source(s.Name), "dataschema": event.SchemaURI(typ, event.SchemaVersion),
				} {
					if got := at(t, pl, "schema", "properties", attr, "const"); got != want {
						t.Errorf("envelope %s = %v, want const %q", attr, got, want)
					}
				}
				var want map[string]any
				if err := json.Unmarshal(k.Schema, &want); err != nil {
					t.Fatal(err)
				}
				delete(want, "$schema") // the document declares draft-07 instead; see the package doc
				got := normalise(t, at(t, pl, "schema", "properties", "data"))
				if !reflect.DeepEqual(got, normalise(t, want)) {
					t.Errorf("payload data schema differs from the kind's schema:\n got %v\nwant %v", got, want)
				}
			})
		}
	}
	for _, section := range [][]string{{"channels"}, {"operations"}, {"components", "messages"}} {
		if n := len(at(t, doc, section...).(map[string]any)); n != kinds {
			t.Errorf("%s has %d entries, want one per kind (%d)", strings.Join(section, "."), n, kinds)
		}
	}
}

func TestAsyncAPIDeterministic(t *testing.T) {
	a, err := asyncapi.YAML(producers.All())
	if err != nil {
		t.Fatal(err)
	}
	b, err := asyncapi.YAML(producers.All())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two runs gave different documents")
	}
}

type demo struct{ spec producers.Spec }

func (d demo) Spec() producers.Spec                                  { return d.spec }
func (demo) Observe(*world.Day, *rand.Rand, producers.Emitter) error { return nil }

func TestAsyncAPIRefusesSchemas(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"not JSON", `{"type": `, "demo.ping schema: parse"},
		{"not an object", `[]`, "demo.ping schema: parse: not a JSON object"},
		{"2020-12 keyword", `{"type": "object", "properties": {"p": {"type": "array", "prefixItems": [{"type": "string"}]}}}`,
			`demo.ping schema: #/properties/p/prefixItems: keyword "prefixItems" is not read the same by draft-07 and 2020-12`},
		{"$ref", `{"type": "object", "properties": {"p": {"$ref": "#/$defs/p"}}}`, `keyword "$ref"`},
		{"tuple items", `{"type": "array", "items": [{"type": "string"}]}`, "#/items: a list of schemas (a tuple)"},
		{"nested in anyOf", `{"anyOf": [{"type": "string"}, {"unevaluatedProperties": false}]}`, `#/anyOf/1/unevaluatedProperties`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := demo{producers.Spec{Name: "demo", Summary: "A demo sensor.", Kinds: []producers.KindSpec{
				{Name: "ping", Summary: "A ping.", Reveals: "Presence.", IDKinds: []event.IDKind{event.MAC}, Schema: []byte(tt.schema)},
			}}}
			_, err := asyncapi.YAML([]producers.Producer{p})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestAsyncAPIAcceptsDraft07Subset(t *testing.T) {
	schema := `{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
		"properties": {"a": {"type": "array", "items": {"enum": [1, 2]}}, "b": {"oneOf": [true, {"const": "x"}]},
		"c/d": {"type": "object", "additionalProperties": {"type": "integer", "exclusiveMinimum": 0}}}}`
	p := demo{producers.Spec{Name: "demo", Summary: "A demo sensor.", Kinds: []producers.KindSpec{
		{Name: "ping", Summary: "A ping.", Reveals: "Presence.", IDKinds: []event.IDKind{event.MAC}, Schema: []byte(schema)},
	}}}
	out, err := asyncapi.YAML([]producers.Producer{p})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("2020-12")) {
		t.Error("the document still names draft 2020-12 in a payload")
	}
}

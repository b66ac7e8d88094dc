package producertest

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
	"exhaust/world"
)

const goodSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "urn:exhaust:schema:demo.ping:v1",
  "type": "object",
  "additionalProperties": false,
  "required": ["ids"],
  "properties": {
    "ids": {"description": "Identifiers.", "type": "array", "items": {
      "type": "object", "additionalProperties": false, "required": ["kind", "value"],
      "properties": {
        "kind": {"description": "Kind.", "enum": ["mac"]},
        "value": {"description": "Value.", "type": "string"}}}},
    "note": {"description": "A note.", "type": "string"}
  }
}`

func goodSpec() producers.Spec {
	return producers.Spec{
		Name:    "demo",
		Summary: "A demo sensor.",
		Kinds: []producers.KindSpec{{
			Name: "ping", Summary: "A ping.", Reveals: "Presence.",
			IDKinds: []event.IDKind{event.MAC}, Schema: []byte(goodSchema),
		}},
		Privacy: []producers.PrivacyRule{{
			Setting: "wifi off", Apply: func(p *world.Privacy) { p.WifiEnabled = false }, Suppresses: []string{"ping"},
		}},
	}
}

func TestSpecProblems(t *testing.T) {
	tests := []struct {
		name   string
		change func(*producers.Spec)
		want   string // substring of one problem; "" means no problem
	}{
		{"good", func(*producers.Spec) {}, ""},
		{"bad name", func(s *producers.Spec) { s.Name = "Demo" }, "name"},
		{"no summary", func(s *producers.Spec) { s.Summary = "" }, "summary"},
		{"no kinds", func(s *producers.Spec) { s.Kinds = nil }, "no kinds"},
		{"duplicate kind", func(s *producers.Spec) { s.Kinds = append(s.Kinds, s.Kinds[0]) }, "declared twice"},
		{"bad kind name", func(s *producers.Spec) { s.Kinds[0].Name = "Ping" }, "lower-case"},
		{"kind summary not a sentence", func(s *producers.Spec) { s.Kinds[0].Summary = "a ping" }, "summary"},
		{"no reveals", func(s *producers.Spec) { s.Kinds[0].Reveals = "" }, "reveals"},
		{"no id kinds", func(s *producers.Spec) { s.Kinds[0].IDKinds = nil }, "no identifier kinds"},
		{"id kind outside the vocabulary", func(s *producers.Spec) { s.Kinds[0].IDKinds = []event.IDKind{"ssn"} }, "not in the vocabulary"},
		{"enum and spec disagree", func(s *producers.Spec) { s.Kinds[0].IDKinds = []event.IDKind{event.MAC, event.Email} }, "kind enum"},
		{"schema does not compile", func(s *producers.Spec) { s.Kinds[0].Schema = []byte(`{"type": 3}`) }, "does not compile"},
		{"schema of another type", func(s *producers.Spec) { s.Kinds[0].Name = "pong" }, "$id"},
		{"schema not strict", func(s *producers.Spec) {
			s.Kinds[0].Schema = []byte(strings.Replace(goodSchema, `"additionalProperties": false,
  "required"`, `"required"`, 1))
		}, "additionalProperties"},
		{"undocumented property", func(s *producers.Spec) {
			s.Kinds[0].Schema = []byte(strings.Replace(goodSchema, `"description": "A note.", `, "", 1))
		}, `"note" has no description`},
		{"ids not required", func(s *producers.Spec) {
			s.Kinds[0].Schema = []byte(strings.Replace(goodSchema, `"required": ["ids"],`, "", 1))
		}, "not required"},
		{"new id kind", withPlate(func(*producers.Spec) {}), ""},
		{"new id kind not a word", withPlate(func(s *producers.Spec) { s.NewIDKinds[0].Kind = "Plate" }), "one lower-case word"},
		{"new id kind built in", withPlate(func(s *producers.Spec) { s.NewIDKinds[0].Kind = event.Card }), "built in"},
		{"new id kind without a sentence", withPlate(func(s *producers.Spec) { s.NewIDKinds[0].Summary = "a plate" }), "want one sentence"},
		{"new id kind declared twice", withPlate(func(s *producers.Spec) { s.NewIDKinds = append(s.NewIDKinds, s.NewIDKinds[0]) }), "declared twice"},
		{"new id kind nobody carries", withPlate(func(s *producers.Spec) { s.Kinds[0].IDKinds = []event.IDKind{event.MAC} }), "carried by none"},
		{"new id kind at odds with the vocabulary", withPlate(func(s *producers.Spec) { s.NewIDKinds[0].Summary = "A licence plate." }), "already has it"},
		{"meaning", func(s *producers.Spec) {
			s.Kinds[0].Means = []meaning.Meaning{meaning.Interest{Of: event.MAC, Topic: "note"}}
		}, ""},
		{"meaning about a kind not carried", func(s *producers.Spec) {
			s.Kinds[0].Means = []meaning.Meaning{meaning.Interest{Of: event.Card, Topic: "note"}}
		}, "does not carry"},
		{"meaning without its role", func(s *producers.Spec) {
			s.Kinds[0].Means = []meaning.Meaning{meaning.Payment{Of: event.MAC}}
		}, "Amount names no field"},
		{"meaning of a field the schema lacks", func(s *producers.Spec) {
			s.Kinds[0].Means = []meaning.Meaning{meaning.Interest{Of: event.MAC, Topic: "topic"}}
		}, `names field "topic", which its schema does not have`},
		{"rule without Apply", func(s *producers.Spec) { s.Privacy[0].Apply = nil }, "no Apply"},
		{"rule suppressing an unknown kind", func(s *producers.Spec) { s.Privacy[0].Suppresses = []string{"pong"} }, "undeclared kind"},
		{"rule suppressing nothing", func(s *producers.Spec) { s.Privacy[0].Suppresses = nil }, "suppresses no kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := goodSpec()
			tt.change(&s)
			got := SpecProblems(s)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("problems in a good spec: %q", got)
				}
				return
			}
			for _, p := range got {
				if strings.Contains(p, tt.want) {
					return
				}
			}
			t.Errorf("problems %q, want one containing %q", got, tt.want)
		})
	}
}

// withPlate returns change applied to a spec that declares the plate
// identifier kind (see parking_test.go) and carries it in its kind.
func withPlate(change func(*producers.Spec)) func(*producers.Spec) {
	return func(s *producers.Spec) {
		s.NewIDKinds = []producers.IDKindSpec{plateKind}
		s.Kinds[0].IDKinds = []event.IDKind{plateKind.Kind}
		s.Kinds[0].Schema = []byte(strings.Replace(goodSchema, `"enum": ["mac"]`, `"enum": ["plate"]`, 1))
		change(s)
	}
}

type pingData struct {
	event.Common
	Note string `json:"note,omitempty"`
}

func TestNamespaceProblems(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	strayed := event.New("id", "demo", "ping", now, pingData{})
	strayed.Source = "exhaust/other"
	tests := []struct {
		name string
		e    event.Event
		want string
	}{
		{"own kind", event.New("id", "demo", "ping", now, pingData{}), ""},
		{"another producer's type", event.New("id", "wifi", "ping", now, pingData{}), "outside the producer's namespace"},
		{"undeclared kind", event.New("id", "demo", "pong", now, pingData{}), "not declared"},
		{"wrong source", strayed, "source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NamespaceProblems(goodSpec(), &tt.e)
			checkProblems(t, got, tt.want)
		})
	}
}

func checkProblems(t *testing.T, got []string, want string) {
	t.Helper()
	if want == "" {
		if len(got) != 0 {
			t.Fatalf("unexpected problems: %q", got)
		}
		return
	}
	for _, p := range got {
		if strings.Contains(p, want) {
			return
		}
	}
	t.Errorf("problems %q, want one containing %q", got, want)
}

func TestIdentifierProblems(t *testing.T) {
	tr := &truth{ids: map[event.ID]bool{}, needles: map[string]needle{}}
	tr.addPerson("p001", "Ada Lovelace")
	tr.addID(event.ID{Kind: event.MAC, Value: "02:00:00:00:00:01"})
	tr.addID(event.ID{Kind: event.Email, Value: "a@example.net"})
	tr.addID(event.ID{Kind: event.Pass, Value: "NAV-0123456789"})
	tr.addID(event.ID{Kind: event.Ticket, Value: "T1234"}) // too short to look for
	mac := event.ID{Kind: event.MAC, Value: "02:00:00:00:00:01"}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ev := func(ids []event.ID, note string) event.Event {
		return event.New("id", "demo", "ping", now, pingData{Common: event.Common{IDs: ids}, Note: note})
	}
	tests := []struct {
		name string
		e    event.Event
		want string
	}{
		{"true identifier", ev([]event.ID{mac}, "hello"), ""},
		{"no identifier", ev(nil, ""), "no identifier"},
		{"invented value", ev([]event.ID{{Kind: event.MAC, Value: "02:00:00:00:00:02"}}, ""), "belongs to nobody"},
		{"undeclared kind", ev([]event.ID{mac, {Kind: event.Email, Value: "a@example.net"}}, ""), "the spec declares"},
		{"right value, wrong kind", ev([]event.ID{{Kind: event.IMEI, Value: mac.Value}}, ""), "belongs to nobody"},
		{"true person id", ev([]event.ID{mac}, "p001"), "true person id"},
		{"true person id inside a string", ev([]event.ID{mac}, "seen p001 twice"), "true person id"},
		{"a name the sensor cannot know", ev([]event.ID{mac}, "Ada Lovelace"), "cannot know"},
		{"a name inside a string", ev([]event.ID{mac}, "for Ada Lovelace, with love"), "cannot know"},
		{"someone else's identifier in a note", ev([]event.ID{mac}, "pass NAV-0123456789 seen"), `hides pass "NAV-0123456789"`},
		{"an identifier alone in a field, undeclared", ev([]event.ID{mac}, "NAV-0123456789"), "hides pass"},
		{"the event's own identifier in a note", ev([]event.ID{mac}, "from 02:00:00:00:00:01 at noon"), "hides mac"},
		{"the event's own identifier, whole, in a field", ev([]event.ID{mac}, "02:00:00:00:00:01"), ""},
		{"identifier glued to a word", ev([]event.ID{mac}, "xNAV-0123456789"), ""},
		{"identifier glued to digits", ev([]event.ID{mac}, "NAV-01234567890"), ""},
		{"short identifier not searched", ev([]event.ID{mac}, "ticket T1234"), ""},
		{"person id inside a word", ev([]event.ID{mac}, "p0012"), ""},
		{"identifier in a nested field", event.New("id", "demo", "ping", now, map[string]any{
			"ids":   []event.ID{mac},
			"items": []map[string]any{{"name": "book"}, {"name": "gift for a@example.net"}},
		}), `items[1].name hides email "a@example.net"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, tr.problems(goodSpec(), &tt.e), tt.want)
		})
	}
}

func TestOrderProblems(t *testing.T) {
	date := time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())
	day := &world.Day{Index: 1, Date: date}
	at := func(d time.Duration) event.Event { return event.New("id", "demo", "ping", date.Add(d), pingData{}) }
	tests := []struct {
		name string
		evs  []event.Event
		want string
	}{
		{"ordered", []event.Event{at(0), at(time.Hour), at(time.Hour), at(24*time.Hour - time.Second)}, ""},
		{"out of order", []event.Event{at(2 * time.Hour), at(time.Hour)}, "comes after"},
		{"before the day", []event.Event{at(-time.Second)}, "outside day"},
		{"next midnight", []event.Event{at(24 * time.Hour)}, "outside day"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, OrderProblems(day, tt.evs), tt.want)
		})
	}
}

func TestSchemas(t *testing.T) {
	got := Schemas(fakeProducer{goodSpec()})
	if len(got) != 1 || string(got["demo.ping"]) != goodSchema {
		t.Errorf("Schemas = %v", got)
	}
}

type fakeProducer struct{ spec producers.Spec }

func (f fakeProducer) Spec() producers.Spec { return f.spec }
func (fakeProducer) Observe(*world.Day, *rand.Rand, producers.Emitter) error {
	return nil
}

// Declared meanings are checked against the events: a field the events
// never fill, an identifier kind they never carry, a presence without a
// place are reported.
func TestMeansProblems(t *testing.T) {
	spec := goodSpec()
	ping := func(note string, where *event.Where, ids ...event.ID) event.Event {
		return event.Event{Type: "demo.ping", Data: map[string]any{"ids": ids, "note": note, "where": where}}
	}
	mac := event.ID{Kind: event.MAC, Value: "3c:22:fb:ca:10:b2"}
	here := &event.Where{Place: "cafe:one", Lat: 48.86, Lon: 2.35}
	tests := []struct {
		name  string
		means []meaning.Meaning
		evs   []event.Event
		want  string // substring of the one problem; "" means none
	}{
		{"present", []meaning.Meaning{meaning.Interest{Of: event.MAC, Topic: "note"}},
			[]event.Event{ping("", nil, mac), ping("books", nil, mac)}, ""},
		{"field never filled", []meaning.Meaning{meaning.Interest{Of: event.MAC, Topic: "note"}},
			[]event.Event{ping("", nil, mac)}, `names field "note", but no event fills it`},
		{"identifier never carried", []meaning.Meaning{meaning.Interest{Of: event.Email, Topic: "note"}},
			[]event.Event{ping("books", nil, mac)}, `is about "email", but no event carries one`},
		{"presence nowhere", []meaning.Meaning{meaning.Presence{Of: event.MAC}},
			[]event.Event{ping("", nil, mac)}, "needs where"},
		{"presence somewhere", []meaning.Meaning{meaning.Presence{Of: event.MAC}},
			[]event.Event{ping("", nil, mac), ping("", here, mac)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec
			s.Kinds = slices.Clone(spec.Kinds)
			s.Kinds[0].Means = tt.means
			got := meansProblems(s, tt.evs)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

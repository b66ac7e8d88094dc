package producertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

// The generated world every producer is run over: small, so six producers
// under -race stay fast, yet with the hero and enough people for every kind
// to appear in two days (a Sunday and a Monday) of a city where only some
// people do sport, own a wristband or shop at a loyalty chain.
const (
	Seed    = 1
	Persons = 40
)

// Days are the simulated days the suite collects.
var Days = []int{1, 2}

// Populations are the sizes of the worlds the suite tries, smallest first,
// until every kind the producer declares has been emitted: a rare sensor
// (a parking camera, when few people drive) is checked over a world large
// enough to see it, and the common case stays cheap. Every check runs over
// the first world in which every kind appears; emits_every_kind fails only
// when even the largest misses one.
var Populations = []int{Persons, 400, 4000}

// otherSeed is the Collect seed of the "different seed, different ids" check.
const otherSeed = Seed + 1

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	kindRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	// idKindRE is what event.Declare accepts.
	idKindRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,31}$`)
)

// Schemas returns the data schemas of producers' kinds by event type
// ("<producer>.<kind>"), the argument event.NewValidator takes.
func Schemas(ps ...producers.Producer) map[string][]byte { return producers.Schemas(ps...) }

// Run runs the contract every producer must honour, each check a named
// subtest: a well-formed spec; over a generated world, every declared kind
// emitted, every event valid against its schema, in the producer's own
// namespace, carrying only declared identifier kinds with values from the
// ground truth, deterministic, ordered inside its day, silent about people
// not in the city that day, each declared meaning present in its events;
// and every declared privacy rule silencing its kinds.
func Run(t *testing.T, p producers.Producer) {
	t.Helper()
	spec := p.Spec()
	t.Run("spec", func(t *testing.T) {
		for _, problem := range SpecProblems(spec) {
			t.Error(problem)
		}
	})
	v, err := event.NewValidator(Schemas(p))
	if err != nil {
		t.Fatalf("schemas do not compile: %v", err)
	}
	persons, runs, missing := population(t, p)

	t.Run("emits_every_kind", func(t *testing.T) {
		for _, k := range missing {
			t.Errorf("kind %q never emitted over days %v of worlds of up to %d people (seed %d): dead documentation, or a bug",
				k, Days, persons, Seed)
		}
	})
	t.Run("valid", func(t *testing.T) {
		for _, r := range runs {
			for i := range r.events {
				if problem := validProblem(v, &r.events[i]); problem != "" {
					t.Errorf("day %d: %s", r.day.Index, problem)
				}
			}
		}
	})
	t.Run("namespace", func(t *testing.T) {
		for _, r := range runs {
			for i := range r.events {
				for _, problem := range NamespaceProblems(spec, &r.events[i]) {
					t.Errorf("day %d: %s", r.day.Index, problem)
				}
			}
		}
	})
	t.Run("identifiers", func(t *testing.T) {
		for _, r := range runs {
			truth := newTruth(r.day)
			for i := range r.events {
				for _, problem := range truth.problems(spec, &r.events[i]) {
					t.Errorf("day %d: %s", r.day.Index, problem)
				}
			}
		}
	})
	t.Run("ordered_inside_the_day", func(t *testing.T) {
		for _, r := range runs {
			for _, problem := range OrderProblems(r.day, r.events) {
				t.Errorf("day %d: %s", r.day.Index, problem)
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		for _, r := range runs {
			again, err := producers.Collect(p, Seed, r.day)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := encodeAll(t, r.events), encodeAll(t, again); !bytes.Equal(a, b) {
				t.Errorf("day %d: two runs with seed %d differ:\n%s", r.day.Index, Seed, firstDiff(a, b))
			}
			other, err := producers.Collect(p, otherSeed, r.day)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]bool{}
			for _, e := range r.events {
				ids[e.ID] = true
			}
			for _, e := range other {
				if ids[e.ID] {
					t.Errorf("day %d: event id %s appears with seeds %d and %d: ids must derive from the seed",
						r.day.Index, e.ID, Seed, otherSeed)
					break
				}
			}
		}
	})
	t.Run("absent_visitors_unseen", func(t *testing.T) {
		for _, problem := range absentProblems(t, p, runs[0]) {
			t.Error(problem)
		}
	})
	t.Run("means", func(t *testing.T) {
		var all []event.Event
		for _, r := range runs {
			all = append(all, r.events...)
		}
		for _, problem := range meansProblems(spec, all) {
			t.Error(problem)
		}
	})
	base := countKinds(runs)
	for _, rule := range spec.Privacy {
		t.Run("privacy/"+strings.ReplaceAll(rule.Setting, " ", "_"), func(t *testing.T) {
			if rule.Apply == nil {
				t.Fatal("rule has no Apply func")
			}
			for _, k := range rule.Suppresses {
				if base[k] == 0 {
					t.Errorf("kind %q is never emitted without %q, so the rule proves nothing", k, rule.Setting)
				}
			}
			pw := generated(t, rule.Apply, persons)
			var adjusted []dayRun
			for _, i := range Days {
				evs, err := producers.Collect(p, Seed, pw.day(i))
				if err != nil {
					t.Fatal(err)
				}
				adjusted = append(adjusted, dayRun{day: pw.day(i), events: evs})
			}
			after := countKinds(adjusted)
			for _, k := range rule.Suppresses {
				if after[k] != 0 {
					t.Errorf("with %q applied to everyone, kind %q still emitted %d times", rule.Setting, k, after[k])
				}
			}
		})
	}
}

// absentee reports whether the absent-visitors check sends p away: every
// third person but the hero, so friends, neighbours and shared places mix
// absentees with people in the city.
func absentee(p *world.Person) bool { return p.ID != world.HeroID && personIndex(p.ID)%3 == 1 }

// personIndex is the population index in a person id "p007" (0 for others).
func personIndex(id string) int {
	n := 0
	for _, c := range strings.TrimPrefix(id, "p") {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// absentProblems runs p over base's day where every absentee has become a
// visitor who arrives the day after, their full plan left in place, and
// lists the events that carry an identifier only an absentee (or one of
// the world's own visitors away that day) owns: a sensor sees no one who
// is not in the city (world.Day.Present). base's events show that those
// identifiers are otherwise seen, so the check proves something.
func absentProblems(t *testing.T, p producers.Producer, base dayRun) []string {
	t.Helper()
	day := *base.day
	day.Plans = make([]*world.Plan, len(base.day.Plans))
	for i, pl := range base.day.Plans {
		day.Plans[i] = pl
		if absentee(pl.Person) && pl.Person.InCity(day.Index) {
			cp, person := *pl, *pl.Person
			person.Arrive, person.Leave = day.Index+1, day.Index+2
			cp.Person = &person
			day.Plans[i] = &cp
		}
	}
	away := map[event.ID]string{}
	for _, pl := range day.Plans {
		if pl.Person.InCity(day.Index) {
			continue
		}
		for _, id := range pl.Person.Identifiers(day.City) {
			away[id] = pl.Person.ID
		}
		for _, tk := range pl.TicketIDs() {
			away[event.ID{Kind: event.Ticket, Value: tk}] = pl.Person.ID
		}
	}
	for _, pl := range day.Present() {
		for _, id := range pl.Person.Identifiers(day.City) {
			delete(away, id) // shared with someone present (none should be)
		}
	}
	seen := false
	for i := range base.events {
		for _, id := range event.IDsOf(&base.events[i]) {
			if _, ok := away[id]; ok {
				seen = true
			}
		}
	}
	if !seen {
		return nil // the producer never sees these people anyway
	}
	evs, err := producers.Collect(p, Seed, &day)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	var out []string
	for i := range evs {
		for _, id := range event.IDsOf(&evs[i]) {
			if who, ok := away[id]; ok {
				out = append(out, fmt.Sprintf("day %d: %s %s carries %s %s of %s, who is not in the city that day",
					day.Index, evs[i].Type, evs[i].ID, id.Kind, id.Value, who))
			}
		}
	}
	return out
}

type dayRun struct {
	day    *world.Day
	events []event.Event
}

// population collects p's events over Days of the smallest world of
// Populations in which p emits every kind it declares, and returns its
// size and the kinds still missing from the largest.
func population(t *testing.T, p producers.Producer) (persons int, runs []dayRun, missing []string) {
	t.Helper()
	for _, persons = range Populations {
		w := generated(t, nil, persons)
		runs = runs[:0]
		for _, i := range Days {
			day := w.day(i)
			evs, err := producers.Collect(p, Seed, day)
			if err != nil {
				t.Fatalf("Collect (%d people, day %d): %v", persons, i, err)
			}
			runs = append(runs, dayRun{day: day, events: evs})
		}
		seen := countKinds(runs)
		missing = missing[:0]
		for _, k := range p.Spec().Kinds {
			if seen[k.Name] == 0 {
				missing = append(missing, k.Name)
			}
		}
		if len(missing) == 0 {
			break
		}
	}
	return persons, runs, missing
}

func countKinds(runs []dayRun) map[string]int {
	n := map[string]int{}
	for _, r := range runs {
		for i := range r.events {
			n[r.events[i].Kind()]++
		}
	}
	return n
}

// SpecProblems lists what is wrong with a producer's spec: names, summaries,
// identifier kinds, schemas (compile, $id, strictness, documentation) and
// privacy rules. It is exported so a producer's own tests can call it on a
// spec under construction.
func SpecProblems(s producers.Spec) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !nameRE.MatchString(s.Name) {
		add("name %q: want one lower-case NATS token", s.Name)
	}
	if !sentence(s.Summary) {
		add("summary %q: want one sentence, capitalised, ending with a full stop", s.Summary)
	}
	if len(s.Kinds) == 0 {
		add("no kinds")
	}
	kinds := map[string]bool{}
	for _, k := range s.Kinds {
		if !kindRE.MatchString(k.Name) {
			add("kind %q: want a lower-case NATS token (letters, digits, _)", k.Name)
		}
		if kinds[k.Name] {
			add("kind %q declared twice", k.Name)
		}
		kinds[k.Name] = true
		if !sentence(k.Summary) {
			add("kind %q: summary %q: want a sentence ending with a full stop", k.Name, k.Summary)
		}
		if !sentence(k.Reveals) {
			add("kind %q: reveals %q: want a sentence ending with a full stop", k.Name, k.Reveals)
		}
		if len(k.IDKinds) == 0 {
			add("kind %q: no identifier kinds: an event nobody can be linked by teaches nothing", k.Name)
		}
		seen := map[event.IDKind]bool{}
		for _, id := range k.IDKinds {
			if !id.Valid() && !slices.ContainsFunc(s.NewIDKinds, func(n producers.IDKindSpec) bool { return n.Kind == id }) {
				add("kind %q: identifier kind %q is not in the vocabulary %v, nor declared in NewIDKinds", k.Name, id, event.Kinds())
			}
			if seen[id] {
				add("kind %q: identifier kind %q listed twice", k.Name, id)
			}
			seen[id] = true
		}
		for _, problem := range SchemaProblems(event.Type(s.Name, k.Name), k.Schema, k.IDKinds) {
			add("kind %q: %s", k.Name, problem)
		}
		out = append(out, MeanProblems(k)...)
	}
	out = append(out, newIDKindProblems(s)...)
	settings := map[string]bool{}
	for _, r := range s.Privacy {
		if r.Setting == "" {
			add("privacy rule without a setting name")
		}
		if settings[r.Setting] {
			add("privacy rule %q declared twice", r.Setting)
		}
		settings[r.Setting] = true
		if r.Apply == nil {
			add("privacy rule %q: no Apply func", r.Setting)
		}
		if len(r.Suppresses) == 0 {
			add("privacy rule %q suppresses no kind", r.Setting)
		}
		for _, k := range r.Suppresses {
			if !kinds[k] {
				add("privacy rule %q suppresses undeclared kind %q", r.Setting, k)
			}
		}
	}
	return out
}

// newIDKindProblems lists what is wrong with the identifier kinds a spec
// declares: each one lower-case word, new, described by a sentence the
// vocabulary agrees with, and carried by some kind of the producer.
func newIDKindProblems(s producers.Spec) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	seen := map[event.IDKind]bool{}
	for _, n := range s.NewIDKinds {
		switch {
		case !idKindRE.MatchString(string(n.Kind)):
			add("new identifier kind %q: want one lower-case word of letters and digits", n.Kind)
		case event.Builtin(n.Kind):
			add("new identifier kind %q is built in: use it without declaring it", n.Kind)
		}
		if seen[n.Kind] {
			add("new identifier kind %q declared twice", n.Kind)
		}
		seen[n.Kind] = true
		if !sentence(n.Summary) {
			add("new identifier kind %q: summary %q: want one sentence (what it is, who sees it) ending with a full stop", n.Kind, n.Summary)
		}
		if info, ok := event.Describe(n.Kind); ok && !event.Builtin(n.Kind) && info != event.KindInfo(n) {
			add("new identifier kind %q: the vocabulary already has it as %+v", n.Kind, info)
		}
		if !slices.ContainsFunc(s.Kinds, func(k producers.KindSpec) bool { return slices.Contains(k.IDKinds, n.Kind) }) {
			add("new identifier kind %q is carried by none of the producer's kinds", n.Kind)
		}
	}
	return out
}

func sentence(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || !strings.HasSuffix(s, ".") {
		return false
	}
	first := s[0]
	return first >= 'A' && first <= 'Z'
}

// SchemaProblems lists what is wrong with the data schema of event type typ
// that may carry identifier kinds ids: it must compile, have $id
// SchemaURI(typ, SchemaVersion), be draft 2020-12, be strict (objects with
// additionalProperties false), describe every property, require ids and
// restrict ids.items.properties.kind.enum to exactly ids.
func SchemaProblems(typ string, schema []byte, ids []event.IDKind) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if _, err := event.NewValidator(map[string][]byte{typ: schema}); err != nil {
		return []string{err.Error()}
	}
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return []string{fmt.Sprintf("schema is not a JSON object: %v", err)}
	}
	if want := event.SchemaURI(typ, event.SchemaVersion); root["$id"] != want {
		add("schema $id is %v, want %q", root["$id"], want)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		add("schema $schema is %v, want draft 2020-12", root["$schema"])
	}
	walkSchema("", root, func(path string, obj map[string]any, props map[string]any) {
		if obj["additionalProperties"] != false {
			add("schema %s: an object without \"additionalProperties\": false", orRoot(path))
		}
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			p, _ := props[n].(map[string]any)
			if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
				add("schema %s: property %q has no description", orRoot(path), n)
			}
		}
	})
	props, _ := root["properties"].(map[string]any)
	req, _ := root["required"].([]any)
	if !slices.Contains(req, any("ids")) {
		add("schema: \"ids\" is not required")
	}
	idsProp, _ := props["ids"].(map[string]any)
	items, _ := idsProp["items"].(map[string]any)
	itemProps, _ := items["properties"].(map[string]any)
	kindProp, _ := itemProps["kind"].(map[string]any)
	enum, ok := kindProp["enum"].([]any)
	if !ok {
		add("schema: ids.items.properties.kind has no enum of the identifier kinds")
		return out
	}
	var got, want []string
	for _, e := range enum {
		got = append(got, fmt.Sprint(e))
	}
	for _, id := range ids {
		want = append(want, string(id))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		add("schema: ids kind enum is %v, the spec declares %v", got, want)
	}
	return out
}

func orRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// walkSchema calls fn on every object schema with properties, depth first,
// following properties and array items.
func walkSchema(path string, s map[string]any, fn func(path string, obj, props map[string]any)) {
	if props, ok := s["properties"].(map[string]any); ok {
		fn(path, s, props)
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if sub, ok := props[n].(map[string]any); ok {
				walkSchema(strings.TrimPrefix(path+"."+n, "."), sub, fn)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		walkSchema(path+"[]", items, fn)
	}
}

func validProblem(v *event.Validator, e *event.Event) string {
	raw, err := e.Encode()
	if err != nil {
		return err.Error()
	}
	if _, err := v.Validate(raw); err != nil {
		return fmt.Sprintf("%v\n\tevent: %s", err, raw)
	}
	return ""
}

// NamespaceProblems lists how an event strays from its producer's namespace:
// its type must be one of the spec's kinds, its source and subject the
// producer's.
func NamespaceProblems(s producers.Spec, e *event.Event) []string {
	var out []string
	if e.Producer() != s.Name {
		out = append(out, fmt.Sprintf("event type %q is outside the producer's namespace %q", e.Type, s.Name+"."))
	}
	if !slices.ContainsFunc(s.Kinds, func(k producers.KindSpec) bool { return k.Name == e.Kind() }) {
		out = append(out, fmt.Sprintf("event type %q: kind %q is not declared in the spec", e.Type, e.Kind()))
	}
	if want := event.Source(s.Name); e.Source != want {
		out = append(out, fmt.Sprintf("event %s: source %q, want %q", e.ID, e.Source, want))
	}
	if want := event.Subject(s.Name, e.Kind()); e.Subject() != want {
		out = append(out, fmt.Sprintf("event %s: subject %q, want %q", e.ID, e.Subject(), want))
	}
	return out
}

// truth is what a day's people really are, for the identifier checks.
type truth struct {
	ids map[event.ID]bool
	// needles are what no string of an event's data may contain: the
	// values of the day's identifiers (MinHidden bytes or longer), person
	// ids and names.
	needles map[string]needle
	// longest is the length of the longest needle.
	longest int
}

// needle is something a string must not hide.
type needle struct {
	what string   // "identifier", "person id" or "name"
	id   event.ID // the identifier, for "identifier"
}

// MinHidden is the shortest identifier value searched for inside strings:
// shorter ones (none of the world's are) would match ordinary words and
// numbers. Every identifier of the world is longer.
const MinHidden = 6

func newTruth(d *world.Day) *truth {
	t := &truth{ids: map[event.ID]bool{}, needles: map[string]needle{}}
	for _, p := range d.Plans {
		t.addPerson(p.Person.ID, p.Person.Name)
	}
	// Scan addresses are no one's identifier but are someone's emission.
	for _, byPerson := range []map[string][]event.ID{d.Truth(), d.Throwaway()} {
		for _, ids := range byPerson {
			for _, id := range ids {
				t.addID(id)
			}
		}
	}
	return t
}

// addPerson adds a person's true id and name.
func (t *truth) addPerson(id, name string) {
	t.put(id, needle{what: "person id"})
	t.put(name, needle{what: "name"})
}

// addID adds an identifier someone owns.
func (t *truth) addID(id event.ID) {
	t.ids[id] = true
	if len(id.Value) >= MinHidden {
		t.put(id.Value, needle{what: "identifier", id: id})
	}
}

func (t *truth) put(s string, n needle) {
	if _, ok := t.needles[s]; !ok && s != "" {
		t.needles[s] = n
		t.longest = max(t.longest, len(s))
	}
}

// problems lists identifier problems of one event: kinds not declared for
// its kind, values no person of the day owns (invented identifiers), and
// any string of its data (nested ones too) that contains a person's true
// id, a name in an event without an e-mail (names are only known where
// people typed them in), or an identifier of the day that is not the
// whole string and one of the event's declared ids (an identifier hidden
// in a note, a query, a reference).
func (tr *truth) problems(s producers.Spec, e *event.Event) []string {
	var out []string
	var declared []event.IDKind
	for _, k := range s.Kinds {
		if k.Name == e.Kind() {
			declared = k.IDKinds
		}
	}
	ids := event.IDsOf(e)
	if len(ids) == 0 {
		out = append(out, fmt.Sprintf("%s %s carries no identifier", e.Type, e.ID))
	}
	hasEmail := false
	carried := map[string]bool{}
	for _, id := range ids {
		if !slices.Contains(declared, id.Kind) {
			out = append(out, fmt.Sprintf("%s %s carries a %q identifier; the spec declares %v", e.Type, e.ID, id.Kind, declared))
		}
		if !tr.ids[id] {
			out = append(out, fmt.Sprintf("%s %s carries %s %q, which belongs to nobody in the ground truth", e.Type, e.ID, id.Kind, id.Value))
		}
		hasEmail = hasEmail || id.Kind == event.Email
		carried[id.Value] = true
	}
	b, err := json.Marshal(e.Data)
	if err != nil {
		return append(out, err.Error())
	}
	var data any
	if err := json.Unmarshal(b, &data); err != nil {
		return append(out, err.Error())
	}
	walkStrings("", data, func(path, str string) {
		for _, m := range tr.find(str) {
			n := tr.needles[m]
			switch {
			case n.what == "person id":
				out = append(out, fmt.Sprintf("%s %s: %s contains the true person id %q", e.Type, e.ID, path, m))
			case n.what == "name" && !hasEmail:
				out = append(out, fmt.Sprintf("%s %s: %s contains the name %q, which this sensor cannot know", e.Type, e.ID, path, m))
			case n.what == "identifier" && !(m == str && carried[m]):
				out = append(out, fmt.Sprintf("%s %s: %s hides %s %q inside a string: an identifier goes in ids, whole, with its kind declared",
					e.Type, e.ID, path, n.id.Kind, m))
			}
		}
	})
	return out
}

// find returns the needles str contains on token boundaries: a match
// starts at the beginning of str or where a word (ASCII letters and
// digits, and any non-ASCII byte) starts or is left, and ends likewise, so
// "ab12345678" holds no "12345678" and "plate AB-123-CD seen" holds
// "AB-123-CD".
func (tr *truth) find(str string) []string {
	var out []string
	for i := 0; i < len(str); i++ {
		if i > 0 && wordByte(str[i-1]) && wordByte(str[i]) {
			continue
		}
		for j := i + 1; j <= len(str) && j-i <= tr.longest; j++ {
			if j < len(str) && wordByte(str[j-1]) && wordByte(str[j]) {
				continue
			}
			if _, ok := tr.needles[str[i:j]]; ok {
				out = append(out, str[i:j])
			}
		}
	}
	return out
}

// wordByte reports whether c is part of a word: an ASCII letter or digit,
// or a byte of a non-ASCII character.
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// walkStrings calls fn on every string of a decoded JSON value, with its
// path ("note", "items[2].name"); object members in key order.
func walkStrings(path string, v any, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(orRoot(path), x)
	case []any:
		for i, e := range x {
			walkStrings(fmt.Sprintf("%s[%d]", path, i), e, fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkStrings(strings.TrimPrefix(path+"."+k, "."), x[k], fn)
		}
	}
}

// OrderProblems lists events out of time order or outside the day (local
// midnight to midnight).
func OrderProblems(d *world.Day, evs []event.Event) []string {
	var out []string
	start := d.Date
	end := time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, start.Location())
	for i, e := range evs {
		if i > 0 && e.Time.Before(evs[i-1].Time) {
			out = append(out, fmt.Sprintf("%s %s at %s comes after an event at %s", e.Type, e.ID, e.Time, evs[i-1].Time))
		}
		if e.Time.Before(start) || !e.Time.Before(end) {
			out = append(out, fmt.Sprintf("%s %s at %s is outside day %d [%s, %s)", e.Type, e.ID, e.Time, d.Index, start, end))
		}
	}
	return out
}

func encodeAll(t *testing.T, evs []event.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i := range evs {
		b, err := evs[i].Encode()
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("event %d:\n\t%s\n\t%s", i, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d events, then %d", len(la)-1, len(lb)-1)
}

// Day returns day i of the suite's generated world (Seed, Persons), cached:
// producers' own tests use it to look at the hero's day without building
// another world.
func Day(t testing.TB, i int) *world.Day {
	t.Helper()
	return generated(t, nil, Persons).day(i)
}

// DayWith is Day in a world where apply was applied to every person's
// privacy settings (nil: none).
func DayWith(t testing.TB, i int, apply func(*world.Privacy)) *world.Day {
	t.Helper()
	return generated(t, apply, Persons).day(i)
}

// cachedWorld is a generated world and its days, shared by every producer's
// run: building days is the expensive part of the suite. Producers must not
// change what they observe.
type cachedWorld struct {
	w    *world.World
	mu   sync.Mutex
	days map[int]*world.Day
}

func (c *cachedWorld) day(i int) *world.Day {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.days[i]; ok {
		return d
	}
	d := c.w.Day(i)
	c.days[i] = d
	return d
}

var (
	worldsMu sync.Mutex
	worlds   = map[string]*cachedWorld{}
)

// generated returns the suite's world of persons people with apply (if
// any) applied to every person's privacy settings. Worlds are cached by
// size and by what apply does, so the same setting declared by two
// producers is generated once.
func generated(t testing.TB, apply func(*world.Privacy), persons int) *cachedWorld {
	t.Helper()
	key := "base"
	if apply != nil {
		// Two probes tell what the rule sets and clears, whatever its name.
		var off, on world.Privacy
		on = world.Privacy{LocationServices: true, PhoneOffAtNight: true, PaysCash: true, UsesLoyaltyCard: true,
			WifiEnabled: true, WifiAutoJoin: true, MACRandomisation: true, WearsWristband: true}
		apply(&off)
		apply(&on)
		key = fmt.Sprintf("%+v|%+v", off, on)
	}
	key += "/" + strconv.Itoa(persons)
	worldsMu.Lock()
	defer worldsMu.Unlock()
	if c, ok := worlds[key]; ok {
		return c
	}
	cfg := world.Config{Seed: Seed, Persons: persons}
	if apply != nil {
		cfg.Adjust = func(p *world.Person) { apply(&p.Privacy) }
	}
	w, err := world.New(cfg)
	if err != nil {
		t.Fatalf("world.New: %v", err)
	}
	c := &cachedWorld{w: w, days: map[int]*world.Day{}}
	worlds[key] = c
	return c
}

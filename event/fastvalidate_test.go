package event_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"exhaust/event"
	"exhaust/producers"
	_ "exhaust/producers/all"
	"exhaust/world"
)

// corpusMaxSize is the size limit of the differential tests: the bad
// corpus's oversized event is written for 4 KiB.
const corpusMaxSize = 4 << 10

// allTypes returns every registered producer's data schemas and the test
// type demo.ping.
func allTypes(t testing.TB) map[string][]byte {
	t.Helper()
	types := producers.Schemas(producers.All()...)
	for typ, schema := range testTypes(t) {
		types[typ] = schema
	}
	return types
}

// validators returns the fast validator (the default) and the reference
// one over types.
func validators(t testing.TB, types map[string][]byte) (fast, ref *event.Validator) {
	t.Helper()
	fast, err := event.NewValidator(types, event.WithMaxSize(corpusMaxSize))
	if err != nil {
		t.Fatal(err)
	}
	ref, err = event.NewValidator(types, event.WithMaxSize(corpusMaxSize), event.WithReference())
	if err != nil {
		t.Fatal(err)
	}
	return fast, ref
}

var (
	generatedOnce sync.Once
	generatedRaw  [][]byte
	generatedErr  error
)

// generated returns the encoded events of every producer over the first
// three days of a small city (a Sunday and two weekdays).
func generated(t testing.TB) [][]byte {
	t.Helper()
	generatedOnce.Do(func() {
		start := time.Date(2026, 11, 29, 0, 0, 0, 0, world.Paris())
		w, err := world.New(world.Config{Seed: 7, Persons: 12, Start: start})
		if err != nil {
			generatedErr = err
			return
		}
		for d := 1; d <= 3; d++ {
			day := w.Day(d)
			for _, p := range producers.All() {
				evs, err := producers.Collect(p, 7, day)
				if err != nil {
					generatedErr = err
					return
				}
				for _, e := range evs {
					raw, err := e.Encode()
					if err != nil {
						generatedErr = err
						return
					}
					generatedRaw = append(generatedRaw, raw)
				}
			}
		}
	})
	if generatedErr != nil {
		t.Fatal(generatedErr)
	}
	return generatedRaw
}

func badFiles(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = raw
	}
	return out
}

// disagreement compares the fast path with the reference on raw. It
// returns "" when they agree, and says how they differ otherwise. decided
// reports whether the fast path decided alone (it may leave an event to
// the reference).
func disagreement(fast, ref *event.Validator, raw []byte) (problem string, decided bool) {
	refEv, refErr := ref.Validate(raw)
	// What callers get: the reference's answer. (Only the reason and type
	// are compared: the reference lists several causes in map order, so
	// its details vary from one call to the next.)
	gotEv, gotErr := fast.Validate(raw)
	var gotVE, refVE *event.ValidationError
	errors.As(gotErr, &gotVE)
	errors.As(refErr, &refVE)
	switch {
	case (gotErr == nil) != (refErr == nil):
		return fmt.Sprintf("Validate: error %v, reference %v", gotErr, refErr), true
	case gotErr != nil && (gotVE == nil || refVE == nil || gotVE.Reason != refVE.Reason || gotVE.Type != refVE.Type || gotVE.Detail == ""):
		return fmt.Sprintf("Validate: error %q, reference %q", gotErr, refErr), true
	case gotErr == nil && !reflect.DeepEqual(gotEv, refEv):
		return fmt.Sprintf("Validate: event %+v, reference %+v", gotEv, refEv), true
	}

	// The fast path's own verdict, before the reference re-checks rejects.
	ev, reason, typ, decided := event.FastVerdict(fast, raw)
	if !decided {
		return "", false
	}
	var refReason, refType string
	if refVE != nil {
		refReason, refType = refVE.Reason, refVE.Type
	}
	switch {
	case reason != refReason || typ != refType:
		return fmt.Sprintf("fast path: reason %q type %q; reference: reason %q type %q (%v)", reason, typ, refReason, refType, refErr), true
	case reason == "" && !reflect.DeepEqual(ev, refEv):
		return fmt.Sprintf("fast path accepted %+v, reference %+v", ev, refEv), true
	}
	return "", true
}

func TestFastPathCompilesEveryProducerSchema(t *testing.T) {
	fast, ref := validators(t, allTypes(t))
	if got := fast.ReferenceTypes(); len(got) != 0 {
		t.Errorf("types left to the reference: %v; the fast path should compile every producer's schema", got)
	}
	if got, want := len(ref.ReferenceTypes()), len(allTypes(t)); got != want {
		t.Errorf("WithReference: %d types left to the reference, want all %d", got, want)
	}
}

func TestFastPathMatchesReferenceOnGeneratedDays(t *testing.T) {
	fast, ref := validators(t, allTypes(t))
	raws := generated(t)
	if len(raws) < 1000 {
		t.Fatalf("only %d generated events", len(raws))
	}
	undecided := 0
	for i, raw := range raws {
		problem, decided := disagreement(fast, ref, raw)
		if problem != "" {
			t.Fatalf("event %d %s: %s", i, raw, problem)
		}
		if !decided {
			undecided++
			continue
		}
		if _, reason, _, _ := event.FastVerdict(fast, raw); reason != "" {
			t.Fatalf("event %d rejected (%s): %s", i, reason, raw)
		}
	}
	if undecided > 0 {
		t.Errorf("%d of %d generated events left to the reference, want none", undecided, len(raws))
	}
}

func TestFastPathMatchesReferenceOnBadCorpus(t *testing.T) {
	fast, ref := validators(t, allTypes(t))
	for name, raw := range badFiles(t) {
		t.Run(name, func(t *testing.T) {
			problem, decided := disagreement(fast, ref, raw)
			if problem != "" {
				t.Fatal(problem)
			}
			if !decided {
				t.Errorf("left to the reference")
			}
		})
	}
}

// tricky are events built to catch the fast path out: each is decided by
// the reference one way or the other, and the fast path must agree (or
// leave it to the reference where noted).
func tricky(t testing.TB) map[string]string {
	t.Helper()
	const (
		head = `{"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11","source":"exhaust/phone","type":"phone.cell",`
		tm   = `"time":"2026-11-29T10:42:07Z",`
		ds   = `"dataschema":"urn:exhaust:schema:phone.cell:v1",`
		ids  = `"ids":[{"kind":"imsi","value":"208011234567890"},{"kind":"imei","value":"35-209900-176148-1"}]`
		meas = `"measurements":[{"tower":"T042","rssi_dbm":-71}]`
	)
	where := func(lat, lon, acc string) string {
		return `"where":{"place":"tower:T042","lat":` + lat + `,"lon":` + lon + `,"accuracy_m":` + acc + `}`
	}
	cell := func(envelope, data string) string { return head + envelope + `"data":{` + data + `}}` }
	good := ids + `,` + where("48.8584", "2.2945", "800") + `,"event":"periodic","tower":"T042",` + meas
	withTime := func(ts string) string {
		return cell(`"time":"`+ts+`",`+ds, good)
	}
	withLat := func(lat string) string {
		return cell(tm+ds, ids+`,`+where(lat, "2.2945", "800")+`,"event":"periodic","tower":"T042",`+meas)
	}
	withRSSI := func(rssi string) string {
		return cell(tm+ds, ids+`,`+where("48.8584", "2.2945", "800")+`,"event":"periodic","tower":"T042","measurements":[{"tower":"T042","rssi_dbm":`+rssi+`}]`)
	}
	deep := func(n int) string {
		return cell(tm+ds, good+`,"x":`+strings.Repeat("[", n)+strings.Repeat("]", n))
	}
	return map[string]string{
		"good":                               cell(tm+ds, good),
		"good, data first":                   `{"data":{` + good + `},"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11","source":"exhaust/phone","type":"phone.cell",` + tm + strings.TrimSuffix(ds, ",") + `}`,
		"bad data, data first":               `{"data":{"ids":[]},"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11","source":"exhaust/phone","type":"phone.cell",` + tm + strings.TrimSuffix(ds, ",") + `}`,
		"whitespace everywhere":              " \n\t{ \"specversion\" : \"1.0\" ,\r\n" + strings.TrimPrefix(cell(tm+ds, good), `{"specversion":"1.0",`) + " \n",
		"datacontenttype":                    cell(tm+ds+`"datacontenttype":"application/json",`, good),
		"datacontenttype null":               cell(tm+ds+`"datacontenttype":null,`, good),
		"escaped key":                        strings.Replace(cell(tm+ds, good), `"id":`, `"\u0069d":`, 1),
		"escaped type":                       strings.Replace(cell(tm+ds, good), `"type":"phone.cell"`, `"type":"phone\u002ecell"`, 1),
		"escaped enum value":                 strings.Replace(cell(tm+ds, good), `"periodic"`, `"per\u0069odic"`, 1),
		"escaped time":                       withTime(`2026-11-29T10:42:07\u005a`),
		"escaped slash":                      strings.Replace(cell(tm+ds, good), `"T042"`, `"T\/042"`, 1),
		"surrogate pair":                     strings.Replace(cell(tm+ds, good), `"tower":"T042"`, `"tower":"\ud83d\ude00"`, 1),
		"lone surrogate":                     strings.Replace(cell(tm+ds, good), `"tower":"T042"`, `"tower":"\ud83d"`, 1),
		"invalid UTF-8 value":                strings.Replace(cell(tm+ds, good), `"tower":"T042"`, "\"tower\":\"\xff\"", 1),
		"invalid UTF-8 in pattern":           strings.Replace(cell(tm+ds, good), `"place":"tower:T042"`, "\"place\":\"tower:\xff\"", 1),
		"invalid UTF-8 key":                  strings.Replace(cell(tm+ds, good), `"tower":"T042"`, "\"tow\xffer\":\"T042\"", 1),
		"accented value":                     strings.Replace(cell(tm+ds, good), `"tower":"T042"`, `"tower":"Châtelet–Les Halles"`, 1),
		"control character":                  strings.Replace(cell(tm+ds, good), `"tower":"T042"`, "\"tower\":\"T\x01\"", 1),
		"duplicate type":                     strings.Replace(cell(tm+ds, good), `"type":"phone.cell",`, `"type":"phone.gps","type":"phone.cell",`, 1),
		"duplicate time, first bad":          cell(`"time":5,`+tm+ds, good),
		"duplicate data property":            cell(tm+ds, `"event":"bogus",`+good),
		"duplicate nested property":          cell(tm+ds, strings.Replace(good, `"lat":48.8584`, `"lat":91,"lat":48.8584`, 1)),
		"duplicate property, both bad":       cell(tm+ds, `"event":"bogus",`+strings.Replace(good, `"periodic"`, `"bogus"`, 1)),
		"lower-case t and z":                 withTime("2026-11-29t10:42:07z"),
		"offset":                             withTime("2026-11-29T11:42:07+01:00"),
		"negative offset":                    withTime("2026-11-29T05:42:07-05:00"),
		"fraction":                           withTime("2026-11-29T10:42:07.123456789Z"),
		"leap second":                        withTime("2026-12-31T23:59:60Z"),
		"bad leap second":                    withTime("2026-11-29T10:42:60Z"),
		"30 February":                        withTime("2026-02-30T10:42:07Z"),
		"29 February, leap year":             withTime("2028-02-29T10:42:07Z"),
		"29 February, common year":           withTime("2026-02-29T10:42:07Z"),
		"year 0":                             withTime("0000-01-01T00:00:00Z"),
		"no offset":                          withTime("2026-11-29T10:42:07"),
		"offset 24h":                         withTime("2026-11-29T10:42:07+24:00"),
		"signed hour":                        withTime("2026-11-29T+1:42:07Z"),
		"space separator":                    withTime("2026-11-29 10:42:07Z"),
		"upper-case uuid":                    strings.Replace(cell(tm+ds, good), `4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11`, `4F0C6A2E-8B1D-4C3E-9F5A-2B7D1E0C9A11`, 1),
		"braced uuid":                        strings.Replace(cell(tm+ds, good), `4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11`, `{4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a}`, 1),
		"integer as 1.0":                     withRSSI("-71.0"),
		"integer as exponent":                withRSSI("-7.1e1"),
		"integer as fraction":                withRSSI("-71.5"),
		"integer as huge exponent":           withRSSI("-1e1000000000"),
		"integer below minimum, exponent":    withRSSI("-1.41e2"),
		"integer, many digits":               withRSSI("-71.00000000000000000000000000000000001"),
		"negative zero latitude":             withLat("-0"),
		"latitude at the bound":              withLat("90"),
		"latitude just above":                withLat("90.0000000000000000000001"),
		"latitude 16 digits":                 withLat("89.99999999999999"),
		"latitude 17 digits":                 withLat("90.000000000000001"),
		"latitude exponent":                  withLat("4.88584e1"),
		"latitude huge exponent":             withLat("1e1000000000"),
		"latitude tiny":                      withLat("1e-400"),
		"latitude leading zero":              withLat("048.8"),
		"latitude plus":                      withLat("+48.8"),
		"latitude trailing dot":              withLat("48."),
		"latitude string":                    withLat(`"48.8"`),
		"latitude null":                      withLat("null"),
		"accuracy zero":                      cell(tm+ds, ids+`,`+where("48.8584", "2.2945", "0")+`,"event":"periodic","tower":"T042",`+meas),
		"accuracy negative zero":             cell(tm+ds, ids+`,`+where("48.8584", "2.2945", "-0.0")+`,"event":"periodic","tower":"T042",`+meas),
		"accuracy tiny":                      cell(tm+ds, ids+`,`+where("48.8584", "2.2945", "1e-400")+`,"event":"periodic","tower":"T042",`+meas),
		"depth 9990":                         deep(9990),
		"depth 10001":                        deep(10001),
		"data null":                          cell(tm+ds, "")[:len(cell(tm+ds, ""))-4] + `null}`,
		"data array":                         strings.Replace(cell(tm+ds, good), `"data":{`, `"data":[{`, 1)[:len(cell(tm+ds, good))] + `]}`,
		"empty object":                       `{}`,
		"empty array":                        `[]`,
		"number":                             `1`,
		"null":                               `null`,
		"trailing garbage":                   cell(tm+ds, good) + `x`,
		"trailing value":                     cell(tm+ds, good) + ` {}`,
		"byte order mark":                    "\xef\xbb\xbf" + cell(tm+ds, good),
		"trailing comma":                     cell(tm+ds, good+`,`),
		"truncated":                          cell(tm+ds, good)[:100],
		"version 2, unknown type":            strings.Replace(cell(tm+ds, good), `phone.cell`, `phone.zap`, -1),
		"bad type and bad data":              strings.Replace(cell(tm+ds, `"x":1`), `"type":"phone.cell"`, `"type":"Phone"`, 1),
		"extra envelope attribute":           cell(tm+ds+`"subject":"x",`, good),
		"extra envelope attribute, bad data": cell(tm+ds+`"subject":"x",`, `"x":1`),
	}
}

func TestFastPathMatchesReferenceOnTrickyEvents(t *testing.T) {
	fast, ref := validators(t, allTypes(t))
	for name, raw := range tricky(t) {
		t.Run(name, func(t *testing.T) {
			if problem, _ := disagreement(fast, ref, []byte(raw)); problem != "" {
				t.Fatal(problem)
			}
		})
	}
	// Some must be decided by the fast path alone, or it is tested on
	// nothing; duplicates must not.
	for _, tc := range []struct {
		name    string
		decided bool
	}{
		{"good", true}, {"good, data first", true}, {"escaped key", true}, {"invalid UTF-8 value", true},
		{"latitude huge exponent", true}, {"depth 10001", true}, {"duplicate type", false},
		{"duplicate nested property", false},
	} {
		if _, _, _, decided := event.FastVerdict(fast, []byte(tricky(t)[tc.name])); decided != tc.decided {
			t.Errorf("%s: decided by the fast path = %v, want %v", tc.name, decided, tc.decided)
		}
	}
}

// mutate returns raw with one random edit: the kind of damage a fuzzer
// does, aimed at JSON's structure, numbers and strings.
func mutate(rng *rand.Rand, raw []byte) []byte {
	out := bytes.Clone(raw)
	pos := rng.IntN(len(out))
	pieces := []string{`"`, `\`, `\u0041`, `{`, `}`, `[`, `]`, `,`, `:`, ` `, `0`, `-`, `.`, `e`, `1e400`, `1.0`,
		`null`, `true`, `"x"`, "\xff", `é`, `Z`, `T`, `+01:00`, `60`, `-1`, `""`}
	switch rng.IntN(6) {
	case 0: // delete a run
		end := min(len(out), pos+1+rng.IntN(8))
		return append(out[:pos], out[end:]...)
	case 1: // insert a piece
		p := pieces[rng.IntN(len(pieces))]
		return append(out[:pos], append([]byte(p), raw[pos:]...)...)
	case 2: // replace a byte
		out[pos] = byte(rng.IntN(128))
		return out
	case 3: // duplicate a run
		end := min(len(out), pos+1+rng.IntN(40))
		return append(out[:end], append(bytes.Clone(raw[pos:end]), raw[end:]...)...)
	case 4: // change a digit
		for i := pos; i < len(out); i++ {
			if out[i] >= '0' && out[i] <= '9' {
				out[i] = byte('0' + rng.IntN(10))
				break
			}
		}
		return out
	default: // change a letter
		for i := pos; i < len(out); i++ {
			if out[i] >= 'a' && out[i] <= 'z' {
				out[i] = byte('a' + rng.IntN(26))
				break
			}
		}
		return out
	}
}

func TestFastPathMatchesReferenceOnMutatedEvents(t *testing.T) {
	fast, ref := validators(t, allTypes(t))
	raws := generated(t)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	decided, accepted := 0, 0
	for range n {
		raw := raws[rng.IntN(len(raws))]
		for range 1 + rng.IntN(3) {
			raw = mutate(rng, raw)
		}
		problem, ok := disagreement(fast, ref, raw)
		if problem != "" {
			t.Fatalf("mutant %q: %s", raw, problem)
		}
		if ok {
			decided++
			if ev, _, _, _ := event.FastVerdict(fast, raw); ev != nil {
				accepted++
			}
		}
	}
	// The mutants must exercise both outcomes, or the test tests little.
	if decided < n*9/10 || accepted == 0 || accepted == decided {
		t.Errorf("%d mutants: %d decided by the fast path, %d accepted", n, decided, accepted)
	}
}

// FuzzFastPathMatchesReference feeds arbitrary bytes to both validators:
// Validate must give exactly the reference's answer, and the fast path's
// own verdict must have the reference's reason and type.
func FuzzFastPathMatchesReference(f *testing.F) {
	raws := generated(f)
	for i := 0; i < len(raws); i += len(raws) / 20 {
		f.Add(raws[i])
	}
	for _, raw := range badFiles(f) {
		f.Add(raw)
	}
	for _, raw := range tricky(f) {
		if len(raw) < 2000 {
			f.Add([]byte(raw))
		}
	}
	fast, ref := validators(f, allTypes(f))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if problem, _ := disagreement(fast, ref, raw); problem != "" {
			t.Fatalf("%q: %s", raw, problem)
		}
	})
}

func TestUnsupportedSchemaFallsBackToReference(t *testing.T) {
	types := map[string][]byte{
		"demo.ping": testTypes(t)["demo.ping"],
		"demo.odd": []byte(`{"type":"object","required":["ids","n"],"properties":{"ids":{"type":"array"},` +
			`"n":{"type":"integer","multipleOf":3}}}`),
	}
	fast, ref := validators(t, types)
	if got := fast.ReferenceTypes(); !reflect.DeepEqual(got, []string{"demo.odd"}) {
		t.Fatalf("ReferenceTypes = %v, want [demo.odd]", got)
	}
	env := func(n string) []byte {
		return []byte(`{"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11","source":"exhaust/demo",` +
			`"type":"demo.odd","time":"2026-11-29T10:42:07Z","dataschema":"urn:exhaust:schema:demo.odd:v1","data":{"ids":[],"n":` + n + `}}`)
	}
	tests := []struct {
		name, n, want string
	}{
		{"multiple of 3", "9", ""},
		{"not a multiple of 3", "10", event.ReasonInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := env(tt.n)
			problem, decided := disagreement(fast, ref, raw)
			if problem != "" {
				t.Fatal(problem)
			}
			if !decided {
				t.Error("the fast path should still decide, with the reference checking the data")
			}
			if _, err := fast.Validate(raw); event.ReasonOf(err) != tt.want {
				t.Errorf("reason %q, want %q (%v)", event.ReasonOf(err), tt.want, err)
			}
		})
	}
}

func TestReferenceSurvivesHugeExponent(t *testing.T) {
	// jsonschema v6.0.3 panics on a bounded number big.Rat cannot parse;
	// the validator must reject it, not crash the consumer.
	_, ref := validators(t, allTypes(t))
	raw := []byte(tricky(t)["latitude huge exponent"])
	if _, err := ref.Validate(raw); event.ReasonOf(err) != event.ReasonInvalidData {
		t.Errorf("reason %q, want %q (%v)", event.ReasonOf(err), event.ReasonInvalidData, err)
	}
}

// BenchmarkValidate compares the fast path with the reference on a
// simulated day's events, in events per second.
func BenchmarkValidate(b *testing.B) {
	raws := generated(b)
	var size int
	for _, r := range raws {
		size += len(r)
	}
	for _, bc := range []struct {
		name string
		opts []event.ValidatorOption
	}{
		{"fast", nil},
		{"reference", []event.ValidatorOption{event.WithReference()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v, err := event.NewValidator(allTypes(b), bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size / len(raws)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := v.Validate(raws[i%len(raws)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

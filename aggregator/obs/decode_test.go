package obs_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"exhaust/aggregator/aggtest"
	"exhaust/aggregator/obs"
	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
)

// sameAsReference decodes raw with the fast decoder alone and with the
// reference, and describes how they differ: "" when the fast decoder
// gave up or gave exactly the reference's Record. decided reports whether
// the fast decoder decoded raw.
func sameAsReference(raw []byte) (problem string, decided bool) {
	fast := obs.DecodeFast(raw)
	ref, err := obs.DecodeReference(raw)
	switch {
	case fast == nil:
		return "", false
	case err != nil:
		return fmt.Sprintf("fast decoder accepts, the reference says %v", err), true
	case !reflect.DeepEqual(fast, ref):
		return fmt.Sprintf("fast decoder gives\n%+v\nthe reference\n%+v", fast, ref), true
	}
	return "", true
}

// decodeMatches checks that Decode gives what the reference gives, the
// error included, with the envelope and the declared meanings.
func decodeMatches(t *testing.T, raw []byte) {
	t.Helper()
	ev := &event.Event{ID: "e1", Type: "phone.cell", Time: time.Unix(1, 0).UTC(), Data: json.RawMessage(raw)}
	got, err := obs.Decode(ev)
	want, wantErr := obs.DecodeReference(raw)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("%q: Decode error %v, the reference's %v", raw, err, wantErr)
	case err != nil:
		return
	}
	want.ID, want.Type, want.Time, want.Means = ev.ID, ev.Type, ev.Time, meaning.For(ev.Type)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: Decode gives\n%+v\nthe reference\n%+v", raw, got, want)
	}
}

// TestDecodeMatchesReference decodes every event of a small city's
// simulated days, every event type among them: the fast decoder must
// decode each one itself, into exactly the reference's Record.
func TestDecodeMatchesReference(t *testing.T) {
	persons, days := 40, 3
	if testing.Short() {
		persons, days = 12, 2
	}
	s, err := aggtest.Shared(1, persons, days)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for typ := range producers.Schemas(producers.All()...) {
		all = append(all, typ)
	}
	slices.Sort(all)
	if !slices.Equal(s.Types, all) {
		t.Errorf("the stream has types %v, want every type %v", s.Types, all)
	}
	for _, ev := range s.Events {
		raw := ev.Data.(json.RawMessage)
		problem, decided := sameAsReference(raw)
		if problem != "" {
			t.Fatalf("%s %s: %s", ev.Type, raw, problem)
		}
		if !decided {
			t.Fatalf("%s %s: the fast decoder left it to encoding/json", ev.Type, raw)
		}
		got, err := obs.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != ev.ID || got.Type != ev.Type || !got.Time.Equal(ev.Time) {
			t.Fatalf("envelope %s %s %v, want %s %s %v", got.ID, got.Type, got.Time, ev.ID, ev.Type, ev.Time)
		}
	}
}

// TestDecodeConcurrently decodes on several goroutines at once, as the
// service's workers do, sharing the intern table (run it with -race).
func TestDecodeConcurrently(t *testing.T) {
	s, err := aggtest.Shared(1, 12, 2)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(s.Events); i += 2 {
				raw := s.Events[i].Data.(json.RawMessage)
				if problem, _ := sameAsReference(raw); problem != "" {
					t.Error(problem)
					return
				}
			}
		})
	}
	wg.Wait()
}

// plain turns a decoded Value back into what encoding/json decodes into
// an interface.
func plain(v obs.Value) any {
	switch v.Kind {
	case obs.String:
		return v.S
	case obs.Number:
		return v.N
	case obs.Bool:
		return v.True()
	case obs.Array:
		out := []any{}
		for _, e := range v.Elems() {
			out = append(out, plain(e.Value))
		}
		return out
	case obs.Object:
		out := map[string]any{}
		for _, m := range v.Members {
			out[m.Key] = plain(m.Value)
		}
		return out
	}
	return nil
}

// TestDecodeKeepsEverything decodes every event of a small city's days
// and puts its data back together from the Record: nothing is lost or
// changed, whatever the producer; and each Record carries the meanings
// its type declares (none for a kind that declares none).
func TestDecodeKeepsEverything(t *testing.T) {
	s, err := aggtest.Shared(1, 12, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range s.Events {
		raw := ev.Data.(json.RawMessage)
		r, err := obs.Decode(ev)
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		got := plain(r.Data).(map[string]any)
		for k, v := range map[string]any{"ids": r.IDs, "where": r.Where} {
			if reflect.ValueOf(v).IsNil() {
				continue
			}
			b, _ := json.Marshal(v)
			var x any
			_ = json.Unmarshal(b, &x)
			got[k] = x
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %s: put back together as %v", ev.Type, raw, got)
		}
		if ms := meaning.For(ev.Type); !reflect.DeepEqual(r.Means, ms) {
			t.Fatalf("%s: record means %v, the type declares %v", ev.Type, r.Means, ms)
		}
	}
}

// tricky are inputs where encoding/json has rules of its own. Decode must
// follow them, by itself or by leaving the input to encoding/json.
var tricky = map[string]string{
	"empty":                 `{}`,
	"whitespace":            " \t\n{ \"tower\" : \"T1\" , \"rssi_dbm\" :-70 }\r\n",
	"null data":             `null`,
	"not an object":         `[]`,
	"trailing data":         `{} {}`,
	"trailing comma":        `{"tower":"T1",}`,
	"null field":            `{"tower":null,"ids":null,"where":null,"start":null,"totals_s":null,"own_cup":null}`,
	"null after value":      `{"tower":"T1","tower":null}`,
	"field given twice":     `{"tower":"T1","tower":"T2"}`,
	"where given twice":     `{"where":{"lat":1,"lon":2},"where":{"place":"p"}}`,
	"where reset":           `{"where":{"lat":1},"where":null,"where":{"lon":2}}`,
	"ids given twice":       `{"ids":[{"kind":"imsi","value":"1"},{"kind":"imei","value":"2"}],"ids":[{"kind":"mac"}]}`,
	"ids empty":             `{"ids":[]}`,
	"ids null element":      `{"ids":[null,{"kind":"imsi","value":"1"}]}`,
	"map merged":            `{"totals_s":{"deep":1,"rem":2},"totals_s":{"deep":3}}`,
	"map null value":        `{"totals_s":{"deep":null}}`,
	"case folded key":       `{"TOWER":"T1"}`,
	"case folded nested":    `{"where":{"LAT":1}}`,
	"kelvin sign key":       "{\"\u212aind\":1,\"ids\":[{\"\u212aind\":\"imsi\"}]}",
	"escaped key":           `{"tow\u0065r":"T1"}`,
	"escaped value":         `{"query":"caf\u00e9 \"au\" lait\n","merchant":"M\u0026S"}`,
	"surrogate pair":        `{"query":"\ud83d\ude00 \ud800"}`,
	"invalid utf-8":         "{\"query\":\"a\xffb\"}",
	"valid utf-8":           `{"query":"crème brûlée","merchant":"Café"}`,
	"unknown fields":        `{"x":{"a":[1,2.5e3,true,false,null,"s",{}]},"y":[],"tower":"T1"}`,
	"unknown deep":          `{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
	"int as float":          `{"steps":1.0}`,
	"int with exponent":     `{"steps":1e2}`,
	"int negative zero":     `{"steps":-0}`,
	"int max":               `{"steps":9223372036854775807}`,
	"int overflow":          `{"steps":9223372036854775808}`,
	"int as string":         `{"steps":"1"}`,
	"float huge":            `{"where":{"lat":1e400}}`,
	"float exponent":        `{"where":{"lat":-4.8e1,"lon":2.35E+0}}`,
	"bad number":            `{"steps":01}`,
	"bool as string":        `{"own_cup":"true"}`,
	"time bad":              `{"start":"yesterday"}`,
	"time number":           `{"start":1}`,
	"time offset":           `{"start":"2026-11-29T09:00:00+01:00"}`,
	"time escaped":          `{"start":"2026-11-29T09:00:00\u005a"}`,
	"string for object":     `{"where":"here"}`,
	"control character":     "{\"query\":\"a\x01b\"}",
	"unterminated":          `{"tower":"T1"`,
	"envelope names":        `{"id":"x","type":"y","time":"z","ID":"x"}`,
	"measurement unknown":   `{"measurements":[{"tower":"T1","rssi_dbm":-70,"x":1}]}`,
	"measurements 10":       `{"measurements":[{"tower":"1"},{"tower":"2"},{"tower":"3"},{"tower":"4"},{"tower":"5"},{"tower":"6"},{"tower":"7"},{"tower":"8"},{"tower":"9"},{"tower":"10"}]}`,
	"phases null times":     `{"phases":[{"phase":"rem","start":null,"end":"2026-11-29T07:00:00Z"}]}`,
	"items given as object": `{"items":{}}`,
}

func TestDecodeTricky(t *testing.T) {
	for name, raw := range tricky {
		t.Run(name, func(t *testing.T) {
			if problem, _ := sameAsReference([]byte(raw)); problem != "" {
				t.Fatalf("%q: %s", raw, problem)
			}
			decodeMatches(t, []byte(raw))
		})
	}
}

// FuzzDecode feeds arbitrary bytes to both decoders: whenever the fast
// decoder decodes an input, the reference must decode it too, into the
// same Record; and Decode must give exactly what the reference gives.
func FuzzDecode(f *testing.F) {
	for _, raw := range tricky {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if problem, _ := sameAsReference(raw); problem != "" {
			t.Fatalf("%q: %s", raw, problem)
		}
		decodeMatches(t, raw)
	})
}

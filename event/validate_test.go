package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"exhaust/event"
)

// pingData is the data of the test-only type demo.ping (testdata/schemas).
type pingData struct {
	event.Common
	Count int `json:"count"`
}

func testTypes(t testing.TB) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schemas", "demo.ping.json"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"demo.ping": b}
}

func newTestValidator(t testing.TB, opts ...event.ValidatorOption) *event.Validator {
	t.Helper()
	v, err := event.NewValidator(testTypes(t), opts...)
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

func goodPing(t testing.TB, id string, count int, where *event.Where) []byte {
	t.Helper()
	at := time.Date(2026, 11, 29, 10, 42, 7, 0, time.UTC)
	e := event.New(id, "demo", "ping", at, pingData{
		Common: event.Common{IDs: []event.ID{{Kind: event.MAC, Value: "02:00:5e:10:00:01"}}, Where: where},
		Count:  count,
	})
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func goodEvents(t testing.TB) map[string][]byte {
	t.Helper()
	return map[string][]byte{
		"minimal":    goodPing(t, "4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11", 0, nil),
		"with where": goodPing(t, "0b8f5a4e-1c2d-4e3f-8a9b-0c1d2e3f4a5b", 7, &event.Where{Place: "shop:fnac-forum", Lat: 48.8625, Lon: 2.3470, AccuracyM: 25}),
		"no datacontenttype": []byte(`{"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11",` +
			`"source":"exhaust/demo","type":"demo.ping","time":"2026-11-29T11:42:07+01:00",` +
			`"dataschema":"urn:exhaust:schema:demo.ping:v1","data":{"ids":[{"kind":"mac","value":"x"}],"count":1}}`),
	}
}

func TestValidateGood(t *testing.T) {
	v := newTestValidator(t)
	for name, raw := range goodEvents(t) {
		t.Run(name, func(t *testing.T) {
			e, err := v.Validate(raw)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if e.Type != "demo.ping" || e.Producer() != "demo" || e.Kind() != "ping" {
				t.Errorf("type = %q (producer %q, kind %q)", e.Type, e.Producer(), e.Kind())
			}
			if e.DataContentType != "application/json" {
				t.Errorf("datacontenttype = %q", e.DataContentType)
			}
			data, ok := e.Data.(json.RawMessage)
			if !ok {
				t.Fatalf("Data is %T, want json.RawMessage", e.Data)
			}
			var d pingData
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			if got := event.IDsOf(e); len(got) != 1 || got[0].Kind != event.MAC {
				t.Errorf("IDsOf = %v", got)
			}
		})
	}
}

func TestValidateBadCorpus(t *testing.T) {
	v := newTestValidator(t, event.WithMaxSize(4096))
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		want, _, _ := strings.Cut(name, ".")
		t.Run(name, func(t *testing.T) {
			if !slices.Contains(event.Reasons, want) {
				t.Fatalf("file name must start with a reason, one of %v", event.Reasons)
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e, err := v.Validate(raw)
			if err == nil {
				t.Fatalf("accepted %s", raw)
			}
			if e != nil {
				t.Errorf("returned an event with an error")
			}
			var ve *event.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, want *event.ValidationError: %v", err, err)
			}
			if ve.Reason != want {
				t.Errorf("reason = %q, want %q (%v)", ve.Reason, want, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || ve.Detail == "" {
				t.Errorf("error must be one non-empty line: %q", msg)
			}
		})
		seen[want] = true
	}
	for _, r := range event.Reasons {
		if !seen[r] {
			t.Errorf("no bad event in testdata/bad for reason %q", r)
		}
	}
}

func TestValidationErrorType(t *testing.T) {
	v := newTestValidator(t)
	tests := []struct {
		name     string
		raw      string
		wantType string
	}{
		{"invalid data of a known type names it", `{"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11","source":"exhaust/demo","type":"demo.ping","time":"2026-11-29T10:42:07Z","dataschema":"urn:exhaust:schema:demo.ping:v1","data":{}}`, "demo.ping"},
		{"unknown type is not named", `{"specversion":"1.0","id":"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11","source":"exhaust/demo","type":"demo.pong","time":"2026-11-29T10:42:07Z","dataschema":"urn:exhaust:schema:demo.pong:v1","data":{}}`, ""},
		{"malformed is not named", `{`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Validate([]byte(tt.raw))
			var ve *event.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v", err)
			}
			if ve.Type != tt.wantType {
				t.Errorf("Type = %q, want %q", ve.Type, tt.wantType)
			}
		})
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"other error", errors.New("boom"), ""},
		{"validation error", &event.ValidationError{Reason: event.ReasonOversized}, event.ReasonOversized},
		{"wrapped", fmt.Errorf("consume: %w", &event.ValidationError{Reason: event.ReasonInvalidData}), event.ReasonInvalidData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := event.ReasonOf(tt.err); got != tt.want {
				t.Errorf("ReasonOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaxSize(t *testing.T) {
	raw := goodPing(t, "4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11", 1, nil)
	tests := []struct {
		name string
		opt  event.ValidatorOption
		want string
	}{
		{"default fits", nil, ""},
		{"exactly the limit", event.WithMaxSize(len(raw)), ""},
		{"one byte over", event.WithMaxSize(len(raw) - 1), event.ReasonOversized},
		{"non-positive keeps the default", event.WithMaxSize(0), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []event.ValidatorOption
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			_, err := newTestValidator(t, opts...).Validate(raw)
			if got := event.ReasonOf(err); got != tt.want {
				t.Errorf("reason = %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
	big := bytes.Repeat([]byte(" "), event.DefaultMaxSize+1)
	if _, err := newTestValidator(t).Validate(big); event.ReasonOf(err) != event.ReasonOversized {
		t.Errorf("%d bytes: %v, want oversized", len(big), err)
	}
}

func TestNewValidatorErrors(t *testing.T) {
	good := testTypes(t)["demo.ping"]
	tests := []struct {
		name  string
		types map[string][]byte
		want  string // substring of the error; "" means success
	}{
		{"no types", nil, ""},
		{"good", map[string][]byte{"demo.ping": good}, ""},
		{"schema without $id", map[string][]byte{"demo.ping": []byte(`{"type":"object"}`)}, ""},
		{"bad type name", map[string][]byte{"Demo.Ping": good}, "want <producer>.<kind>"},
		{"type without kind", map[string][]byte{"demo": good}, "want <producer>.<kind>"},
		{"$id of another type", map[string][]byte{"demo.pong": good}, "$id is"},
		{"not JSON", map[string][]byte{"demo.ping": []byte(`{`)}, "not JSON"},
		{"does not compile", map[string][]byte{"demo.ping": []byte(`{"type": 5}`)}, "does not compile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := event.NewValidator(tt.types)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("no error, want one containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestEnvelopeSchema(t *testing.T) {
	var s struct {
		ID         string                     `json:"$id"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(event.EnvelopeSchema(), &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != event.EnvelopeSchemaID {
		t.Errorf("$id = %q, want %q", s.ID, event.EnvelopeSchemaID)
	}
	// Every attribute the Event struct writes must be in the schema, or
	// every encoded event would be rejected.
	b, err := json.Marshal(event.Event{})
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]any
	if err := json.Unmarshal(b, &attrs); err != nil {
		t.Fatal(err)
	}
	for a := range attrs {
		if _, ok := s.Properties[a]; !ok {
			t.Errorf("Event attribute %q is missing from the envelope schema", a)
		}
	}
}

// FuzzValidate feeds arbitrary bytes to Validate: it must never panic, must
// reject with a known reason and a one-line message, and whatever it accepts
// must survive a round trip (encode the decoded event, validate again, same
// event).
func FuzzValidate(f *testing.F) {
	for _, raw := range goodEvents(f) {
		f.Add(raw)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.json"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	v := newTestValidator(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := v.Validate(raw)
		if err != nil {
			var ve *event.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, want *event.ValidationError: %v", err, err)
			}
			if !slices.Contains(event.Reasons, ve.Reason) {
				t.Fatalf("unknown reason %q", ve.Reason)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		again, err := e.Encode()
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", raw, err)
		}
		e2, err := v.Validate(again)
		if err != nil {
			t.Fatalf("accepted %q but not its re-encoding %q: %v", raw, again, err)
		}
		if e.ID != e2.ID || e.Type != e2.Type || e.Source != e2.Source || !e.Time.Equal(e2.Time) ||
			e.DataSchema != e2.DataSchema || e.DataContentType != e2.DataContentType {
			t.Fatalf("round trip changed the envelope: %+v → %+v", e, e2)
		}
		var d1, d2 bytes.Buffer
		if err := json.Compact(&d1, e.Data.(json.RawMessage)); err != nil {
			t.Fatal(err)
		}
		if err := json.Compact(&d2, e2.Data.(json.RawMessage)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d1.Bytes(), d2.Bytes()) {
			t.Fatalf("round trip changed data: %s → %s", d1.Bytes(), d2.Bytes())
		}
	})
}

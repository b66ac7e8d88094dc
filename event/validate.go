package event

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The reasons a Validator rejects an event. They are stable: callers count
// rejects by reason (a metric label) and route them (a dead-letter subject).
const (
	ReasonOversized       = "oversized"        // larger than the validator's size limit
	ReasonMalformedJSON   = "malformed_json"   // not one JSON value
	ReasonInvalidEnvelope = "invalid_envelope" // the envelope breaks the envelope schema
	ReasonUnknownType     = "unknown_type"     // a well-formed type the validator has no schema for
	ReasonSchemaVersion   = "schema_version"   // a known type at a dataschema version this build does not read
	ReasonInvalidData     = "invalid_data"     // data breaks its type's schema
)

// Reasons lists every rejection reason, in the order Validate checks them, so
// a caller can initialise one counter per reason.
var Reasons = []string{
	ReasonOversized,
	ReasonMalformedJSON,
	ReasonInvalidEnvelope,
	ReasonUnknownType,
	ReasonSchemaVersion,
	ReasonInvalidData,
}

// DefaultMaxSize is the size limit of a Validator built without WithMaxSize:
// real events are well under 4 KiB, so anything near 64 KiB is a bug or abuse.
const DefaultMaxSize = 64 << 10

// maxDetail bounds ValidationError.Detail: details quote parts of the
// rejected input, which must not flood a log line.
const maxDetail = 400

//go:embed schemas/envelope.json
var envelopeSchema []byte

// EnvelopeSchemaID is the $id of the envelope schema.
const EnvelopeSchemaID = "urn:exhaust:schema:envelope:v1"

// schemaURIPrefix starts every data schema URI; see SchemaURI.
const schemaURIPrefix = "urn:exhaust:schema:"

// typeRE is the form of an event type, "<producer>.<kind>"; it matches the
// envelope schema's pattern.
var typeRE = regexp.MustCompile(`^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$`)

// EnvelopeSchema returns the JSON Schema (draft 2020-12) of the envelope, the
// one the Validator checks before any data schema. It is a copy: callers may
// keep or change it.
func EnvelopeSchema() []byte { return bytes.Clone(envelopeSchema) }

// ValidationError is why a Validator rejected an event. Branch on Reason (one
// of the Reason* constants, stable) rather than on the message.
type ValidationError struct {
	Reason string // one of Reasons
	Detail string // one line, for people: what exactly was wrong
	// Type is the event type when it is one the validator knows (so it is
	// bounded and safe as a metric label), "" otherwise.
	Type string
}

// Error returns a one-line description: "event rejected (<reason>): <detail>".
func (e *ValidationError) Error() string {
	return "event rejected (" + e.Reason + "): " + e.Detail
}

// ReasonOf returns the rejection reason of err if it is (or wraps) a
// *ValidationError, and "" otherwise.
func ReasonOf(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return ""
}

func reject(reason, typ, format string, args ...any) *ValidationError {
	return &ValidationError{Reason: reason, Type: typ, Detail: oneLine(fmt.Sprintf(format, args...))}
}

// Validator checks raw events against the envelope schema and the data schema
// of their type. It is safe for concurrent use.
type Validator struct {
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema // by event type
	maxSize  int

	// The fast path (fastvalidate.go): nil when built WithReference.
	fast      *fastValidator
	reference bool
}

// ValidatorOption configures a Validator.
type ValidatorOption func(*Validator)

// WithMaxSize sets the largest event, in bytes, the validator accepts
// (DefaultMaxSize otherwise). Bigger events are rejected as ReasonOversized
// before being parsed. n ≤ 0 keeps the default.
func WithMaxSize(n int) ValidatorOption {
	return func(v *Validator) {
		if n > 0 {
			v.maxSize = n
		}
	}
}

// NewValidator compiles the envelope schema and the data schema of every
// event type in types (event type "<producer>.<kind>" → JSON Schema of its
// data, draft 2020-12, at SchemaVersion). A schema's $id, when present, must
// be SchemaURI(type, SchemaVersion).
func NewValidator(types map[string][]byte, opts ...ValidatorOption) (*Validator, error) {
	v := &Validator{data: make(map[string]*jsonschema.Schema, len(types)), maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(v)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	env, err := jsonschema.UnmarshalJSON(bytes.NewReader(envelopeSchema))
	if err != nil {
		return nil, fmt.Errorf("parse envelope schema: %w", err)
	}
	if err := c.AddResource(EnvelopeSchemaID, env); err != nil {
		return nil, fmt.Errorf("add envelope schema: %w", err)
	}
	if v.envelope, err = c.Compile(EnvelopeSchemaID); err != nil {
		return nil, fmt.Errorf("compile envelope schema: %w", err)
	}
	docs := make(map[string]any, len(types)) // for the fast path

	// Sorted, so that a broken set of schemas always reports the same error.
	names := make([]string, 0, len(types))
	for typ := range types {
		names = append(names, typ)
	}
	slices.Sort(names)
	for _, typ := range names {
		if !typeRE.MatchString(typ) {
			return nil, fmt.Errorf("event type %q: want <producer>.<kind>, lower-case", typ)
		}
		uri := SchemaURI(typ, SchemaVersion)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(types[typ]))
		if err != nil {
			return nil, fmt.Errorf("schema of %s is not JSON: %w", typ, err)
		}
		if obj, ok := doc.(map[string]any); ok {
			if id, ok := obj["$id"]; ok && id != uri {
				return nil, fmt.Errorf("schema of %s: $id is %v, want %q", typ, id, uri)
			}
		}
		if err := c.AddResource(uri, doc); err != nil {
			return nil, fmt.Errorf("schema of %s: %w", typ, err)
		}
		sch, err := c.Compile(uri)
		if err != nil {
			return nil, fmt.Errorf("schema of %s does not compile: %s", typ, oneLine(err.Error()))
		}
		v.data[typ] = sch
		docs[typ] = doc
	}
	if !v.reference {
		v.fast = compileFast(env, docs)
	}
	return v, nil
}

// Validate decodes one raw event and checks it: size, JSON, the envelope
// (spec version, UUID id, source "exhaust/<producer>" matching the type,
// RFC 3339 time, a dataschema naming this type at a version this build
// reads), then data against its type's schema. It returns the event with
// Data as a json.RawMessage, or a *ValidationError.
func (v *Validator) Validate(raw []byte) (*Event, error) {
	if len(raw) > v.maxSize {
		return nil, reject(ReasonOversized, "", "%d bytes, limit %d", len(raw), v.maxSize)
	}
	if v.fast != nil {
		// The fast path decides acceptances; a reject, or an event it
		// cannot decide, goes on to the reference below, which words the
		// error (see fastvalidate.go).
		if vd := v.fast.validate(raw, v.data); vd.ev != nil {
			return vd.ev, nil
		}
	}
	return v.validateReference(raw)
}

// validateReference is Validate with the reference implementation only.
func (v *Validator) validateReference(raw []byte) (*Event, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, reject(ReasonMalformedJSON, "", "%v", err)
	}
	if err := guardedValidate(v.envelope, doc); err != nil {
		return nil, reject(ReasonInvalidEnvelope, "", "%s", schemaErr(err))
	}
	obj := doc.(map[string]any) // the envelope schema requires an object with these strings
	typ := obj["type"].(string)
	producer, _, _ := strings.Cut(typ, ".")
	if src := obj["source"].(string); src != Source(producer) {
		return nil, reject(ReasonInvalidEnvelope, "", "source %q does not match type %q (want %q)", src, typ, Source(producer))
	}
	dsType, version := parseSchemaURI(obj["dataschema"].(string))
	if dsType != typ {
		return nil, reject(ReasonInvalidEnvelope, "", "dataschema names type %q, the event is %q", dsType, typ)
	}
	sch, ok := v.data[typ]
	if !ok {
		return nil, reject(ReasonUnknownType, "", "no schema for event type %q", typ)
	}
	if version != SchemaVersion {
		return nil, reject(ReasonSchemaVersion, typ, "%s is at schema version %d, this build reads version %d", typ, version, SchemaVersion)
	}
	if err := guardedValidate(sch, obj["data"]); err != nil {
		return nil, reject(ReasonInvalidData, typ, "%s data: %s", typ, schemaErr(err))
	}

	// The schema checks passed; decode the typed envelope. Data stays raw:
	// the outer field shadows Event.Data.
	var w struct {
		Event
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		// The schema's date-time is a little wider than Go's RFC 3339 parser
		// (leap seconds, for one); such an event cannot be used.
		return nil, reject(ReasonInvalidEnvelope, typ, "%v", err)
	}
	e := w.Event
	e.Data = w.Data
	if e.DataContentType == "" {
		// CloudEvents: an absent datacontenttype in JSON format means JSON.
		e.DataContentType = "application/json"
	}
	return &e, nil
}

// parseSchemaURI splits "urn:exhaust:schema:<type>:v<n>" (already checked by
// the envelope schema's pattern) into type and version.
func parseSchemaURI(uri string) (typ string, version int) {
	rest := strings.TrimPrefix(uri, schemaURIPrefix)
	i := strings.LastIndex(rest, ":v")
	if i < 0 {
		return rest, 0
	}
	n, err := strconv.Atoi(rest[i+2:])
	if err != nil {
		return rest[:i], 0
	}
	return rest[:i], n
}

// schemaErr turns a jsonschema error, which spans several lines (a header and
// one line per failing keyword), into one line listing the first causes.
func schemaErr(err error) string {
	var causes []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-"))
		if line == "" || strings.HasPrefix(line, "jsonschema validation failed") {
			continue
		}
		causes = append(causes, line)
	}
	if len(causes) == 0 {
		return oneLine(err.Error())
	}
	const shown = 3
	if len(causes) > shown {
		causes = append(causes[:shown], fmt.Sprintf("and %d more", len(causes)-shown))
	}
	return strings.Join(causes, "; ")
}

// oneLine makes s safe for a one-line log message: no control characters,
// bounded length.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxDetail {
		cut := maxDetail
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

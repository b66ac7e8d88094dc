package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The fast path.
//
// The reference implementation (santhosh-tekuri/jsonschema) decodes every
// event into map[string]any with json.Number leaves, then walks the schema
// generically, comparing numbers as big.Rat: about 100 µs an event. Our
// schemas use a small subset of JSON Schema, so NewValidator also compiles
// each of them into a tree of checks (fastNode) and Validate checks the raw
// bytes in one pass against it, without building a document.
//
// The fast path must never accept what the reference rejects, and it must
// reject with the same reason. The differential tests hold it to that on
// simulated days, the bad corpus and fuzzed events. On top of that:
//
//   - a schema with a keyword outside the subset is left to the reference
//     (decided once, in NewValidator);
//   - an event the fast path cannot decide alone (a property given twice,
//     where JSON decoders keep the last one) goes to the reference whole;
//   - an event the fast path rejects is validated again by the reference,
//     which gives the error its final reason and wording. Rejects are rare
//     and this keeps their details the same whichever path ran.
//
// So the fast path only ever decides acceptances by itself.

// WithReference makes the Validator check every event with the reference
// implementation only (santhosh-tekuri/jsonschema), skipping the fast path.
// It is the yardstick the fast path is tested and benchmarked against.
func WithReference() ValidatorOption {
	return func(v *Validator) { v.reference = true }
}

// ReferenceTypes returns the event types whose data this Validator checks
// with the reference implementation because their schema uses a keyword
// the fast path does not compile (sorted). All of them when the Validator
// was built WithReference or the envelope schema itself is outside the
// subset.
func (v *Validator) ReferenceTypes() []string {
	var out []string
	for typ := range v.data {
		if v.fast == nil || v.fast.data[typ] == nil {
			out = append(out, typ)
		}
	}
	slices.Sort(out)
	return out
}

// draft2020 is the only $schema the fast compiler reads: other drafts give
// some keywords other meanings (exclusiveMinimum as a boolean in draft 4).
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// maxDepth is encoding/json's nesting limit; deeper input is malformed for
// the reference, so it must be for the fast path too.
const maxDepth = 10000

// fastValidator is the compiled fast form of a Validator's schemas.
type fastValidator struct {
	env  *fastNode
	data map[string]*fastNode // by event type; nil: the reference checks it
	// Indexes of the envelope's properties in env.props.
	idxSpec, idxID, idxSource, idxType, idxTime, idxContentType, idxSchema, idxData int
	// inlineData: the envelope's data schema only asks for an object, so
	// data can be checked against its type's schema while scanning the
	// envelope, when the type came before it.
	inlineData bool
	// types holds the envelope strings of every type the Validator knows,
	// by type, so that an event's envelope shares them instead of
	// allocating its own (see envelopeStrings).
	types map[string]*envelopeStrings
}

// envelopeStrings are the envelope attributes an event of a known type
// has, at this build's schema version.
type envelopeStrings struct {
	typ, source, dataschema string
}

// envelopeStrings returns the strings of the known type whose name is the
// string literal lit (quotes included) without escapes, or nil.
func (f *fastValidator) envelopeStrings(lit []byte) *envelopeStrings {
	if len(lit) < 2 || lit[0] != '"' {
		return nil
	}
	// Type names have no character JSON escapes: a name written with
	// escapes is not found, and is decoded the slow way.
	return f.types[string(lit[1:len(lit)-1])]
}

// sameString reports whether the string literal lit (quotes included) is
// s written without escapes.
func sameString(lit []byte, s string) bool {
	return len(lit) == len(s)+2 && string(lit[1:len(lit)-1]) == s
}

// jsonTypes is a set of JSON Schema types.
type jsonTypes uint8

const (
	tNull jsonTypes = 1 << iota
	tBoolean
	tNumber
	tInteger
	tString
	tArray
	tObject
)

var typeNames = map[string]jsonTypes{
	"null": tNull, "boolean": tBoolean, "number": tNumber, "integer": tInteger,
	"string": tString, "array": tArray, "object": tObject,
}

func (t jsonTypes) String() string {
	var names []string
	for _, n := range []string{"null", "boolean", "number", "integer", "string", "array", "object"} {
		if t&typeNames[n] != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, " or ")
}

// boundKind is the keyword of a numeric bound.
type boundKind uint8

const (
	bMinimum boundKind = iota
	bMaximum
	bExclusiveMinimum
	bExclusiveMaximum
)

var boundKeywords = map[string]boundKind{
	"minimum": bMinimum, "maximum": bMaximum,
	"exclusiveMinimum": bExclusiveMinimum, "exclusiveMaximum": bExclusiveMaximum,
}

// fastBound is one numeric bound. rat is exact; f is its float64, used
// when both the bound and the number checked have at most 15 significant
// digits: two different such decimals never round to the same float64, so
// comparing the floats gives the exact answer.
type fastBound struct {
	kind    boundKind
	keyword string
	lit     string
	rat     *big.Rat
	f       float64
}

// fastValues is an enum or a const: the values allowed. Only strings,
// booleans and null are compiled (numbers would need exact comparison,
// containers deep equality).
type fastValues struct {
	keyword string
	strs    []string
	bools   [2]bool // false, true
	null    bool
}

func (v *fastValues) hasString(x []byte) bool {
	for _, s := range v.strs {
		if string(x) == s {
			return true
		}
	}
	return false
}

func (v *fastValues) has(x any) bool {
	switch x := x.(type) {
	case bool:
		if x {
			return v.bools[1]
		}
		return v.bools[0]
	case nil:
		return v.null
	}
	return false
}

// fastProp is one property an object schema names.
type fastProp struct {
	name string
	node *fastNode // nil: any value
	// declared is false for a name only listed in required: with
	// additionalProperties false it can never be present.
	declared bool
}

// fastNode is one compiled schema.
type fastNode struct {
	loc   string // instance location, "/ids/*/kind", for error details
	never bool   // the false schema

	types  jsonTypes // 0: any type
	values []*fastValues

	// Strings.
	strChecks      bool // any of values, format, minLength, maxLength, pattern
	format         *fastFormat
	minLen, maxLen int // -1: none
	pattern        *regexp.Regexp
	quickPattern   *quickPattern // nil: the regexp only

	// Numbers.
	bounds     []fastBound
	boundsFast bool // every bound has at most 15 significant digits

	// Arrays.
	items              *fastNode
	minItems, maxItems int // -1: none

	// Objects.
	objChecks bool // any of props, required, closed
	props     []fastProp
	required  uint64 // bit i: props[i] is required
	closed    bool   // additionalProperties: false
}

// errUnsupported marks a schema the fast path leaves to the reference.
type errUnsupported struct{ why string }

func (e errUnsupported) Error() string { return e.why }

func unsupported(format string, args ...any) error {
	return errUnsupported{fmt.Sprintf(format, args...)}
}

// fastCompiler compiles schema documents (as jsonschema.UnmarshalJSON
// returns them: json.Number numbers) into fastNodes.
type fastCompiler struct {
	formats map[string]*fastFormat
}

// compileFast compiles the envelope and every data schema. It returns nil
// when the envelope is outside the subset: everything then goes to the
// reference.
func compileFast(env any, data map[string]any) *fastValidator {
	c := &fastCompiler{formats: map[string]*fastFormat{}}
	envNode, err := c.compileRoot(env)
	if err != nil || envNode.never || envNode.types != tObject || len(envNode.values) > 0 || !envNode.closed {
		// Validate scans the envelope as an object, and relies on it
		// having no other attributes: json.Unmarshal, which the reference
		// runs last, would match an "ID" or a "Time" to the Event's fields.
		return nil
	}
	f := &fastValidator{env: envNode, data: make(map[string]*fastNode, len(data)), types: make(map[string]*envelopeStrings, len(data))}
	idx := func(name string, required bool) int {
		for i, p := range envNode.props {
			if p.name == name && p.declared && (!required || envNode.required&(1<<i) != 0) {
				return i
			}
		}
		return -1
	}
	f.idxSpec, f.idxID, f.idxSource = idx("specversion", true), idx("id", true), idx("source", true)
	f.idxType, f.idxTime, f.idxSchema = idx("type", true), idx("time", true), idx("dataschema", true)
	f.idxData, f.idxContentType = idx("data", true), idx("datacontenttype", false)
	for _, i := range []int{f.idxSpec, f.idxID, f.idxSource, f.idxType, f.idxTime, f.idxSchema, f.idxData} {
		if i < 0 {
			return nil // Validate relies on these being required
		}
	}
	// The later steps read type, source, dataschema and time as strings
	// the envelope schema has checked.
	for _, i := range []int{f.idxSource, f.idxType, f.idxTime, f.idxSchema} {
		if n := envNode.props[i].node; n == nil || n.types != tString {
			return nil
		}
	}
	if n := envNode.props[f.idxData].node; n != nil && n.types == tObject && n.onlyType() {
		f.inlineData = true
	}
	for typ, doc := range data {
		producer, _, _ := strings.Cut(typ, ".")
		f.types[typ] = &envelopeStrings{typ: typ, source: Source(producer), dataschema: SchemaURI(typ, SchemaVersion)}
		if n, err := c.compileRoot(doc); err == nil {
			f.data[typ] = n
		}
	}
	return f
}

// onlyType reports whether n checks nothing but the type.
func (n *fastNode) onlyType() bool {
	return !n.never && len(n.values) == 0 && !n.strChecks && len(n.bounds) == 0 &&
		n.items == nil && n.minItems < 0 && n.maxItems < 0 && !n.objChecks
}

func (c *fastCompiler) compileRoot(doc any) (*fastNode, error) {
	if obj, ok := doc.(map[string]any); ok {
		if s, ok := obj["$schema"]; ok && s != draft2020 {
			return nil, unsupported("$schema %v", s)
		}
	}
	return c.compile(doc, "", true)
}

// annotations are keywords that never affect validation.
var annotations = map[string]bool{
	"$id": true, "$comment": true, "title": true, "description": true, "default": true,
	"examples": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

func (c *fastCompiler) compile(doc any, loc string, root bool) (*fastNode, error) {
	n := &fastNode{loc: loc, minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	switch d := doc.(type) {
	case bool:
		n.never = !d
		return n, nil
	case map[string]any:
		keys := make([]string, 0, len(d))
		for k := range d {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic: properties before required
		for _, k := range keys {
			if err := c.keyword(n, k, d[k], root); err != nil {
				return nil, err
			}
		}
		n.strChecks = len(n.values) > 0 || n.format != nil || n.minLen >= 0 || n.maxLen >= 0 || n.pattern != nil
		n.objChecks = len(n.props) > 0 || n.closed
		return n, nil
	default:
		return nil, unsupported("schema is %T", doc)
	}
}

func (c *fastCompiler) keyword(n *fastNode, k string, v any, root bool) error {
	if annotations[k] {
		return nil
	}
	switch k {
	case "$schema":
		if !root {
			return unsupported("$schema below the root")
		}
	case "type":
		switch t := v.(type) {
		case string:
			if typeNames[t] == 0 {
				return unsupported("type %q", t)
			}
			n.types = typeNames[t]
		case []any:
			for _, x := range t {
				s, _ := x.(string)
				if typeNames[s] == 0 {
					return unsupported("type %v", x)
				}
				n.types |= typeNames[s]
			}
			if n.types == 0 {
				return unsupported("empty type list")
			}
		default:
			return unsupported("type %v", v)
		}
	case "enum", "const":
		items := []any{v}
		if k == "enum" {
			arr, ok := v.([]any)
			if !ok {
				return unsupported("enum is %T", v)
			}
			items = arr
		}
		vals := &fastValues{keyword: k}
		for _, x := range items {
			switch x := x.(type) {
			case string:
				vals.strs = append(vals.strs, x)
			case bool:
				if x {
					vals.bools[1] = true
				} else {
					vals.bools[0] = true
				}
			case nil:
				vals.null = true
			default:
				return unsupported("%s value %v", k, x)
			}
		}
		n.values = append(n.values, vals)
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		num, ok := v.(json.Number)
		if !ok {
			return unsupported("%s is %T", k, v)
		}
		r, ok := new(big.Rat).SetString(string(num))
		if !ok {
			return unsupported("%s %s", k, num)
		}
		b := fastBound{kind: boundKeywords[k], keyword: k, lit: string(num), rat: r}
		if n.bounds == nil {
			n.boundsFast = true
		}
		if f, err := strconv.ParseFloat(string(num), 64); err == nil && floatExact(string(num)) {
			b.f = f
		} else {
			n.boundsFast = false
		}
		n.bounds = append(n.bounds, b)
	case "minLength", "maxLength", "minItems", "maxItems":
		num, ok := v.(json.Number)
		if !ok {
			return unsupported("%s is %T", k, v)
		}
		i, err := strconv.Atoi(string(num))
		if err != nil || i < 0 {
			return unsupported("%s %s", k, num)
		}
		switch k {
		case "minLength":
			n.minLen = i
		case "maxLength":
			n.maxLen = i
		case "minItems":
			n.minItems = i
		case "maxItems":
			n.maxItems = i
		}
	case "pattern":
		s, ok := v.(string)
		if !ok {
			return unsupported("pattern is %T", v)
		}
		re, err := regexp.Compile(s) // the reference's default engine
		if err != nil {
			return unsupported("pattern %q: %v", s, err)
		}
		n.pattern, n.quickPattern = re, compilePattern(re)
	case "format":
		s, ok := v.(string)
		if !ok {
			return unsupported("format is %T", v)
		}
		f, err := c.format(s)
		if err != nil {
			return err
		}
		n.format = f
	case "items":
		child, err := c.compile(v, n.loc+"/*", false)
		if err != nil {
			return err
		}
		n.items = child
	case "properties":
		props, ok := v.(map[string]any)
		if !ok {
			return unsupported("properties is %T", v)
		}
		names := make([]string, 0, len(props))
		for name := range props {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			child, err := c.compile(props[name], n.loc+"/"+name, false)
			if err != nil {
				return err
			}
			n.props = append(n.props, fastProp{name: name, node: child, declared: true})
		}
		if len(n.props) > 64 {
			return unsupported("more than 64 properties")
		}
	case "required":
		arr, ok := v.([]any)
		if !ok {
			return unsupported("required is %T", v)
		}
		for _, x := range arr {
			name, ok := x.(string)
			if !ok {
				return unsupported("required %v", x)
			}
			i := slices.IndexFunc(n.props, func(p fastProp) bool { return p.name == name })
			if i < 0 {
				n.props = append(n.props, fastProp{name: name})
				i = len(n.props) - 1
			}
			if i >= 64 {
				return unsupported("more than 64 properties")
			}
			n.required |= 1 << i
		}
	case "additionalProperties":
		b, ok := v.(bool)
		if !ok {
			return unsupported("additionalProperties is a schema")
		}
		n.closed = !b
	default:
		return unsupported("keyword %q", k)
	}
	return nil
}

// lookup returns the index of the property named key (raw JSON string
// content without quotes, already decoded when esc), or -1.
func (n *fastNode) lookup(key []byte) int {
	for i := range n.props {
		if string(key) == n.props[i].name {
			return i
		}
	}
	return -1
}

// fastFormat asserts a format: a quick check of the canonical form, and
// the reference's own format assertion for anything else, so that the
// answer is always the reference's.
type fastFormat struct {
	name  string
	quick func([]byte) bool // true: valid; false: ask ref
	ref   *jsonschema.Schema
}

func (f *fastFormat) valid(s []byte) bool {
	if f.quick != nil && f.quick(s) {
		return true
	}
	return guardedValidate(f.ref, string(s)) == nil
}

func (c *fastCompiler) format(name string) (*fastFormat, error) {
	if f, ok := c.formats[name]; ok {
		return f, nil
	}
	rc := jsonschema.NewCompiler()
	rc.DefaultDraft(jsonschema.Draft2020)
	rc.AssertFormat()
	url := "urn:exhaust:fast:format"
	if err := rc.AddResource(url, map[string]any{"format": name}); err != nil {
		return nil, unsupported("format %q: %v", name, err)
	}
	ref, err := rc.Compile(url)
	if err != nil {
		return nil, unsupported("format %q: %v", name, err)
	}
	f := &fastFormat{name: name, ref: ref, quick: quickFormats[name]}
	c.formats[name] = f
	return f, nil
}

// guardedValidate runs the reference validator, turning a panic into an
// error: jsonschema v6.0.3 dereferences nil when a number bounded by the
// schema has an exponent too large for big.Rat ("1e1000000000"), and one
// such event must not crash the consumer again at every restart.
func guardedValidate(sch *jsonschema.Schema, doc any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the schema validator failed on this value (%v)", r)
		}
	}()
	return sch.Validate(doc)
}

// jsonContentType is the datacontenttype of every event.
const jsonContentType = "application/json"

// verdict is the outcome of the fast path on one event.
type verdict struct {
	ev     *Event
	reason string // "" when accepted
	typ    string // ValidationError.Type
	detail string
	// undecided: the fast path cannot tell; the reference must.
	undecided bool
}

// span is a byte range of the input.
type span struct{ from, to int }

// validate runs the fast path on raw (already checked for size). ref is the
// reference data schema of each type, used for types the fast path did not
// compile.
func (f *fastValidator) validate(raw []byte, ref map[string]*jsonschema.Schema) verdict {
	s := scanner{b: raw}
	var spans [64]span
	var dataBad *violation
	inlined := ""
	s.ws()
	var ok bool
	if s.i < len(raw) && raw[s.i] == '{' {
		ok = s.envelope(f, &spans, &inlined, &dataBad)
	} else {
		ok = s.value(f.env)
	}
	if ok {
		s.ws()
		ok = s.i == len(raw)
	}
	switch {
	case !ok:
		return verdict{reason: ReasonMalformedJSON, detail: "not one well-formed JSON value"}
	case s.dup:
		return verdict{undecided: true}
	case s.bad != nil:
		return verdict{reason: ReasonInvalidEnvelope, detail: s.bad.String()}
	}

	lit := func(sp span) []byte { return raw[sp.from:sp.to] }
	var typ, source, dataschema string
	dsType, version := "", 0
	if es := f.envelopeStrings(lit(spans[f.idxType])); es != nil && sameString(lit(spans[f.idxSource]), es.source) &&
		sameString(lit(spans[f.idxSchema]), es.dataschema) {
		// The usual envelope: a known type, at this build's version.
		typ, source, dataschema = es.typ, es.source, es.dataschema
		dsType, version = typ, SchemaVersion
	} else {
		typ = s.decode(spans[f.idxType])
		producer, _, _ := strings.Cut(typ, ".")
		source = Source(producer)
		if src := s.decode(spans[f.idxSource]); src != source {
			return verdict{reason: ReasonInvalidEnvelope, detail: fmt.Sprintf("source %q does not match type %q", src, typ)}
		}
		dataschema = s.decode(spans[f.idxSchema])
		dsType, version = parseSchemaURI(dataschema)
	}
	if dsType != typ {
		return verdict{reason: ReasonInvalidEnvelope, detail: fmt.Sprintf("dataschema names type %q, the event is %q", dsType, typ)}
	}
	refSchema, known := ref[typ]
	if !known {
		return verdict{reason: ReasonUnknownType, detail: fmt.Sprintf("no schema for event type %q", typ)}
	}
	if version != SchemaVersion {
		return verdict{reason: ReasonSchemaVersion, typ: typ, detail: fmt.Sprintf("%s is at schema version %d", typ, version)}
	}
	data := spans[f.idxData]
	switch node := f.data[typ]; {
	case inlined == typ:
		// Checked while scanning the envelope.
	case node != nil:
		ds := scanner{b: raw[:data.to], i: data.from, depth: 1}
		ds.value(node)
		if ds.dup {
			return verdict{undecided: true}
		}
		dataBad = ds.bad
	default:
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw[data.from:data.to]))
		if err != nil {
			return verdict{undecided: true} // cannot happen: scanned above
		}
		if err := guardedValidate(refSchema, doc); err != nil {
			dataBad = &violation{msg: schemaErr(err)}
		}
	}
	if dataBad != nil {
		return verdict{reason: ReasonInvalidData, typ: typ, detail: typ + " data: " + dataBad.String()}
	}

	var t time.Time
	if err := t.UnmarshalJSON(raw[spans[f.idxTime].from:spans[f.idxTime].to]); err != nil {
		// What json.Unmarshal does with the envelope's time, exactly.
		return verdict{reason: ReasonInvalidEnvelope, typ: typ, detail: err.Error()}
	}
	e := &Event{
		SpecVersion:     SpecVersion,
		ID:              s.decode(spans[f.idxID]),
		Source:          source,
		Type:            typ,
		Time:            t,
		DataContentType: jsonContentType,
		DataSchema:      dataschema,
		Data:            json.RawMessage(bytes.Clone(raw[data.from:data.to])),
	}
	if !sameString(lit(spans[f.idxSpec]), SpecVersion) {
		e.SpecVersion = s.decode(spans[f.idxSpec])
	}
	if f.idxContentType >= 0 {
		if sp := spans[f.idxContentType]; sp.to > 0 && !sameString(lit(sp), jsonContentType) {
			if ct := s.decode(sp); ct != "" {
				e.DataContentType = ct
			}
		}
	}
	return verdict{ev: e}
}

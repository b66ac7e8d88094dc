// Package obs decodes a validated event into one Record, so that the
// aggregator's parts (linker, facts, scoring) share one decode per event
// instead of each parsing the JSON again.
//
// A Record knows no producer: it holds the event's identifiers and where,
// every other member of its data as plain JSON values, and the meanings its
// producer declared for its type (package meaning). The aggregator's parts
// read the data through those declarations: a declaration names the field,
// the Record gives its value.
package obs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"exhaust/event"
	"exhaust/meaning"
)

// Record is an event with its data decoded.
type Record struct {
	// Envelope.
	ID   string
	Type string
	Time time.Time

	IDs   []event.ID
	Where *event.Where
	// Data holds the data object's other members (an Object).
	Data Value
	// Means are the meanings declared for Type (see meaning.For).
	Means []meaning.Meaning
}

// Kind is the kind of a JSON value.
type Kind uint8

// The kinds of JSON values.
const (
	Null Kind = iota
	String
	Number
	Bool
	Object
	Array
)

// Value is a decoded JSON value. Objects keep their members sorted by key
// (each key once: the last given wins, as in encoding/json's maps); arrays
// keep their elements in order, with empty keys.
type Value struct {
	Kind    Kind
	S       string  // a string
	N       float64 // a number; 1 for true
	Members []Member
}

// Member is a member of an object or an element of an array.
type Member struct {
	Key string
	Value
}

// Get returns the member key of an object (a Null Value when absent).
// key may be "list[].key": the member key of list's first element, which
// is rarely what a reader wants; use Elems for lists.
func (v Value) Get(key string) Value {
	if v.Kind != Object {
		return Value{}
	}
	i, ok := slices.BinarySearchFunc(v.Members, key, func(m Member, k string) int { return strings.Compare(m.Key, k) })
	if !ok {
		return Value{}
	}
	return v.Members[i].Value
}

// Str returns a string value, or "".
func (v Value) Str() string {
	if v.Kind == String {
		return v.S
	}
	return ""
}

// Float returns a number, or 0.
func (v Value) Float() float64 {
	if v.Kind == Number {
		return v.N
	}
	return 0
}

// Int returns a number truncated to an int, or 0.
func (v Value) Int() int { return int(v.Float()) }

// True reports whether v is true.
func (v Value) True() bool { return v.Kind == Bool && v.N != 0 }

// Time returns a string value read as an RFC 3339 time, or the zero time.
func (v Value) Time() time.Time {
	if v.Kind != String {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v.S)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Elems returns an array's elements (nil for anything else).
func (v Value) Elems() []Member {
	if v.Kind != Array {
		return nil
	}
	return v.Members
}

// Get returns the data member key ("" names nothing: a Null Value).
func (r *Record) Get(key string) Value {
	if key == "" {
		return Value{}
	}
	return r.Data.Get(key)
}

// Str returns the string data member key, or "".
func (r *Record) Str(key string) string { return r.Get(key).Str() }

// Int returns the number data member key as an int, or 0.
func (r *Record) Int(key string) int { return r.Get(key).Int() }

// Is reports whether the condition m holds for r.
func (r *Record) Is(m meaning.Match) bool {
	return m.Set() && r.Str(m.Field) == m.Value
}

// Decode returns the Record of ev, whose Data must be a json.RawMessage (as
// event.Validator returns it) or a Record decoded already (a consumer may
// decode on parallel workers; see Predecode). The Record, or the error, is
// always the one the reference decoder (encoding/json, see decodeReference)
// gives; a hand-written decoder gives it without reflection for well-formed
// events (see decode.go).
func Decode(ev *event.Event) (*Record, error) {
	if r, ok := ev.Data.(*Record); ok {
		return r, nil
	}
	raw, ok := ev.Data.(json.RawMessage)
	if !ok {
		return nil, fmt.Errorf("event %s: data is %T, want json.RawMessage", ev.ID, ev.Data)
	}
	r := decodeFast(raw)
	if r == nil {
		// Left to the reference (see decode.go).
		var err error
		if r, err = decodeReference(raw); err != nil {
			return nil, fmt.Errorf("event %s (%s): decode data: %w", ev.ID, ev.Type, err)
		}
	}
	r.ID, r.Type, r.Time = ev.ID, ev.Type, ev.Time
	r.Means = meaning.For(ev.Type)
	return r, nil
}

// decodeReference decodes data with encoding/json: the reference the fast
// decoder is held to, and its fallback. ids and where are decoded into
// their types, every other member as a plain JSON value.
func decodeReference(raw []byte) (*Record, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, err
	}
	r := &Record{Data: Value{Kind: Object}}
	for k, m := range members {
		var err error
		switch k {
		case "ids":
			err = json.Unmarshal(m, &r.IDs)
		case "where":
			err = json.Unmarshal(m, &r.Where)
		default:
			var v any
			if err = json.Unmarshal(m, &v); err == nil {
				r.Data.Members = append(r.Data.Members, Member{Key: k, Value: valueOf(v)})
			}
		}
		if err != nil {
			return nil, err
		}
	}
	sortMembers(r.Data.Members)
	return r, nil
}

// valueOf converts what encoding/json decodes into an interface.
func valueOf(x any) Value {
	switch x := x.(type) {
	case string:
		return Value{Kind: String, S: x}
	case float64:
		return Value{Kind: Number, N: x}
	case bool:
		if x {
			return Value{Kind: Bool, N: 1}
		}
		return Value{Kind: Bool}
	case []any:
		v := Value{Kind: Array, Members: make([]Member, len(x))}
		for i, e := range x {
			v.Members[i].Value = valueOf(e)
		}
		return v
	case map[string]any:
		v := Value{Kind: Object, Members: make([]Member, 0, len(x))}
		for k, e := range x {
			v.Members = append(v.Members, Member{Key: k, Value: valueOf(e)})
		}
		sortMembers(v.Members)
		return v
	}
	return Value{}
}

func sortMembers(ms []Member) {
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
}

// Has reports whether r carries an identifier of kind k, and returns the first.
func (r *Record) Has(k event.IDKind) (event.ID, bool) {
	for _, id := range r.IDs {
		if id.Kind == k {
			return id, true
		}
	}
	return event.ID{}, false
}

// Predecode replaces ev's raw data with its Record, so that the decoding can
// happen off the goroutine that applies events. On error ev is unchanged:
// Decode will report it again where it is applied.
func Predecode(ev *event.Event) {
	if r, err := Decode(ev); err == nil {
		ev.Data = r
	}
}

// Set sets the data member key of r to x (a string, an int, a float64, a
// bool or a Value), replacing an earlier one, and returns r: for records
// built by hand, in tests and tools.
func (r *Record) Set(key string, x any) *Record {
	var v Value
	switch x := x.(type) {
	case Value:
		v = x
	case string:
		v = Value{Kind: String, S: x}
	case int:
		v = Value{Kind: Number, N: float64(x)}
	case float64:
		v = Value{Kind: Number, N: x}
	case bool:
		v = valueOf(x)
	default:
		panic(fmt.Sprintf("obs: Set %s to a %T", key, x))
	}
	r.Data.Kind = Object
	r.Data.Members = appendMember(r.Data.Members, Member{Key: key, Value: v})
	sortMembers(r.Data.Members)
	return r
}

// appendMember adds m to an object's members; a key given again replaces
// the earlier value, as in encoding/json's maps.
func appendMember(ms []Member, m Member) []Member {
	for i := range ms {
		if ms[i].Key == m.Key {
			ms[i] = m
			return ms
		}
	}
	return append(ms, m)
}

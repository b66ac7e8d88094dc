package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// compactWidth is the widest a nested object or array may be to stay on one
// line in an example: short identifiers and measurements read best that way.
const compactWidth = 100

// jsonValue is a decoded JSON value that keeps the order of object keys.
type jsonValue struct {
	scalar json.RawMessage // set for strings, numbers, booleans, null
	keys   []string        // object keys, in order (object when obj != nil)
	obj    map[string]*jsonValue
	arr    []*jsonValue
	isArr  bool
}

// pretty indents raw JSON by two spaces, like json.Indent, but keeps short
// nested objects and arrays on one line.
func pretty(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	write(&b, v, 0)
	return []byte(b.String()), nil
}

func decodeValue(dec *json.Decoder) (*jsonValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := &jsonValue{obj: map[string]*jsonValue{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v", kt)
				}
				sub, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k)
				v.obj[k] = sub
			}
			_, err := dec.Token() // }
			return v, err
		case '[':
			v := &jsonValue{isArr: true}
			for dec.More() {
				sub, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, sub)
			}
			_, err := dec.Token() // ]
			return v, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		return &jsonValue{scalar: b}, nil
	}
}

// compact is v on one line, with a space after colons and commas.
func compact(v *jsonValue) string {
	switch {
	case v.scalar != nil:
		return string(v.scalar)
	case v.isArr:
		parts := make([]string, len(v.arr))
		for i, e := range v.arr {
			parts[i] = compact(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		parts := make([]string, len(v.keys))
		for i, k := range v.keys {
			kb, _ := json.Marshal(k)
			parts[i] = string(kb) + ": " + compact(v.obj[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
}

func write(b *strings.Builder, v *jsonValue, depth int) {
	if v.scalar != nil {
		b.Write(v.scalar)
		return
	}
	// Only containers below the envelope and data levels may fold.
	if c := compact(v); depth >= 2 && len(c)+2*depth <= compactWidth || len(c) == 2 {
		b.WriteString(c)
		return
	}
	indent := strings.Repeat("  ", depth+1)
	if v.isArr {
		b.WriteString("[\n")
		for i, e := range v.arr {
			b.WriteString(indent)
			write(b, e, depth+1)
			if i < len(v.arr)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("  ", depth) + "]")
		return
	}
	b.WriteString("{\n")
	for i, k := range v.keys {
		kb, _ := json.Marshal(k)
		b.WriteString(indent + string(kb) + ": ")
		write(b, v.obj[k], depth+1)
		if i < len(v.keys)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat("  ", depth) + "}")
}

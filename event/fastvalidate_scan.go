package event

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf8"

	"exhaust/internal/jsonscan"
)

// violation is the first schema violation found in one stage (envelope or
// data).
type violation struct{ loc, msg string }

func (v *violation) String() string {
	if v.loc == "" {
		return v.msg
	}
	return "at '" + v.loc + "': " + v.msg
}

// scanner checks raw JSON against fastNodes in one pass. It accepts exactly
// the grammar encoding/json accepts (including its nesting limit), and
// sees the values json.Unmarshal would decode: escapes and invalid UTF-8
// in the strings it checks are decoded by encoding/json itself.
//
// A syntax error stops the scan (the methods return false). A schema
// violation does not: the first one is kept, and the scan goes on, both
// to tell malformed input from invalid input and to notice a property
// given twice (dup), after which only the reference can decide.
type scanner struct {
	b     []byte
	i     int
	depth int
	bad   *violation
	dup   bool
}

func (s *scanner) fail(n *fastNode, format string, args ...any) {
	if s.bad == nil {
		s.bad = &violation{loc: n.loc, msg: fmt.Sprintf(format, args...)}
	}
}

func (s *scanner) ws() { s.i = jsonscan.Space(s.b, s.i) }

// value scans one value at s.i (after optional whitespace) and checks it
// against n (nil: anything).
func (s *scanner) value(n *fastNode) bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	if n != nil && n.never {
		s.fail(n, "no value is allowed here")
		n = nil
	}
	switch c := s.b[s.i]; {
	case c == '{':
		if n != nil && !s.container(n, tObject, "object") {
			n = nil
		}
		return s.object(n)
	case c == '[':
		if n != nil && !s.container(n, tArray, "array") {
			n = nil
		}
		return s.array(n)
	case c == '"':
		start := s.i
		esc, high, ok := s.str()
		if ok && n != nil {
			s.checkString(n, s.b[start:s.i], esc, high)
		}
		return ok
	case c == 't':
		return s.literal("true", n, tBoolean, true)
	case c == 'f':
		return s.literal("false", n, tBoolean, false)
	case c == 'n':
		return s.literal("null", n, tNull, nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(n)
	}
	return false
}

// container checks the type and the enum/const of an object or array
// against n; false means the value is already wrong and its contents need
// no checking.
func (s *scanner) container(n *fastNode, t jsonTypes, name string) bool {
	if n.types != 0 && n.types&t == 0 {
		s.fail(n, "got %s, want %s", name, n.types)
		return false
	}
	if len(n.values) > 0 {
		s.fail(n, "%s: an %s is not among the allowed values", n.values[0].keyword, name)
		return false
	}
	return true
}

func (s *scanner) literal(word string, n *fastNode, t jsonTypes, v any) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	if n == nil {
		return true
	}
	if n.types != 0 && n.types&t == 0 {
		s.fail(n, "got %s, want %s", word, n.types)
		return true
	}
	for _, vals := range n.values {
		if !vals.has(v) {
			s.fail(n, "%s: %s is not allowed", vals.keyword, word)
		}
	}
	return true
}

// str scans a string starting at its opening quote. esc reports escapes,
// high bytes of 0x80 and above (UTF-8, valid or not).
func (s *scanner) str() (esc, high, ok bool) {
	end, esc, high, ok := jsonscan.String(s.b, s.i)
	if ok {
		s.i = end
	}
	return esc, high, ok
}

// unquote returns the string a JSON string literal (quotes included)
// decodes to, as encoding/json decodes it.
func unquote(lit []byte, esc, high bool) string {
	body := lit[1 : len(lit)-1]
	if !esc && (!high || utf8.Valid(body)) {
		return string(body)
	}
	// Escapes, or invalid UTF-8 (replaced by U+FFFD): leave the fine
	// points to encoding/json itself.
	var out string
	if err := json.Unmarshal(lit, &out); err != nil {
		return string(body) // unreachable: lit was scanned as a string
	}
	return out
}

// decode returns the string value at sp (a span the envelope schema has
// checked is a string), or "" for another type or an absent value.
func (s *scanner) decode(sp span) string {
	if sp.to <= sp.from || s.b[sp.from] != '"' {
		return ""
	}
	lit := s.b[sp.from:sp.to]
	esc, high := false, false
	for _, c := range lit[1 : len(lit)-1] {
		if c == '\\' {
			esc = true
		} else if c >= 0x80 {
			high = true
		}
	}
	return unquote(lit, esc, high)
}

func (s *scanner) checkString(n *fastNode, lit []byte, esc, high bool) {
	if n.types != 0 && n.types&tString == 0 {
		s.fail(n, "got string, want %s", n.types)
		return
	}
	if !n.strChecks {
		return
	}
	// The checks read the bytes in place unless the value needs decoding.
	v := lit[1 : len(lit)-1]
	if esc || (high && !utf8.Valid(v)) {
		v = []byte(unquote(lit, esc, high))
	}
	for _, vals := range n.values {
		if !vals.hasString(v) {
			s.fail(n, "%s: %q is not allowed", vals.keyword, v)
		}
	}
	if n.format != nil && !n.format.valid(v) {
		s.fail(n, "%q is not a valid %s", v, n.format.name)
	}
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := utf8.RuneCount(v)
		if n.minLen >= 0 && l < n.minLen {
			s.fail(n, "minLength: got %d characters, want at least %d", l, n.minLen)
		}
		if n.maxLen >= 0 && l > n.maxLen {
			s.fail(n, "maxLength: got %d characters, want at most %d", l, n.maxLen)
		}
	}
	if n.pattern != nil && !(n.quickPattern != nil && n.quickPattern.match(v)) && !n.pattern.Match(v) {
		s.fail(n, "%q does not match %s", v, n.pattern)
	}
}

// number scans a number and checks it against n.
func (s *scanner) number(n *fastNode) bool {
	start := s.i
	end, frac, exp, ok := jsonscan.Number(s.b, s.i)
	s.i = end
	if !ok {
		return false
	}
	if n != nil {
		s.checkNumber(n, s.b[start:end], frac, exp)
	}
	return true
}

func (s *scanner) checkNumber(n *fastNode, lit []byte, frac, exp bool) {
	if n.types != 0 && n.types&tNumber == 0 {
		if n.types&tInteger == 0 || !isInteger(lit, frac, exp) {
			s.fail(n, "got number %s, want %s", lit, n.types)
			return
		}
	}
	if len(n.values) > 0 {
		s.fail(n, "%s: number %s is not allowed", n.values[0].keyword, lit)
		return
	}
	if len(n.bounds) == 0 {
		return
	}
	var f float64
	fast := n.boundsFast && !exp && floatExact(string(lit))
	if fast {
		var err error
		f, err = strconv.ParseFloat(string(lit), 64)
		fast = err == nil
	}
	var r *big.Rat
	if !fast {
		var ok bool
		if r, ok = new(big.Rat).SetString(string(lit)); !ok {
			s.fail(n, "number %.40s cannot be compared with its bounds", lit)
			return
		}
	}
	for _, bd := range n.bounds {
		var c int
		switch {
		case !fast:
			c = r.Cmp(bd.rat)
		case f < bd.f:
			c = -1
		case f > bd.f:
			c = 1
		}
		var ok bool
		switch bd.kind {
		case bMinimum:
			ok = c >= 0
		case bMaximum:
			ok = c <= 0
		case bExclusiveMinimum:
			ok = c > 0
		case bExclusiveMaximum:
			ok = c < 0
		}
		if !ok {
			s.fail(n, "%s: got %s, want %s", bd.keyword, lit, bd.lit)
		}
	}
}

// isInteger reports whether the number literal is an integer the way the
// reference decides it (big.Rat.IsInt, "1.0" and "1e2" included, and not
// the literals big.Rat cannot parse).
func isInteger(lit []byte, frac, exp bool) bool {
	if !frac && !exp {
		return true
	}
	r, ok := new(big.Rat).SetString(string(lit))
	return ok && r.IsInt()
}

// floatExact reports whether the decimal literal (no exponent) is short
// and has at most 15 significant digits, so that its float64 orders
// exactly like its value against any other such literal.
func floatExact(lit string) bool {
	if len(lit) > 24 {
		return false
	}
	first, last := -1, -1
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if c == 'e' || c == 'E' {
			return false
		}
		if c >= '1' && c <= '9' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return true // zero
	}
	sig := last - first + 1
	for i := first; i <= last; i++ {
		if lit[i] == '.' {
			sig--
		}
	}
	return sig <= 15
}

// object scans an object at s.i and checks it against n.
func (s *scanner) object(n *fastNode) bool {
	s.i++
	s.depth++
	if s.depth > maxDepth {
		return false
	}
	checks := n != nil && n.objChecks
	var seen uint64
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
	} else {
		for {
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return false
			}
			kstart := s.i
			esc, high, ok := s.str()
			if !ok {
				return false
			}
			kend := s.i
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return false
			}
			s.i++
			var child *fastNode
			if checks {
				idx := s.property(n, kstart, kend, esc, high)
				if idx >= 0 {
					if seen&(1<<idx) != 0 {
						s.dup = true
					}
					seen |= 1 << idx
					child = n.props[idx].node
				}
			}
			if !s.value(child) {
				return false
			}
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == '}' {
				s.i++
				break
			}
			return false
		}
	}
	s.depth--
	if checks {
		s.required(n, seen)
	}
	return true
}

// property looks up the key at b[kstart:kend] (quotes included) among n's
// properties and reports an additional property n does not allow. It
// returns the property's index, or -1.
func (s *scanner) property(n *fastNode, kstart, kend int, esc, high bool) int {
	var idx int
	if esc || high {
		idx = n.lookup([]byte(unquote(s.b[kstart:kend], esc, high)))
	} else {
		idx = n.lookup(s.b[kstart+1 : kend-1])
	}
	if n.closed && (idx < 0 || !n.props[idx].declared) {
		s.fail(n, "additional property %s not allowed", s.b[kstart:kend])
	}
	return idx
}

func (s *scanner) required(n *fastNode, seen uint64) {
	if missing := n.required &^ seen; missing != 0 {
		for i := range n.props {
			if missing&(1<<i) != 0 {
				s.fail(n, "missing property %q", n.props[i].name)
				return
			}
		}
	}
}

// array scans an array at s.i and checks it against n.
func (s *scanner) array(n *fastNode) bool {
	s.i++
	s.depth++
	if s.depth > maxDepth {
		return false
	}
	var item *fastNode
	if n != nil {
		item = n.items
	}
	count := 0
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
	} else {
		for {
			if !s.value(item) {
				return false
			}
			count++
			s.ws()
			if s.i >= len(s.b) {
				return false
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == ']' {
				s.i++
				break
			}
			return false
		}
	}
	s.depth--
	if n != nil {
		if n.minItems >= 0 && count < n.minItems {
			s.fail(n, "minItems: got %d items, want at least %d", count, n.minItems)
		}
		if n.maxItems >= 0 && count > n.maxItems {
			s.fail(n, "maxItems: got %d items, want at most %d", count, n.maxItems)
		}
	}
	return true
}

// envelope scans the top-level object at s.i against f.env, recording
// where each envelope property's value is in spans. When the event's type
// came before its data and has a compiled schema, data is checked in the
// same pass: inlined is then that type and dataBad its data's first
// violation.
func (s *scanner) envelope(f *fastValidator, spans *[64]span, inlined *string, dataBad **violation) bool {
	n := f.env
	s.i++
	s.depth++
	var seen uint64
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		s.required(n, seen)
		return true
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		kstart := s.i
		esc, high, ok := s.str()
		if !ok {
			return false
		}
		kend := s.i
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		idx := s.property(n, kstart, kend, esc, high)
		var child *fastNode
		if idx >= 0 {
			if seen&(1<<idx) != 0 {
				s.dup = true
			}
			seen |= 1 << idx
			child = n.props[idx].node
		}
		s.ws()
		from := s.i
		if idx == f.idxData && f.inlineData && seen&(1<<f.idxType) != 0 && s.i < len(s.b) && s.b[s.i] == '{' {
			var typ string
			if es := f.envelopeStrings(s.b[spans[f.idxType].from:spans[f.idxType].to]); es != nil {
				typ = es.typ
			} else {
				typ = s.decode(spans[f.idxType])
			}
			if dn := f.data[typ]; dn != nil {
				// The envelope asks only for an object, and it is one.
				envBad := s.bad
				s.bad = nil
				ok = s.value(dn)
				*dataBad, s.bad = s.bad, envBad
				*inlined = typ
			} else {
				ok = s.value(child)
			}
		} else {
			ok = s.value(child)
		}
		if !ok {
			return false
		}
		if idx >= 0 {
			spans[idx] = span{from, s.i}
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] == '}' {
			s.i++
			break
		}
		return false
	}
	s.depth--
	s.required(n, seen)
	return true
}

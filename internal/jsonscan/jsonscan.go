// Package jsonscan is the JSON lexing shared by the two hand-written
// scanners on the aggregator's hot path: the validator's fast path, which
// checks an event's bytes against its schemas (package event), and the
// decoder that turns them into a record (package aggregator/obs). Both
// accept exactly what encoding/json accepts, and their fuzz tests hold
// them to it.
//
// Each function takes the bytes and the index to start at, and returns
// the index just past what it scanned.
package jsonscan

// plain marks the bytes a string may hold without a second look: not a
// quote, a backslash, a control character or a byte of 0x80 and above.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Space returns the index of the first byte at or after i that is not
// JSON whitespace (len(b) if there is none).
func Space(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// String scans a string whose opening quote is b[i]. It reports whether
// the string has escapes (esc) and bytes of 0x80 and above (high: UTF-8,
// valid or not), and whether it is well formed (ok; end is meaningful
// only then).
func String(b []byte, i int) (end int, esc, high, ok bool) {
	i++
	for {
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, esc, high, false
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, high, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return i, esc, high, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !IsHex(b[i+2]) || !IsHex(b[i+3]) || !IsHex(b[i+4]) || !IsHex(b[i+5]) {
					return i, esc, high, false
				}
				i += 6
			default:
				return i, esc, high, false
			}
		case c < 0x20:
			return i, esc, high, false
		default: // 0x80 and above
			high = true
			i++
		}
	}
}

// Number scans a number starting at b[i], reporting whether it has a
// fraction (frac) or an exponent (exp), and whether it is well formed
// (ok). end is where the scan stopped, past the number when ok.
func Number(b []byte, i int) (end int, frac, exp, ok bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false, false, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false, false, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, false, false, false
		}
		i, frac = j, true
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, false, false, false
		}
		i, exp = j, true
	}
	return i, frac, exp, true
}

// digits returns the index of the first byte at or after i that is not a
// decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// IsHex reports whether c is a hexadecimal digit, in either case.
func IsHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

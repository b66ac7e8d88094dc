package jsonscan

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in        string
		end       int
		esc, high bool
		ok        bool
	}{
		{`"" tail`, 2, false, false, true},
		{`"abc",`, 5, false, false, true},
		{`"a\"b"`, 6, true, false, true},
		{`"\u00e9"`, 8, true, false, true},
		{`"é"`, 4, false, true, true},
		{`"\u00g9"`, 0, true, false, false},
		{`"\x"`, 0, true, false, false},
		{"\"a\tb\"", 0, false, false, false},
		{`"open`, 0, false, false, false},
		{`"\`, 0, true, false, false},
	} {
		end, esc, high, ok := String([]byte(tc.in), 0)
		if ok != tc.ok || esc != tc.esc || high != tc.high || (ok && end != tc.end) {
			t.Errorf("String(%q) = %d, %v, %v, %v; want %d, %v, %v, %v", tc.in, end, esc, high, ok, tc.end, tc.esc, tc.high, tc.ok)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		in        string
		end       int
		frac, exp bool
		ok        bool
	}{
		{`0`, 1, false, false, true},
		{`-12,`, 3, false, false, true},
		{`012`, 1, false, false, true}, // the 0 alone: the caller finds the 1 where it wants a comma
		{`1.25]`, 4, true, false, true},
		{`6e-3 `, 4, false, true, true},
		{`-1.5E+10`, 8, true, true, true},
		{`-`, 0, false, false, false},
		{`1.`, 0, false, false, false},
		{`1e`, 0, false, false, false},
		{`.5`, 0, false, false, false},
		{`+1`, 0, false, false, false},
	} {
		end, frac, exp, ok := Number([]byte(tc.in), 0)
		if ok != tc.ok || (ok && (end != tc.end || frac != tc.frac || exp != tc.exp)) {
			t.Errorf("Number(%q) = %d, %v, %v, %v; want %d, %v, %v, %v", tc.in, end, frac, exp, ok, tc.end, tc.frac, tc.exp, tc.ok)
		}
	}
}

func TestSpace(t *testing.T) {
	for in, want := range map[string]int{"": 0, "x": 0, " \t\r\nx": 4, "   ": 3, "\v": 0} {
		if got := Space([]byte(in), 0); got != want {
			t.Errorf("Space(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzString holds String to encoding/json: what it scans is a string
// encoding/json decodes, and when it finds none, no quote closes one.
func FuzzString(f *testing.F) {
	for _, s := range []string{`abc"`, `a\"b"`, `\u00e9"x`, `é"`, "\t\"", `\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lit := append([]byte{'"'}, body...)
		end, esc, high, ok := String(lit, 0)
		if !ok {
			for k := 1; k < len(lit); k++ {
				if lit[k] == '"' && json.Valid(lit[:k+1]) {
					t.Fatalf("String(%q) not ok, but %q is a string", lit, lit[:k+1])
				}
			}
			return
		}
		var s string
		if err := json.Unmarshal(lit[:end], &s); err != nil {
			t.Fatalf("String(%q) scanned %q: %v", lit, lit[:end], err)
		}
		inner := lit[1 : end-1]
		if esc != bytes.ContainsRune(inner, '\\') {
			t.Errorf("String(%q): esc %v", lit[:end], esc)
		}
		if high != bytes.ContainsFunc(inner, func(r rune) bool { return r >= 0x80 }) {
			t.Errorf("String(%q): high %v", lit[:end], high)
		}
	})
}

// FuzzNumber holds Number to encoding/json: what it scans is a number,
// and a number alone is always scanned whole.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-12", "1.25", "6e-3", "1.", "01", "-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end, frac, exp, ok := Number(b, 0)
		if !ok {
			if json.Valid(b) && len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') && !bytes.ContainsAny(b, " \t\r\n") {
				t.Fatalf("Number(%q) not ok, but it is a number", b)
			}
			return
		}
		if !json.Valid(b[:end]) {
			t.Fatalf("Number(%q) scanned %q, no number", b, b[:end])
		}
		if frac != bytes.ContainsRune(b[:end], '.') || exp != bytes.ContainsAny(b[:end], "eE") {
			t.Errorf("Number(%q): frac %v, exp %v", b[:end], frac, exp)
		}
		if json.Valid(b) && !bytes.ContainsAny(b, " \t\r\n") && end != len(b) {
			t.Errorf("Number(%q) stopped at %d of a number", b, end)
		}
	})
}

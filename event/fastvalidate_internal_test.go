package event

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestFastCompilerSubset(t *testing.T) {
	tests := []struct {
		name, schema string
		fast         bool
	}{
		{"the subset", `{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"x","title":"t","description":"d",
			"type":"object","additionalProperties":false,"required":["a"],"properties":{"a":{"type":["integer","null"],
			"minimum":0,"maximum":9,"exclusiveMinimum":-1,"exclusiveMaximum":10},"b":{"type":"string","minLength":1,
			"maxLength":3,"pattern":"^a","format":"date","enum":["a","ab"]},"c":{"type":"array","items":{"const":true},
			"minItems":1,"maxItems":2},"d":false}}`, true},
		{"boolean schema", `true`, true},
		{"unknown format: the reference ignores it", `{"type":"string","format":"colour"}`, true},
		{"another draft", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}`, false},
		{"$ref", `{"$defs":{"a":{"type":"string"}},"$ref":"#/$defs/a"}`, false},
		{"oneOf", `{"oneOf":[{"type":"string"},{"type":"integer"}]}`, false},
		{"multipleOf", `{"type":"integer","multipleOf":3}`, false},
		{"additionalProperties schema", `{"type":"object","additionalProperties":{"type":"string"}}`, false},
		{"numeric enum", `{"enum":[1,2]}`, false},
		{"object const", `{"const":{"a":1}}`, false},
		{"patternProperties", `{"patternProperties":{"^a":{"type":"string"}}}`, false},
		{"uniqueItems", `{"type":"array","uniqueItems":true}`, false},
		{"nested $schema", `{"properties":{"a":{"$schema":"https://json-schema.org/draft/2020-12/schema"}}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tt.schema)))
			if err != nil {
				t.Fatal(err)
			}
			c := &fastCompiler{formats: map[string]*fastFormat{}}
			_, err = c.compileRoot(doc)
			if (err == nil) != tt.fast {
				t.Errorf("compiled: %v (err %v), want %v", err == nil, err, tt.fast)
			}
		})
	}
}

func TestEnvelopeCompilesToTheFastPath(t *testing.T) {
	v, err := NewValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.fast == nil || !v.fast.inlineData {
		t.Fatalf("envelope not compiled for the fast path, or data not checked inline (%+v)", v.fast)
	}
}

// TestQuickFormatsNeverAcceptWhatTheReferenceRejects holds the quick
// format checks to their one rule, over canonical and mangled strings.
func TestQuickFormatsNeverAcceptWhatTheReferenceRejects(t *testing.T) {
	c := &fastCompiler{formats: map[string]*fastFormat{}}
	seeds := map[string][]string{
		"date-time": {"2026-11-29T10:42:07Z", "2028-02-29t23:59:59.5+14:00", "1999-12-31T00:00:00-23:59", "2026-11-29T10:42:07.123456789z"},
		"date":      {"2026-11-29", "2028-02-29", "1900-01-01", "2999-12-31"},
		"uuid":      {"4f0c6a2e-8b1d-4c3e-9f5a-2b7d1e0c9a11", "4F0C6A2E-8B1D-4C3E-9F5A-2B7D1E0C9A11"},
	}
	alphabet := []byte("0123456789-:+.TtZz ax/\xff")
	rng := rand.New(rand.NewPCG(3, 4))
	for name, base := range seeds {
		f, err := c.format(name)
		if err != nil {
			t.Fatal(err)
		}
		quickAccepted := 0
		for i := range 20000 {
			s := []byte(base[i%len(base)])
			for range rng.IntN(3) {
				switch pos := rng.IntN(len(s)); rng.IntN(3) {
				case 0:
					s[pos] = alphabet[rng.IntN(len(alphabet))]
				case 1:
					s = append(s[:pos], s[pos+1:]...)
				default:
					s = append(s[:pos], append([]byte{alphabet[rng.IntN(len(alphabet))]}, s[pos:]...)...)
				}
				if len(s) == 0 {
					s = []byte("0")
				}
			}
			if !f.quick(s) {
				continue
			}
			quickAccepted++
			if err := guardedValidate(f.ref, string(s)); err != nil {
				t.Fatalf("%s: quick check accepts %q, the reference rejects it: %v", name, s, err)
			}
		}
		if quickAccepted < 1000 {
			t.Errorf("%s: the quick check accepted only %d strings: the test tests little", name, quickAccepted)
		}
	}
}

func TestFloatExact(t *testing.T) {
	tests := []struct {
		lit  string
		want bool
	}{
		{"0", true}, {"-0.000", true}, {"48.8584", true}, {"123456789012345", true},
		{"1234567890123456", false}, {"0.000000000000001", true}, {"90.0000000000000000001", false},
		{"1e2", false}, {"1500000", true}, {fmt.Sprint(1 << 62), false},
	}
	for _, tt := range tests {
		if got := floatExact(tt.lit); got != tt.want {
			t.Errorf("floatExact(%s) = %v, want %v", tt.lit, got, tt.want)
		}
	}
}

// TestQuickPatterns holds the quick patterns to the regexp: every pattern
// of our schemas has a quick form, which matches their examples, and never
// matches what the regexp does not, on strings made of the patterns' own
// characters.
func TestQuickPatterns(t *testing.T) {
	patterns := []string{
		`^TRM-[0-9A-F]{8}$`, `^[0-9]{4}$`, `^[0-9a-f]{16}$`, `^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`,
		`^[a-z][a-z0-9]*$`, `^station:`, `^station:[a-z0-9-]+$`, `^tower:`,
		`^exhaust/[a-z][a-z0-9]*$`, `^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$`,
		`^urn:exhaust:schema:[a-z][a-z0-9]*\.[a-z][a-z0-9_]*:v[1-9][0-9]{0,8}$`,
	}
	examples := []string{
		"TRM-0A1B2C3D", "2026", "0123456789abcdef", "02:1a:ff:00:9c:3e", "cafe2", "station:chatelet",
		"station:gare-de-lyon", "tower:T042", "exhaust/phone", "phone.cell", "urn:exhaust:schema:phone.cell:v1",
	}
	for i, p := range patterns {
		re := regexp.MustCompile(p)
		q := compilePattern(re)
		if q == nil {
			t.Errorf("%s: no quick form", p)
			continue
		}
		if !q.match([]byte(examples[i])) {
			t.Errorf("%s: quick form does not match %q", p, examples[i])
		}
		alphabet := []byte("aAfFzZ09:-._/\xc3\xa9\n" + strings.Trim(p, "^$"))
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		for range 20000 {
			s := []byte(examples[i])
			for range rng.IntN(4) {
				j := rng.IntN(len(s) + 1)
				switch rng.IntN(3) {
				case 0: // insert
					s = append(s[:j], append([]byte{alphabet[rng.IntN(len(alphabet))]}, s[j:]...)...)
				case 1: // delete
					if j < len(s) {
						s = append(s[:j], s[j+1:]...)
					}
				default: // replace
					if j < len(s) {
						s[j] = alphabet[rng.IntN(len(alphabet))]
					}
				}
			}
			if q.match(s) && !re.Match(s) {
				t.Fatalf("%s: quick form matches %q, the regexp does not", p, s)
			}
		}
	}
	for _, p := range []string{`tower:`, `^a|b`, `^(?i)abc`, `^[^a]`, `^a*b`, `^.+`, `^é`} {
		if compilePattern(regexp.MustCompile(p)) != nil {
			t.Errorf("%s: compiled, want left to the regexp", p)
		}
	}
}

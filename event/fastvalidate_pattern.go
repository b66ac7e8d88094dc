package event

import (
	"regexp"
	"regexp/syntax"
)

// quickPattern matches a pattern of a simple form without the regexp
// engine, which is a sixth of the fast path's time otherwise: anchored
// at the start, a sequence of ASCII literals and runs of one ASCII
// character class ("^TRM-[0-9A-F]{8}$", "^[a-z][a-z0-9]*\\.[a-z_]*$",
// "^tower:"). It matches greedily, so it may miss a match the regexp
// would find by backtracking, but every match it finds is one: like a
// quick format, it only ever says yes to strings the regexp matches, and
// the regexp decides the rest.
type quickPattern struct {
	steps []patternStep
	end   bool // anchored at the end too
}

// patternStep is a literal, or a run of min to max (-1: any number)
// bytes of a class.
type patternStep struct {
	lit      string
	class    *[256]bool
	min, max int
}

// maxExpand bounds how many times a group repeated a fixed number of
// times is unrolled.
const maxExpand = 16

// compilePattern returns the quick form of re, or nil when re is not of
// the simple form.
func compilePattern(re *regexp.Regexp) *quickPattern {
	tree, err := syntax.Parse(re.String(), syntax.Perl) // regexp.Compile's flags
	if err != nil {
		return nil
	}
	var items []*syntax.Regexp
	flatten(tree, &items)
	if len(items) == 0 || items[0].Op != syntax.OpBeginText {
		return nil
	}
	q := &quickPattern{}
	for i, it := range items[1:] {
		if it.Op == syntax.OpEndText && i == len(items)-2 {
			q.end = true
			break
		}
		if !q.add(it) {
			return nil
		}
	}
	return q
}

// flatten appends re's concatenated parts to items, unwrapping groups and
// unrolling fixed repetitions of anything but a single class.
func flatten(re *syntax.Regexp, items *[]*syntax.Regexp) {
	switch {
	case re.Op == syntax.OpConcat:
		for _, sub := range re.Sub {
			flatten(sub, items)
		}
	case re.Op == syntax.OpCapture:
		flatten(re.Sub[0], items)
	case re.Op == syntax.OpRepeat && re.Min == re.Max && re.Max <= maxExpand && asciiClass(re.Sub[0]) == nil:
		for range re.Min {
			flatten(re.Sub[0], items)
		}
	default:
		*items = append(*items, re)
	}
}

// add appends the step of one part, reporting false for a part outside
// the simple form.
func (q *quickPattern) add(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return false
		}
		for _, r := range re.Rune {
			if r >= 0x80 {
				return false
			}
		}
		q.steps = append(q.steps, patternStep{lit: string(re.Rune)})
		return true
	case syntax.OpCharClass:
		return q.run(re, 1, 1)
	case syntax.OpStar:
		return q.run(re.Sub[0], 0, -1)
	case syntax.OpPlus:
		return q.run(re.Sub[0], 1, -1)
	case syntax.OpQuest:
		return q.run(re.Sub[0], 0, 1)
	case syntax.OpRepeat:
		return q.run(re.Sub[0], re.Min, re.Max)
	}
	return false
}

func (q *quickPattern) run(re *syntax.Regexp, min, max int) bool {
	class := asciiClass(re)
	if class == nil {
		return false
	}
	q.steps = append(q.steps, patternStep{class: class, min: min, max: max})
	return true
}

// asciiClass returns the bytes a character class of ASCII characters
// matches, or nil for anything else.
func asciiClass(re *syntax.Regexp) *[256]bool {
	if re.Op != syntax.OpCharClass {
		return nil
	}
	var t [256]bool
	for i := 0; i+1 < len(re.Rune); i += 2 {
		lo, hi := re.Rune[i], re.Rune[i+1]
		if hi >= 0x80 {
			return nil
		}
		for c := lo; c <= hi; c++ {
			t[c] = true
		}
	}
	return &t
}

// match reports whether it found a match of s.
func (q *quickPattern) match(s []byte) bool {
	i := 0
	for _, st := range q.steps {
		if st.class == nil {
			if len(s)-i < len(st.lit) || string(s[i:i+len(st.lit)]) != st.lit {
				return false
			}
			i += len(st.lit)
			continue
		}
		n := 0
		for i < len(s) && n != st.max && st.class[s[i]] {
			i++
			n++
		}
		if n < st.min {
			return false
		}
	}
	return !q.end || i == len(s)
}

package facts

import (
	"fmt"
	"slices"
	"strings"

	"exhaust/aggregator/obs"
	"exhaust/meaning"
)

// Facts of a producer's own (meaning.Attribute): the values a field takes,
// counted per identifier. The aggregator knows nothing of them but their
// name and the sentence that explains them, both declared in the
// producer's package.

// maxAttrValues bounds the distinct values kept per identifier and fact.
const maxAttrValues = 8

// attrStat is one declared fact's values for one identifier.
type attrStat struct {
	Fact, Say int32 // interned
	Values    []count
	Other     int32 // values past maxAttrValues
	Ev        sample
}

// attrPart is an identifier's declared facts.
type attrPart struct {
	Facts []attrStat
}

// AttributeValue is the value of a fact a producer declares
// (meaning.Attribute): the values its events gave, most frequent first.
type AttributeValue struct {
	Value  string  `json:"value"`
	Values []Count `json:"values"`
}

func (s *Store) observeAttribute(r *obs.Record, m meaning.Attribute) {
	parts := make([]string, 0, len(m.Fields))
	for _, f := range m.Fields {
		v := r.Get(f)
		switch v.Kind {
		case obs.String:
			parts = append(parts, v.S)
		case obs.Number:
			parts = append(parts, fmt.Sprint(v.N))
		case obs.Bool:
			parts = append(parts, fmt.Sprint(v.True()))
		}
	}
	val := strings.Join(parts, " ")
	if val == "" {
		return
	}
	fact, say, vi := s.intern(m.Fact), s.intern(m.Say), s.intern(val)
	for _, k := range keys(r, m.Of) {
		p := part(s.attrs, k)
		i := slices.IndexFunc(p.Facts, func(a attrStat) bool { return a.Fact == fact })
		if i < 0 {
			p.Facts = appendSmall(p.Facts, attrStat{Fact: fact, Say: say})
			i = len(p.Facts) - 1
		}
		a := &p.Facts[i]
		a.Ev.add(r, s.bit)
		if slices.ContainsFunc(a.Values, func(c count) bool { return c.S == vi }) || len(a.Values) < maxAttrValues {
			a.Values = addCount(a.Values, vi, 1)
		} else {
			a.Other++
		}
	}
}

// attributes derives the producers' own facts of the cluster, sorted by
// name.
func (v *view) attributes() []Fact {
	type gathered struct {
		say    int32
		counts []Count
		other  int
		e      evidence
	}
	by := map[int32]*gathered{}
	for _, a := range v.accs {
		if a.Attr == nil {
			continue
		}
		for i := range a.Attr.Facts {
			st := &a.Attr.Facts[i]
			g := by[st.Fact]
			if g == nil {
				g = &gathered{say: st.Say}
				by[st.Fact] = g
			}
			g.counts = append(g.counts, v.counts(st.Values)...)
			g.other += int(st.Other)
			g.e.add(&st.Ev)
		}
	}
	var out []Fact
	for fact, g := range by {
		cs := sortCounts(g.counts)
		if len(cs) == 0 {
			continue
		}
		top := cs[0]
		name := v.s.str(fact)
		why := fmt.Sprintf(v.s.str(g.say), top.Name)
		why += fmt.Sprintf(": %d of %d %s", top.Count, g.e.n, pluralWord(g.e.n, "event", "events"))
		conf := float64(top.Count) / float64(g.e.n)
		out = append(out, g.e.fact(name, AttributeValue{Value: top.Name, Values: cs},
			name+": "+countNames(cs, 3), why, conf))
	}
	slices.SortFunc(out, func(a, b Fact) int { return strings.Compare(a.Name, b.Name) })
	return out
}

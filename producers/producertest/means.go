package producertest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"exhaust/event"
	"exhaust/meaning"
	"exhaust/producers"
)

// Meanings: what a kind declares its events mean (KindSpec.Means) is what
// the aggregator derives its facts from, so a declaration that names a
// field the schema lacks, or one the events never fill, is a fact that
// silently never appears.

// MeanProblems lists what is wrong with kind k's declared meanings, read
// against its spec alone: each meaning about an identifier kind the kind
// carries, with its required roles (meaning.Check), and naming only fields
// its schema has.
func MeanProblems(k producers.KindSpec) []string {
	var out []string
	if err := meaning.Check(k.Means, k.IDKinds); err != nil {
		out = append(out, fmt.Sprintf("kind %q: %v", k.Name, err))
	}
	var schema map[string]any
	if json.Unmarshal(k.Schema, &schema) != nil {
		return out // reported by the schema checks
	}
	for _, m := range k.Means {
		for _, f := range m.Uses() {
			if !schemaHas(schema, f) {
				out = append(out, fmt.Sprintf("kind %q: meaning %s names field %q, which its schema does not have", k.Name, m.Kind(), f))
			}
		}
	}
	return out
}

// schemaHas reports whether the data schema declares field f, a top-level
// property or "list[].key", a property of list's items.
func schemaHas(schema map[string]any, f string) bool {
	props, _ := schema["properties"].(map[string]any)
	list, key, nested := strings.Cut(f, "[].")
	if !nested {
		_, ok := props[f]
		return ok
	}
	l, _ := props[list].(map[string]any)
	items, _ := l["items"].(map[string]any)
	ip, _ := items["properties"].(map[string]any)
	_, ok := ip[key]
	return ok
}

// meansProblems checks that each meaning a spec's kinds declare is present
// in the events of that kind: some event carries the identifier kind the
// meaning is about, each field it names is filled in some event, and the
// meanings that need a place (presence, position, a serving emitter)
// have one.
func meansProblems(s producers.Spec, evs []event.Event) []string {
	byKind := map[string][]map[string]any{}
	whereOf := map[string][]*event.Where{}
	idKinds := map[string]map[event.IDKind]bool{}
	for i := range evs {
		e := &evs[i]
		kind := strings.TrimPrefix(e.Type, s.Name+".")
		b, err := json.Marshal(e.Data)
		if err != nil {
			continue // reported by "valid"
		}
		var data map[string]any
		if json.Unmarshal(b, &data) != nil {
			continue
		}
		byKind[kind] = append(byKind[kind], data)
		var c event.Common
		_ = json.Unmarshal(b, &c)
		whereOf[kind] = append(whereOf[kind], c.Where)
		if idKinds[kind] == nil {
			idKinds[kind] = map[event.IDKind]bool{}
		}
		for _, id := range c.IDs {
			idKinds[kind][id.Kind] = true
		}
	}
	var out []string
	for _, k := range s.Kinds {
		datas := byKind[k.Name]
		if len(datas) == 0 {
			continue // reported by emits_every_kind
		}
		for _, m := range k.Means {
			if !idKinds[k.Name][m.About()] {
				out = append(out, fmt.Sprintf("kind %q: meaning %s is about %q, but no event carries one", k.Name, m.Kind(), m.About()))
			}
			for _, f := range m.Uses() {
				if !slices.ContainsFunc(datas, func(d map[string]any) bool { return filled(d, f) }) {
					out = append(out, fmt.Sprintf("kind %q: meaning %s names field %q, but no event fills it", k.Name, m.Kind(), f))
				}
			}
			if needsWhere(m) && !slices.ContainsFunc(whereOf[k.Name], func(w *event.Where) bool { return located(w, m) }) {
				out = append(out, fmt.Sprintf("kind %q: meaning %s needs where, but no event has one it can use", k.Name, m.Kind()))
			}
		}
	}
	return out
}

// filled reports whether data has field f with a value other than null,
// "" or an empty list (for "list[].key", in some element of list).
func filled(data map[string]any, f string) bool {
	list, key, nested := strings.Cut(f, "[].")
	if !nested {
		return present(data[f])
	}
	elems, _ := data[list].([]any)
	for _, e := range elems {
		if o, ok := e.(map[string]any); ok && present(o[key]) {
			return true
		}
	}
	return false
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	}
	return true
}

func needsWhere(m meaning.Meaning) bool {
	switch m.(type) {
	case meaning.Presence, meaning.Position, meaning.Served:
		return true
	}
	return false
}

// located reports whether w is a place m can use.
func located(w *event.Where, m meaning.Meaning) bool {
	if w == nil {
		return false
	}
	switch m := m.(type) {
	case meaning.Served:
		return strings.HasPrefix(w.Place, m.Prefix)
	case meaning.Presence:
		return w.Place != ""
	}
	return w.Lat != 0 || w.Lon != 0
}

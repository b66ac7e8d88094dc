package producers

import (
	"exhaust/event"
	"exhaust/meaning"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

var (
	mu       sync.RWMutex
	registry = map[string]Producer{}
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// Register adds a producer to the registry and the identifier kinds it
// declares (Spec.NewIDKinds) to the vocabulary (event.Declare). Producer
// packages call it from init(); it panics on an invalid or duplicate name
// or an invalid identifier kind (see event.Declare), which is a
// programming error caught by any test run.
func Register(p Producer) {
	spec := p.Spec()
	if !nameRE.MatchString(spec.Name) {
		panic(fmt.Sprintf("producers: invalid producer name %q (want one lower-case NATS token)", spec.Name))
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[spec.Name]; dup {
		panic(fmt.Sprintf("producers: producer %q registered twice", spec.Name))
	}
	for _, k := range spec.NewIDKinds {
		event.Declare(event.KindInfo(k))
	}
	for _, k := range spec.Kinds {
		if err := meaning.Check(k.Means, k.IDKinds); err != nil {
			panic(fmt.Sprintf("producers: %s.%s: %v", spec.Name, k.Name, err))
		}
		meaning.Declare(event.Type(spec.Name, k.Name), k.Means)
	}
	registry[spec.Name] = p
}

// All returns every registered producer, sorted by name.
func All() []Producer {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Producer, 0, len(registry))
	for _, p := range registry {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Spec().Name < out[j].Spec().Name })
	return out
}

// Names returns the registered producer names, sorted.
func Names() []string {
	var names []string
	for _, p := range All() {
		names = append(names, p.Spec().Name)
	}
	return names
}

// Select returns the named producers (all of them when names is empty), in
// registry order. An unknown name is an error that lists the known ones.
func Select(names []string) ([]Producer, error) {
	all := All()
	if len(names) == 0 {
		return all, nil
	}
	var out []Producer
	for _, p := range all {
		if slices.Contains(names, p.Spec().Name) {
			out = append(out, p)
		}
	}
	for _, n := range names {
		mu.RLock()
		_, ok := registry[n]
		mu.RUnlock()
		if !ok {
			return nil, fmt.Errorf("unknown producer %q: choose from %s", n, strings.Join(Names(), ", "))
		}
	}
	return out, nil
}

// Schemas returns the data schemas of producers' kinds by event type
// ("<producer>.<kind>"), the argument event.NewValidator takes.
func Schemas(ps ...Producer) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range ps {
		s := p.Spec()
		for _, k := range s.Kinds {
			out[event.Type(s.Name, k.Name)] = k.Schema
		}
	}
	return out
}

// NewValidator returns a validator for every event type of ps.
func NewValidator(ps ...Producer) (*event.Validator, error) {
	return event.NewValidator(Schemas(ps...))
}

package world

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"exhaust/event"
)

// Extensions let a sensor's package give people what the world lacks (a
// car and its plate, a smart meter) without changing the world: see
// Extend and ExtendDay. Each extension draws from its own generators,
// keyed by its name, so registering one changes nothing else: the other
// people data, every plan, the hero's day stay byte for byte what they
// were.

// Extension describes what a sensor's package adds to every person: a
// value of type T, drawn once per person when the world is built.
type Extension[T any] struct {
	// Name is one lower-case word, unique among extensions ("car"). It
	// keys the extension's generators.
	Name string
	// Person draws p's value (the zero T when p has none). p is complete
	// (identity, devices, home, work, habits, privacy settings, contacts)
	// but not yet adjusted (Config.Adjust runs after every extension).
	// Everything random must come from d.Rand; p must not be changed.
	Person func(p *Person, d *Draw) T
	// Identifiers, if set, lists the identifiers a value gives its owner
	// (a plate): they join the person's ground truth (Person.Identifiers,
	// Day.Truth), so checks and scoring know whose they are. Their kinds
	// must be in the vocabulary (producers.Spec.NewIDKinds) and their
	// values must never collide between two people (see Draw.Unique).
	Identifiers func(v T) []event.ID
}

// DayExtension describes what a sensor's package adds to every person's
// day: a value of type T drawn with each plan of someone in the city that
// day (a drive to a car park, a meter reading). It reads the plan and
// never changes it.
type DayExtension[T any] struct {
	// Name is one lower-case word, unique among extensions of both sorts.
	Name string
	// Plan draws the value of pl (the zero T when there is none). pl is
	// complete; it and its person must not be changed. Everything random
	// must come from d.Rand, a generator of this extension, person and
	// day.
	Plan func(pl *Plan, d *Draw) T
}

// Draw is what an extension draws a value from.
type Draw struct {
	// Rand is the extension's own generator for this person (and day):
	// keyed by the world's seed, the extension's name, the person's id
	// (and the day), so it is the same in every world of that seed, in a
	// whole day and in its parts.
	Rand  *rand.Rand
	seed  int64
	name  string
	index int
}

// Unique returns a number in [0, n) that no other person gets for this
// extension and purpose in a world of the same seed, scrambled by the seed
// so that it looks random: the basis of an identifier that must never
// collide (a plate, a meter number), as the world's own are (docs/world.md,
// Determinism). It depends on the person only, not on the day. n must be
// at least MaxPersons.
func (d *Draw) Unique(purpose string, n uint64) uint64 {
	if n < MaxPersons {
		panic(fmt.Sprintf("world: extension %q: Unique(%q, %d): n must be at least MaxPersons (%d)", d.name, purpose, n, MaxPersons))
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(d.seed))
	h := hashBytes(string(b[:]), "extension", d.name, "unique", purpose)
	key := binary.BigEndian.Uint64(h[:8])
	width := uint(max(2, bits.Len64(n-1)))
	// Cycle walking: permuteBits is a bijection of [0, 2^width); applied
	// until the result falls in [0, n), it is a bijection of [0, n).
	x := uint64(d.index)
	for {
		if x = permuteBits(x, key, width); x < n {
			return x
		}
	}
}

// ext is a registered extension, with its type erased.
type ext struct {
	name   string
	person func(p *Person, d *Draw) any // nil for a day extension
	ids    func(v any) []event.ID       // nil when values give no identifier
	plan   func(pl *Plan, d *Draw) any  // nil for a person extension
}

// extValue is an extension's value for a person or a plan.
type extValue struct {
	ext *ext
	v   any
}

var (
	extMu sync.Mutex
	// exts is every registered extension in registration order. register
	// replaces it whole, so a World keeps the list it was built with.
	exts []*ext
)

var extNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// register adds e, or panics on a bad or taken name.
func register(e *ext) {
	if !extNameRE.MatchString(e.name) {
		panic(fmt.Sprintf("world: invalid extension name %q (want one lower-case word)", e.name))
	}
	extMu.Lock()
	defer extMu.Unlock()
	if slices.ContainsFunc(exts, func(x *ext) bool { return x.name == e.name }) {
		panic(fmt.Sprintf("world: extension %q registered twice", e.name))
	}
	exts = append(slices.Clip(exts), e)
}

// registered returns the extensions registered so far.
func registered() []*ext {
	extMu.Lock()
	defer extMu.Unlock()
	return exts
}

// Ext reads the values of a person extension (see Extend).
type Ext[T any] struct{ e *ext }

// Extend registers a person extension and returns its accessor. A
// sensor's package calls it from init(), next to producers.Register; a
// world built afterwards draws the extension's value for every person.
// Extend panics on an invalid or taken name or a missing Person func: a
// programming error that any test run catches.
func Extend[T any](e Extension[T]) *Ext[T] {
	if e.Person == nil {
		panic(fmt.Sprintf("world: extension %q has no Person func", e.Name))
	}
	x := &ext{name: e.Name, person: func(p *Person, d *Draw) any { return e.Person(p, d) }}
	if e.Identifiers != nil {
		x.ids = func(v any) []event.ID {
			t, _ := v.(T) // a nil interface value: the zero T
			return e.Identifiers(t)
		}
	}
	register(x)
	return &Ext[T]{x}
}

// Of returns p's value, or the zero T when p has none (or p was built
// before the extension was registered).
func (x *Ext[T]) Of(p *Person) T {
	return valueOf[T](p.ext, x.e)
}

// DayExt reads the values of a day extension (see ExtendDay).
type DayExt[T any] struct{ e *ext }

// ExtendDay registers a day extension and returns its accessor. A sensor's
// package calls it from init(); the days of a world built afterwards carry
// its value in every plan of someone in the city. ExtendDay panics on an
// invalid or taken name or a missing Plan func.
func ExtendDay[T any](e DayExtension[T]) *DayExt[T] {
	if e.Plan == nil {
		panic(fmt.Sprintf("world: day extension %q has no Plan func", e.Name))
	}
	x := &ext{name: e.Name, plan: func(pl *Plan, d *Draw) any { return e.Plan(pl, d) }}
	register(x)
	return &DayExt[T]{x}
}

// Of returns pl's value, or the zero T when there is none.
func (x *DayExt[T]) Of(pl *Plan) T {
	return valueOf[T](pl.ext, x.e)
}

func valueOf[T any](vs []extValue, e *ext) T {
	for _, v := range vs {
		if v.ext == e {
			t, _ := v.v.(T)
			return t
		}
	}
	var zero T
	return zero
}

// extendPerson draws the person extensions' values for p, at population
// index.
func (w *World) extendPerson(p *Person, index int) {
	for _, e := range w.exts {
		if e.person == nil {
			continue
		}
		d := &Draw{Rand: seeded(w.cfg.Seed, "extension", e.name, p.ID), seed: w.cfg.Seed, name: e.name, index: index}
		p.ext = append(p.ext, extValue{e, e.person(p, d)})
	}
}

// extendPlan draws the day extensions' values for pl.
func (w *World) extendPlan(pl *Plan) {
	for _, e := range w.exts {
		if e.plan == nil {
			continue
		}
		r := seeded(w.cfg.Seed, "extension", e.name, pl.Person.ID, strconv.Itoa(pl.Day))
		d := &Draw{Rand: r, seed: w.cfg.Seed, name: e.name, index: personIndex(pl.Person.ID)}
		pl.ext = append(pl.ext, extValue{e, e.plan(pl, d)})
	}
}

// extIdentifiers returns the identifiers p's extension values give them.
func (p *Person) extIdentifiers() []event.ID {
	var out []event.ID
	for _, v := range p.ext {
		if v.ext.ids == nil {
			continue
		}
		for _, id := range v.ext.ids(v.v) {
			if id.Value != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

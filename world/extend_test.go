package world

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"exhaust/event"
)

// withExtensions lets a test register extensions: those it registers are
// forgotten when it ends, so other tests see the world without them.
func withExtensions(t *testing.T) {
	t.Helper()
	extMu.Lock()
	saved := exts
	extMu.Unlock()
	t.Cleanup(func() {
		extMu.Lock()
		exts = saved
		extMu.Unlock()
	})
}

// plateKind is the identifier kind of the test's car extension. The world
// does not check kinds against the vocabulary; producers.Register declares
// them.
const plateKind event.IDKind = "plate"

// car is what the test's extension gives a car owner.
type car struct {
	Plate string
	Model string
}

// parking is what the test's day extension adds to a car owner's day: the
// first stay at a shop, mall or office they drove to.
type parking struct {
	Place    *Place
	From, To time.Time
}

// plateNumbers is how many plates there are: "AB-123-CD", 26⁴ × 1,000.
const plateNumbers = 26 * 26 * 26 * 26 * 1000

// plate formats a plate number.
func plate(n uint64) string {
	l := func(i uint64) byte { return byte('A' + i%26) }
	digits, letters := n%1000, n/1000
	return fmt.Sprintf("%c%c-%03d-%c%c", l(letters), l(letters/26), digits, l(letters/676), l(letters/17576))
}

// extendCars registers the test's car and parking extensions.
func extendCars(t *testing.T) (*Ext[*car], *DayExt[*parking]) {
	t.Helper()
	withExtensions(t)
	cars := Extend(Extension[*car]{
		Name: "car",
		Person: func(p *Person, d *Draw) *car {
			if d.Rand.Float64() >= 0.35 { // about a third of Paris households own a car
				return nil
			}
			models := []string{"Renault Clio", "Peugeot 208", "Citroën C3", "Dacia Sandero"}
			return &car{Plate: plate(d.Unique("plate", plateNumbers)), Model: models[d.Rand.IntN(len(models))]}
		},
		Identifiers: func(c *car) []event.ID {
			if c == nil {
				return nil
			}
			return []event.ID{{Kind: plateKind, Value: c.Plate}}
		},
	})
	parked := ExtendDay(DayExtension[*parking]{
		Name: "parking",
		Plan: func(pl *Plan, d *Draw) *parking {
			if cars.Of(pl.Person) == nil || d.Rand.Float64() >= 0.5 {
				return nil
			}
			for _, s := range pl.Segments {
				if s.Place != nil && (s.Place.Kind == KindShop || s.Place.Kind == KindMall || s.Place.Kind == KindOffice) {
					return &parking{Place: s.Place, From: s.Start, To: s.End}
				}
			}
			return nil
		},
	})
	return cars, parked
}

// strip removes the extensions' values from a day's people and plans, so
// it can be compared with a day of a world without extensions.
func strip(d *Day) {
	for _, pl := range d.Plans {
		pl.ext = nil
		pl.Person.ext = nil
	}
}

func TestExtensionValues(t *testing.T) {
	cars, parked := extendCars(t)
	w := newWorld(t, 40, nil)
	owners, parks := 0, 0
	for _, p := range w.People {
		if c := cars.Of(p); c != nil {
			owners++
			if !strings.Contains(c.Plate, "-") || c.Model == "" {
				t.Errorf("%s's car %+v", p.ID, c)
			}
		}
	}
	for _, pl := range w.Day(2).Plans { // a Monday: offices
		if pk := parked.Of(pl); pk != nil {
			parks++
			if cars.Of(pl.Person) == nil || pk.Place == nil || !pk.To.After(pk.From) {
				t.Errorf("%s parked %+v", pl.Person.ID, pk)
			}
		}
	}
	if owners < 5 || owners > 25 || parks == 0 {
		t.Errorf("%d car owners of 40, %d parked on day 2", owners, parks)
	}
	// A world built before the extensions has no values, and says so.
	withExtensions(t)
	extMu.Lock()
	exts = nil
	extMu.Unlock()
	if c := cars.Of(newWorld(t, 3, nil).People[0]); c != nil {
		t.Errorf("a world without the extension gives the hero %+v", c)
	}
}

func TestExtensionDeterministic(t *testing.T) {
	cars, parked := extendCars(t)
	a, b := newWorld(t, 30, nil), newWorld(t, 30, nil)
	if !reflect.DeepEqual(a.Day(1), b.Day(1)) {
		t.Error("two worlds of the same config differ with extensions")
	}
	// A larger population agrees on the people it shares, cars and days.
	big := newWorld(t, 60, nil)
	dayA, dayBig := a.Day(2), big.Day(2)
	for i, p := range a.People {
		if !reflect.DeepEqual(cars.Of(p), cars.Of(big.People[i])) {
			t.Errorf("%s: car %+v in a world of 30, %+v in one of 60", p.ID, cars.Of(p), cars.Of(big.People[i]))
		}
		if !reflect.DeepEqual(parked.Of(dayA.Plans[i]), parked.Of(dayBig.Plans[i])) {
			t.Errorf("%s: parking differs between a world of 30 and one of 60", p.ID)
		}
	}
	// Another seed, other plates.
	cfg := DefaultConfig()
	cfg.Persons, cfg.Seed = 30, 2
	other, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	plates := map[string]bool{}
	for _, p := range a.People {
		if c := cars.Of(p); c != nil {
			plates[c.Plate] = true
		}
	}
	for _, p := range other.People {
		if c := cars.Of(p); c != nil && plates[c.Plate] {
			t.Errorf("plate %s with seeds 1 and 2: plates must derive from the seed", c.Plate)
		}
	}
}

// Registering extensions changes nothing else: people, plans and the
// ground truth (but for the extensions' identifiers) are what they were.
func TestExtensionIsolation(t *testing.T) {
	before := newWorld(t, 30, nil)
	cars, _ := extendCars(t)
	after := newWorld(t, 30, nil)
	for _, i := range []int{1, 2} {
		d0, d1 := before.Day(i), after.Day(i)
		truth := d1.Truth()
		for _, pl := range d1.Plans {
			if c := cars.Of(pl.Person); c != nil {
				ids := slices.DeleteFunc(slices.Clone(truth[pl.Person.ID]), func(id event.ID) bool { return id.Kind == plateKind })
				truth[pl.Person.ID] = ids
			}
		}
		if !reflect.DeepEqual(d0.Truth(), truth) {
			t.Errorf("day %d: the ground truth changed beyond the plates", i)
		}
		strip(d1)
		if !reflect.DeepEqual(d0, d1) {
			t.Errorf("day %d changed when extensions were registered", i)
		}
	}
}

// A day made in parts carries the same values as the whole day.
func TestExtensionPartsEqualWhole(t *testing.T) {
	_, parked := extendCars(t)
	w := newWorld(t, 40, nil)
	whole := w.Day(2)
	var parts []*Plan
	for from := 0; from < 40; from += 16 {
		parts = append(parts, w.Part(2, from, min(from+16, 40)).Plans...)
	}
	for i, pl := range whole.Plans {
		if !reflect.DeepEqual(parked.Of(pl), parked.Of(parts[i])) || !reflect.DeepEqual(pl.ext, parts[i].ext) {
			t.Errorf("%s: the parts' value differs from the whole day's", pl.Person.ID)
		}
	}
}

func TestExtensionIdentifiersInTruth(t *testing.T) {
	cars, _ := extendCars(t)
	w := newWorld(t, 40, nil)
	day := w.Day(1)
	truth := day.Truth()
	owner := map[string]string{}
	for _, p := range w.People {
		c := cars.Of(p)
		has := slices.Contains(p.Identifiers(w.City), event.ID{Kind: plateKind, Value: ""})
		if has {
			t.Errorf("%s has an empty plate in the truth", p.ID)
		}
		if c == nil {
			continue
		}
		id := event.ID{Kind: plateKind, Value: c.Plate}
		if !slices.Contains(p.Identifiers(w.City), id) || !slices.Contains(truth[p.ID], id) {
			t.Errorf("%s's plate %s is not in their ground truth", p.ID, c.Plate)
		}
		if o, dup := owner[c.Plate]; dup {
			t.Errorf("plate %s belongs to %s and %s", c.Plate, o, p.ID)
		}
		owner[c.Plate] = p.ID
	}
}

// Unique never gives two people the same number, whatever the population.
func TestDrawUnique(t *testing.T) {
	n := uint64(plateNumbers)
	seen := make(map[uint64]int, 200_000)
	for i := range 200_000 {
		d := &Draw{seed: 1, name: "car", index: i}
		u := d.Unique("plate", n)
		if u >= n {
			t.Fatalf("person %d: %d out of [0, %d)", i, u, n)
		}
		if j, dup := seen[u]; dup {
			t.Fatalf("persons %d and %d both get %d", j, i, u)
		}
		seen[u] = i
	}
	d := &Draw{seed: 1, name: "car", index: 7}
	if d.Unique("plate", n) == d.Unique("meter", n) {
		t.Error("two purposes give the same number")
	}
	defer func() {
		if recover() == nil {
			t.Error("Unique with n below MaxPersons did not panic")
		}
	}()
	d.Unique("plate", 1000)
}

func TestExtendPanics(t *testing.T) {
	withExtensions(t)
	none := func(*Person, *Draw) int { return 0 }
	Extend(Extension[int]{Name: "meter", Person: none})
	tests := []struct {
		name string
		f    func()
		want string
	}{
		{"bad name", func() { Extend(Extension[int]{Name: "Smart meter", Person: none}) }, "invalid"},
		{"taken name", func() { Extend(Extension[int]{Name: "meter", Person: none}) }, "twice"},
		{"taken by a day extension", func() {
			ExtendDay(DayExtension[int]{Name: "meter", Plan: func(*Plan, *Draw) int { return 0 }})
		}, "twice"},
		{"no Person func", func() { Extend(Extension[int]{Name: "car"}) }, "no Person"},
		{"no Plan func", func() { ExtendDay(DayExtension[int]{Name: "parking"}) }, "no Plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if s, _ := recover().(string); !strings.Contains(s, tt.want) {
					t.Errorf("panic %q, want one containing %q", s, tt.want)
				}
			}()
			tt.f()
		})
	}
}

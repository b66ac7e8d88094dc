package producertest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"exhaust/event"
	"exhaust/producers"
	"exhaust/world"
)

// A seventh sensor, end to end: parking cameras read the number plates of
// cars, which the world does not have. The test's package gives people
// cars through a world extension, declares the plate identifier kind in
// its spec, and the contract suite checks it like any producer.

// car is what the extension gives a car owner.
type car struct{ Plate string }

// plateKind is the identifier kind the parking producer declares.
var plateKind = producers.IDKindSpec{
	Kind:      "plate",
	Summary:   "Car number plate: cameras at car parks and tolls read it.",
	Exclusive: true,
}

// cars is the test's world extension: a third of people own a car.
var cars = world.Extend(world.Extension[*car]{
	Name: "car",
	Person: func(p *world.Person, d *world.Draw) *car {
		if d.Rand.Float64() >= 0.35 {
			return nil
		}
		n := d.Unique("plate", 26*26*26*26*1000)
		l := func(i uint64) byte { return byte('A' + i%26) }
		letters := n / 1000
		return &car{Plate: fmt.Sprintf("%c%c-%03d-%c%c", l(letters), l(letters/26), n%1000, l(letters/676), l(letters/17576))}
	},
	Identifiers: func(c *car) []event.ID {
		if c == nil {
			return nil
		}
		return []event.ID{{Kind: event.IDKind(plateKind.Kind), Value: c.Plate}}
	},
})

func init() { producers.Register(parking{}) }

const parkingSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "urn:exhaust:schema:parking.%s:v1",
  "type": "object",
  "additionalProperties": false,
  "required": ["ids"],
  "properties": {
    "ids": {"description": "The plate read.", "type": "array", "items": {
      "type": "object", "additionalProperties": false, "required": ["kind", "value"],
      "properties": {
        "kind": {"description": "Kind.", "enum": ["plate"]},
        "value": {"description": "Value.", "type": "string"}}}},
    "where": {"description": "The car park.", "type": "object", "additionalProperties": false,
      "properties": {
        "place": {"description": "Place id.", "type": "string"},
        "lat": {"description": "Latitude.", "type": "number"},
        "lon": {"description": "Longitude.", "type": "number"}}},
    "note": {"description": "The camera operator's note.", "type": "string"}
  }
}`

// parking is the test's sensor: a camera at the car park of offices,
// shops and malls reads the plate of a car owner who stays there, when
// they drove (half the time). Its rare kind, tow, happens only to people
// past the eighth of the population, so a small world never sees it.
// leak, when set, writes the plate into the note too.
type parking struct{ leak bool }

var _ producers.Producer = parking{}

func (parking) Spec() producers.Spec {
	kind := func(name, summary string) producers.KindSpec {
		return producers.KindSpec{
			Name: name, Summary: summary, Reveals: "Where a car owner goes, and when.",
			IDKinds: []event.IDKind{plateKind.Kind}, Schema: []byte(fmt.Sprintf(parkingSchema, name)),
		}
	}
	return producers.Spec{
		Name:       "parking",
		Summary:    "Cameras at car parks that read number plates.",
		Kinds:      []producers.KindSpec{kind("entry", "A car entered a car park."), kind("tow", "A car was towed away.")},
		NewIDKinds: []producers.IDKindSpec{plateKind},
	}
}

type parkingData struct {
	event.Common
	Note string `json:"note,omitempty"`
}

func (pk parking) Observe(day *world.Day, rng *rand.Rand, emit producers.Emitter) error {
	for _, pl := range day.Present() {
		c := cars.Of(pl.Person)
		if c == nil {
			continue
		}
		for _, s := range pl.Segments {
			if s.Place == nil || !slices.Contains([]world.PlaceKind{world.KindOffice, world.KindShop, world.KindMall}, s.Place.Kind) ||
				rng.Float64() >= 0.5 {
				continue
			}
			d := parkingData{Common: event.Common{
				IDs:   []event.ID{{Kind: plateKind.Kind, Value: c.Plate}},
				Where: &event.Where{Place: s.Place.ID, Lat: s.Place.Point.Lat, Lon: s.Place.Point.Lon},
			}}
			if pk.leak {
				d.Note = "plate " + c.Plate + " seen"
			}
			emit.Emit("entry", s.Start, d)
			if personIndex(pl.Person.ID) >= 8 {
				emit.Emit("tow", s.End, parkingData{Common: event.Common{IDs: d.IDs}})
			}
			break
		}
	}
	return nil
}

// smallPopulations makes the suite try small worlds, for speed.
func smallPopulations(t *testing.T, sizes ...int) {
	saved := Populations
	Populations = sizes
	t.Cleanup(func() { Populations = saved })
}

// The parking producer passes the whole contract: its plates are in the
// ground truth through the world extension, its declared kind in the
// vocabulary, and its rare kind is found in a larger world.
func TestContractNewSensor(t *testing.T) {
	smallPopulations(t, 8, 40)
	if !plateKind.Kind.Valid() || !event.Exclusive(plateKind.Kind) {
		t.Fatal("producers.Register did not declare the plate kind")
	}
	persons, _, missing := population(t, parking{})
	if persons != 40 || len(missing) != 0 {
		t.Errorf("population: %d people, kinds missing %v; want every kind at 40 people", persons, missing)
	}
	Run(t, parking{})
}

// A kind no world emits is reported once the largest world misses it.
func TestPopulationMissingKind(t *testing.T) {
	smallPopulations(t, 8, 16)
	p := fakeProducer{goodSpec()} // emits nothing
	persons, _, missing := population(t, p)
	if persons != 16 || !slices.Equal(missing, []string{"ping"}) {
		t.Errorf("population = %d people, missing %v; want 16 and [ping]", persons, missing)
	}
}

// A plate written into a free-text field is caught by the identifier check
// over a generated day.
func TestHiddenPlateCaught(t *testing.T) {
	day := Day(t, 2)
	for _, tt := range []struct {
		name string
		p    parking
		want bool
	}{{"declared only", parking{}, false}, {"leaked into the note", parking{leak: true}, true}} {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := producers.Collect(tt.p, Seed, day)
			if err != nil {
				t.Fatal(err)
			}
			tr := newTruth(day)
			var problems []string
			for i := range evs {
				problems = append(problems, tr.problems(tt.p.Spec(), &evs[i])...)
			}
			caught := slices.ContainsFunc(problems, func(s string) bool { return strings.Contains(s, `note hides plate`) })
			if len(evs) == 0 || caught != tt.want || (!tt.want && len(problems) > 0) {
				t.Errorf("%d events, problems %q; want a hidden plate reported: %v", len(evs), problems, tt.want)
			}
		})
	}
}

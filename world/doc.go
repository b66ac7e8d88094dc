// Package world simulates the city, its people and their days: a
// Paris-flavoured city (metro lines, homes, offices, a mall with shops, cell
// towers, Wi-Fi access points), a population whose first member is the
// seed's narrator ("hero"), and each person's day as a plan of segments,
// trips, app sessions, messages, searches, purchases and workouts.
//
// Everything is deterministic: a World is a pure function of its Config
// (and of the extensions registered when it is built), and each person's
// day is drawn from a generator keyed by (seed, person, day), so
// populations of different sizes agree on the people they share.
// Producers observe plans; the package knows nothing of NATS or Prometheus.
//
// A sensor that needs what the world lacks (a car and its plate, a smart
// meter) gives it to people through an extension declared in its own
// package: Extend draws a value for every person, ExtendDay one for every
// person's day, each from a generator of its own keyed by the extension's
// name, so that registering one changes nothing else. The identifiers an
// extension gives a person join their ground truth (Person.Identifiers).
// See docs/world.md, Extensions.
package world

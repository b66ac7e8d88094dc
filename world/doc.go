// Package world simulates the city, its people and their days: a
// Paris-flavoured city (metro lines, homes, offices, a mall with shops, cell
// towers, Wi-Fi access points), a population whose first member is the
// seed's narrator ("hero"), and each person's day as a plan of segments,
// trips, app sessions, messages, searches, purchases and workouts.
//
// Everything is deterministic: a World is a pure function of its Config,
// and each person's day is drawn from a generator keyed by (seed, person,
// day), so populations of different sizes agree on the people they share.
// Producers observe plans; the package knows nothing of NATS or Prometheus.
package world

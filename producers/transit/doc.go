// Package transit is the metro operator as a sensor: gate taps of transit
// passes and tickets, and ticket-machine sales. It registers itself in the
// producers registry; see README.md.
package transit

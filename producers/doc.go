// Package producers holds the registry of simulated sensors and what they
// share: the Producer interface, its Spec (data, not code), and Collect, which
// runs a producer over a simulated day with seeded ids. Each sensor lives in a
// sub-package that registers itself in init(); producers/all imports them all.
//
// A day's stream, every producer merged by time, is made two ways with the
// same events, ids and bytes: CollectDay holds it in memory (a small city,
// exhaust eval), StreamDay makes it a part of the city at a time and
// spills sorted runs to temporary files past a memory bound, to be read
// back by a merge (the runner, package sim, for cities of any size).
package producers

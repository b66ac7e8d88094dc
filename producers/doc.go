// Package producers holds the registry of simulated sensors and what they
// share: the Producer interface, its Spec (data, not code), and Collect, which
// runs a producer over a simulated day with seeded ids. Each sensor lives in a
// sub-package that registers itself in init(); producers/all imports them all.
package producers

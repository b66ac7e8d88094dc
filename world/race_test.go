//go:build race

package world

// The race detector makes the 100,000-person identity tests take minutes
// on two cores; they have no concurrency to check, so under -race they run
// on a tenth of the population (the full size runs without -race).
func init() { scalePersons = scalePersons / 10 }

//go:build !race

package dashboards_test

// raceDetector tells whether the test binary runs under the race
// detector, which makes the aggregator's scrapes several times slower.
const raceDetector = false

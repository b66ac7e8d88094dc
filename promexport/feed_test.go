package promexport_test

import (
	"testing"

	"exhaust/aggregator"
	"exhaust/aggregator/aggtest"
)

const (
	testPersons = 8
	testDays    = 2
	testSeed    = 1
)

// stream is the generated stream the tests share (see aggtest).
type stream = aggtest.Stream

// fed returns an Engine with the whole generated stream applied and the
// truth set. It is shared: tests must only read it.
func fed(t testing.TB) (*aggregator.Engine, *stream) {
	t.Helper()
	e, s, err := aggtest.SharedFed(testSeed, testPersons, testDays)
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

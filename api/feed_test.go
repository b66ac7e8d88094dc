package api_test

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

// generated returns the stream of testDays days of testPersons persons with
// every producer on: built once, shared read-only by the tests.
func generated() (*stream, error) { return aggtest.Shared(testSeed, testPersons, testDays) }

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

// fresh returns a new Engine, not shared, with the whole stream applied but
// no truth.
func fresh(t testing.TB) (*aggregator.Engine, *stream) {
	t.Helper()
	s, err := generated()
	if err != nil {
		t.Fatalf("generate stream: %v", err)
	}
	e, err := s.Fed(false)
	if err != nil {
		t.Fatal(err)
	}
	return e, s
}

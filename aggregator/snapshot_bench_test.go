package aggregator_test

import (
	"flag"
	"io"
	"testing"

	"exhaust/aggregator/aggtest"
)

var snapPersons = flag.Int("snapshot.persons", 2000, "population of BenchmarkSnapshot's city (one day)")

// BenchmarkSnapshot measures serialising the Engine's state after a day of
// a city: the pause a snapshot imposes on the applier (service.Service
// stores it afterwards, in the background). Run it with -benchmem: the
// allocations are the snapshot's transient memory.
func BenchmarkSnapshot(b *testing.B) {
	e, _, err := aggtest.SharedFed(1, *snapPersons, 1)
	if err != nil {
		b.Fatal(err)
	}
	var size countingWriter
	if err := e.Snapshot(&size); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Snapshot(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

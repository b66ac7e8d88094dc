package aggregator_test

import (
	"testing"

	"exhaust/aggregator/aggtest"
)

// BenchmarkRead measures what a scrape's slow view reads from the Engine
// after a day of a city (-snapshot.persons): the accuracy and the richest
// profiles. Run it with -benchmem: the allocations are the transient memory
// a read adds to the aggregator's peak.
func BenchmarkRead(b *testing.B) {
	e, _, err := aggtest.SharedFed(1, *snapPersons, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("accuracy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Accuracy()
		}
	})
	b.Run("top100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.TopProfiles(100)
		}
	})
	b.Run("profiles", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.Profiles()
		}
	})
}

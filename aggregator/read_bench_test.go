package aggregator_test

import (
	"flag"
	"testing"

	"exhaust/aggregator"
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

var (
	listPersons = flag.Int("listing.persons", 1000, "population of BenchmarkListingWhileApplying's city (two days)")
	listEvery   = flag.Int("listing.every", 2000, "events BenchmarkListingWhileApplying applies between two listings")
)

// BenchmarkListingWhileApplying measures a listing of every profile (what
// /api/profiles and the page read) taken while the events flow: the
// first day of a city (-listing.persons) applied untimed, then the
// second applied -listing.every events at a time, with a listing after
// each. Only the listings are timed: a listing derives again the
// clusters whose summary may have changed since the one before, so its
// cost says how many the cache had to let go. Use -benchtime 1x.
func BenchmarkListingWhileApplying(b *testing.B) {
	s, err := aggtest.Shared(1, *listPersons, 2)
	if err != nil {
		b.Fatal(err)
	}
	day2 := dayTwo(s)
	every := max(*listEvery, 1)
	listings := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		e := aggregator.New(aggregator.DefaultConfig())
		s.SetTruth(e)
		apply(b, e, s.Events[:day2], 1)
		e.Profiles()
		for i := day2; i < len(s.Events); i += every {
			b.StopTimer()
			apply(b, e, s.Events[i:min(i+every, len(s.Events))], uint64(i+1))
			b.StartTimer()
			e.Profiles()
			listings++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(listings), "ms/listing")
	b.ReportMetric(0, "ns/op")
}

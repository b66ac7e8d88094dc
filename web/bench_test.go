package web

import (
	"testing"

	"exhaust/aggregator"
	"exhaust/event"
	"exhaust/world"
)

// BenchmarkBeastView measures the right column's view of the hero after a
// whole day of the default population, as a live page pays it when the
// beast has changed since its last update.
func BenchmarkBeastView(b *testing.B) {
	r := newRunOf(b, world.DefaultPersons, 1, true, 1)
	_ = r.page.Close()
	r.play(b)
	s := r.page.session
	sn := s.read(world.HeroID, 0, 0)
	truth := aggregator.Truth{Person: "nobody"}
	b.ResetTimer()
	for range b.N {
		sn.engine.SetTruth(truth) // a change: the engine's caches are stale
		if v := s.beast(sn.engine, world.HeroID); v.Profile == nil {
			b.Fatal("no profile")
		}
	}
}

// BenchmarkPopulation measures the population view after the same day.
func BenchmarkPopulation(b *testing.B) {
	r := newRunOf(b, world.DefaultPersons, 1, true, 1)
	_ = r.page.Close()
	r.play(b)
	s := r.page.session
	sn := s.read(world.HeroID, 0, 0)
	truth := aggregator.Truth{Person: "nobody"}
	b.ResetTimer()
	for range b.N {
		sn.engine.SetTruth(truth)
		s.population(sn.engine, 0, 0)
	}
}

// BenchmarkPromote measures the worker's check of one pending sighting
// after the same day: the shop reads every profile of a changed beast to
// find the one holding the sighted identifiers.
func BenchmarkPromote(b *testing.B) {
	r := newRunOf(b, world.DefaultPersons, 1, true, 1)
	_ = r.page.Close()
	r.play(b)
	s := r.page.session
	sn := s.read(world.HeroID, 0, 0)
	hero := r.world.Person(world.HeroID)
	ids := []event.ID{{Kind: event.MSISDN, Value: hero.Phone.MSISDN}}
	shop := s.shops[0]
	truth := aggregator.Truth{Person: "nobody"}
	b.ResetTimer()
	for range b.N {
		sn.engine.SetTruth(truth)
		s.mu.Lock()
		s.promoSent = map[sentKey]bool{}
		k := sightKey{shop: shop.ID, ids: idString(ids[0]), day: 1}
		s.sightings[k] = &sighting{key: k, shop: shop, ids: ids, t: sn.day.Date, typ: "phone.cell"}
		s.mu.Unlock()
		s.promote(nil)
	}
}

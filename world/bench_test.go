package world

import "testing"

func BenchmarkDay(b *testing.B) {
	w := newWorld(b, DefaultPersons, nil)
	i := 0
	for b.Loop() {
		i++
		w.Day(i%14 + 1)
	}
}

func BenchmarkTowersNear(b *testing.B) {
	c := NewCity()
	p := c.Place(FnacID).Point
	for b.Loop() {
		c.TowersNear(p, 3)
	}
}

package world

import (
	"fmt"
	"runtime"
	"sync"
)

// Part returns the part of day i (1-based) that covers the people of
// population indices [from, to): their plans, exactly as in Day(i). A
// large city's day does not fit in memory whole (about 10 KB of plans per
// person), so a day is made and observed a part at a time; observing the
// parts in order, with one generator and one emitter carried from part to
// part, gives the events of the whole day (producers.StreamDay).
//
// Part panics if i < 1 or the range is not within the population.
func (w *World) Part(i, from, to int) *Day {
	if from < 0 || to > len(w.People) || from > to {
		panic(fmt.Sprintf("world: part [%d, %d) of a population of %d", from, to, len(w.People)))
	}
	d := w.part(i, from, to)
	if from > 0 || to < len(w.People) {
		d.everyone = w.People
	}
	return d
}

// part builds the plans of people [from, to) of day i. Each person's plan
// is a pure function of (seed, person, day), so they are drawn in parallel
// and stored by index: the result does not depend on the scheduling.
func (w *World) part(i, from, to int) *Day {
	if i < 1 {
		panic(fmt.Sprintf("world: day %d: days are numbered from 1", i))
	}
	d := &Day{Index: i, Date: w.Date(i), City: w.City, From: from, Plans: make([]*Plan, to-from)}
	workers := min(runtime.GOMAXPROCS(0), len(d.Plans)/planChunk+1)
	var next sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				lo := n
				n += planChunk
				next.Unlock()
				if lo >= len(d.Plans) {
					return
				}
				for k := lo; k < min(lo+planChunk, len(d.Plans)); k++ {
					d.Plans[k] = w.plan(w.People[from+k], i)
				}
			}
		})
	}
	wg.Wait()
	if i == 1 && from == 0 && len(d.Plans) > 0 {
		d.Moments = momentsOf(d.Plans[0])
	}
	return d
}

// planChunk is how many plans a worker draws at a time: enough to make the
// hand-out negligible, few enough to share a small part evenly.
const planChunk = 16

// Everyone returns the people of the whole day, in population order, even
// when d is only a part of it: what a producer reporting on the whole
// population at once (a nightly export) reads, in the part From 0. For a
// whole day they are the people of Plans.
func (d *Day) Everyone() []*Person {
	if d.everyone != nil {
		return d.everyone
	}
	out := make([]*Person, len(d.Plans))
	for i, pl := range d.Plans {
		out[i] = pl.Person
	}
	return out
}

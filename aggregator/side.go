package aggregator

import (
	"sync"

	"exhaust/aggregator/facts"
	"exhaust/aggregator/obs"
	"exhaust/aggregator/score"
)

// side applies each record's facts and traces on a goroutine of its own,
// one record behind the linker or more: both read the record only, never
// the graph, so they need not hold up the applying goroutine, which then
// does the linking alone (the costliest part of an event) while another
// core does the rest. Records reach them in the order applied. Every
// reader of the facts or the traces settles first, with the Engine's lock
// held, so nobody ever sees them behind the graph.
type side struct {
	queue   chan sideJob
	pending sync.WaitGroup
}

type sideJob struct {
	rec    *obs.Record
	facts  *facts.Store
	traces *score.Traces
}

// SideQueueCapacity is how many records may wait for the side goroutine
// (Engine.SideQueued): enough to ride over a slow record, small enough to
// stay in cache.
const SideQueueCapacity = 256

func newSide() *side {
	s := &side{queue: make(chan sideJob, SideQueueCapacity)}
	go func() {
		for j := range s.queue {
			j.facts.Observe(j.rec)
			j.traces.Observe(j.rec)
			s.pending.Done()
		}
	}()
	return s
}

// observe queues rec for f and t. Only the applying goroutine calls it,
// with the Engine's write lock held.
func (s *side) observe(rec *obs.Record, f *facts.Store, t *score.Traces) {
	s.pending.Add(1)
	s.queue <- sideJob{rec, f, t}
}

// settle returns once every queued record is applied. Call it with the
// Engine's lock held (read or write): no record is queued meanwhile.
func (s *side) settle() { s.pending.Wait() }

// close ends the goroutine once the queue is drained.
func (s *side) close() { close(s.queue) }

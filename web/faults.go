package web

import (
	"errors"
	"fmt"
	"sync"

	"exhaust/faults"
	"exhaust/producers"
	"exhaust/sim"
)

// FaultRunner is the part of the runner the dirty-data panel drives: the
// faults done to the events while the run plays (package faults).
// *sim.Runner implements it. With a Runner that does not, the page shows
// no panel and POST /control/faults answers 503.
type FaultRunner interface {
	// Faults returns the plan in force.
	Faults() faults.Plan
	// SetFaults changes the plan from the next event on.
	SetFaults(faults.Plan)
	// Stats counts, among the run's progress, the faults done.
	Stats() sim.Stats
}

// faultsMsg is the live "faults" message, and the answer to POST
// /control/faults: the plan in force and what it did.
type faultsMsg struct {
	// Plan is the plan in force, in the --faults grammar; "" for none.
	Plan string `json:"plan"`
	// Done counts the faults done to the events since the classroom
	// session started (the day's start, or the last restart or jump), like
	// the beast's own counters (population's duplicates, late_*).
	Done faults.Counts `json:"done"`
}

// faultBase is the runner's fault counts when the classroom session
// started: what the panel shows is counted from there, like the session's
// beast.
type faultBase struct {
	mu     sync.Mutex
	gen    uint64
	counts faults.Counts
}

// faultRunner returns the runner, if it can change its faults.
func (s *Server) faultRunner() FaultRunner {
	fr, _ := s.getRunner().(FaultRunner)
	return fr
}

// noteSession remembers the runner's fault counts when a new classroom
// session starts (gen changed).
func (s *Server) noteSession(gen uint64) {
	fr := s.faultRunner()
	if fr == nil {
		return
	}
	s.faultBase.mu.Lock()
	defer s.faultBase.mu.Unlock()
	if s.faultBase.gen != gen {
		s.faultBase.gen, s.faultBase.counts = gen, fr.Stats().FaultTotal
	}
}

// faultsMsg returns the panel's state, false without a FaultRunner.
func (s *Server) faultsMsg() (faultsMsg, bool) {
	fr := s.faultRunner()
	if fr == nil {
		return faultsMsg{}, false
	}
	done := fr.Stats().FaultTotal
	s.faultBase.mu.Lock()
	base := s.faultBase.counts
	s.faultBase.mu.Unlock()
	for _, k := range faults.Kinds {
		n, b := done.Of(k), base.Of(k)
		if n < b { // the runner is another one than at the session's start
			b = 0
		}
		done = done.With(k, n-b)
	}
	return faultsMsg{Plan: fr.Faults().String(), Done: done}, true
}

// errNoFaultRunner answers a faults control without a runner to change.
var errNoFaultRunner = errors.New("the page has no runner whose faults it can change (the run is not wired to it)")

// setFaults parses a plan in the --faults grammar, checks its producers
// against the registry and puts it in force. Errors are one line.
func (s *Server) setFaults(text string) error {
	plan, err := faults.Parse(text)
	if err == nil {
		err = plan.Check(producers.Names())
	}
	if err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	fr := s.faultRunner()
	if fr == nil {
		return errNoFaultRunner
	}
	fr.SetFaults(plan)
	s.log.Info("classroom page: faults changed", "faults", plan.String())
	return nil
}

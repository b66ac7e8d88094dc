// Package clock is the simulation's clock: simulated time that runs at a speed
// factor against real time, can be paused and resumed, or runs as fast as
// possible. Real time is injected so tests never depend on the wall clock.
package clock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultSpeed plays one simulated day in six real minutes.
const DefaultSpeed = 240

// ErrBadSpeed is returned for a speed that is not a positive number.
var ErrBadSpeed = errors.New("speed must be a positive number (1 = real time, 240 = a day in 6 minutes)")

// Clock maps real time to simulated time. The zero value is not usable; use New.
type Clock struct {
	// Real returns the real time; time.Now unless a test injects another.
	Real func() time.Time
	// After waits real time; time.After unless a test injects another.
	After func(time.Duration) <-chan time.Time

	mu      sync.Mutex
	fast    bool
	speed   float64
	paused  bool
	simAt   time.Time // simulated time at anchor
	realAt  time.Time // real time at anchor
	changed chan struct{}
}

// New returns a clock starting at start, running at speed simulated seconds
// per real second; fast makes it run as fast as the simulation can go.
func New(start time.Time, speed float64, fast bool) (*Clock, error) {
	if !(speed > 0) {
		return nil, fmt.Errorf("%w, got %v", ErrBadSpeed, speed)
	}
	c := &Clock{Real: time.Now, After: time.After, fast: fast, speed: speed, simAt: start, changed: make(chan struct{})}
	c.realAt = c.Real()
	return c, nil
}

// Now returns the current simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.fast || c.paused {
		return c.simAt
	}
	elapsed := c.Real().Sub(c.realAt)
	return c.simAt.Add(time.Duration(float64(elapsed) * c.speed))
}

// reanchor fixes the current simulated time as the new anchor, before a
// change of speed or state, and wakes waiters so they recompute.
func (c *Clock) reanchor() {
	c.simAt = c.nowLocked()
	c.realAt = c.Real()
	close(c.changed)
	c.changed = make(chan struct{})
}

// Speed returns the speed factor.
func (c *Clock) Speed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}

// SetSpeed changes the speed factor from now on.
func (c *Clock) SetSpeed(speed float64) error {
	if !(speed > 0) {
		return fmt.Errorf("%w, got %v", ErrBadSpeed, speed)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reanchor()
	c.speed = speed
	return nil
}

// Fast reports whether the clock runs as fast as possible.
func (c *Clock) Fast() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fast
}

// Paused reports whether the clock is paused.
func (c *Clock) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// Pause stops simulated time until Resume.
func (c *Clock) Pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused {
		c.reanchor()
		c.paused = true
	}
}

// Resume restarts simulated time where it was paused.
func (c *Clock) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused {
		c.reanchor()
		c.paused = false
	}
}

// Set moves simulated time to t (restarting a day, jumping to a moment).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reanchor()
	c.simAt = t
}

// WaitUntil blocks until simulated time reaches t or ctx is done. In fast
// mode it moves simulated time to t at once (time never goes backwards).
func (c *Clock) WaitUntil(ctx context.Context, t time.Time) error {
	for {
		c.mu.Lock()
		if c.fast && !c.paused {
			if t.After(c.simAt) {
				c.simAt = t
			}
			c.mu.Unlock()
			return ctx.Err()
		}
		now := c.nowLocked()
		if !now.Before(t) && !c.paused {
			c.mu.Unlock()
			return ctx.Err()
		}
		changed := c.changed
		var wake <-chan time.Time
		if !c.paused {
			wake = c.After(time.Duration(float64(t.Sub(now)) / c.speed))
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-wake:
		}
	}
}

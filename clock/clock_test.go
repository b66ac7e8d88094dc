package clock

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeReal is a controllable real time for tests.
type fakeReal struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (f *fakeReal) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeReal) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	f.waiters = append(f.waiters, waiter{at: f.now.Add(d), ch: ch})
	return ch
}

func (f *fakeReal) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if !w.at.After(f.now) {
			w.ch <- f.now
		} else {
			kept = append(kept, w)
		}
	}
	f.waiters = kept
}

func newTestClock(t *testing.T, speed float64, fast bool) (*Clock, *fakeReal, time.Time) {
	t.Helper()
	start := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	f := &fakeReal{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	c, err := New(start, speed, fast)
	if err != nil {
		t.Fatal(err)
	}
	c.Real, c.After = f.Now, f.After
	c.realAt = f.Now()
	return c, f, start
}

func TestNowRunsAtSpeed(t *testing.T) {
	c, f, start := newTestClock(t, 240, false)
	f.Advance(6 * time.Minute)
	if got, want := c.Now(), start.Add(24*time.Hour); !got.Equal(want) {
		t.Fatalf("after 6 real minutes at 240x: got %v, want %v", got, want)
	}
}

func TestPauseResume(t *testing.T) {
	c, f, start := newTestClock(t, 60, false)
	f.Advance(time.Minute) // one simulated hour
	c.Pause()
	f.Advance(time.Hour)
	if got, want := c.Now(), start.Add(time.Hour); !got.Equal(want) {
		t.Fatalf("paused clock moved: got %v, want %v", got, want)
	}
	c.Resume()
	f.Advance(time.Minute)
	if got, want := c.Now(), start.Add(2*time.Hour); !got.Equal(want) {
		t.Fatalf("after resume: got %v, want %v", got, want)
	}
}

func TestSetSpeedKeepsTime(t *testing.T) {
	c, f, start := newTestClock(t, 60, false)
	f.Advance(time.Minute)
	if err := c.SetSpeed(120); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	if got, want := c.Now(), start.Add(3*time.Hour); !got.Equal(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []float64{0, -1} {
		if err := c.SetSpeed(bad); err == nil {
			t.Errorf("SetSpeed(%v) accepted", bad)
		}
	}
}

func TestWaitUntilWaitsForSimulatedTime(t *testing.T) {
	c, f, start := newTestClock(t, 60, false)
	done := make(chan error, 1)
	go func() { done <- c.WaitUntil(context.Background(), start.Add(2*time.Hour)) }()
	// Advance real time in steps until the waiter returns; it must not
	// return before two simulated hours (two real minutes) have passed.
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if c.Now().Before(start.Add(2 * time.Hour)) {
				t.Fatalf("returned early, at %v", c.Now())
			}
			return
		default:
		}
		if i > 100000 {
			t.Fatal("WaitUntil never returned")
		}
		f.Advance(time.Second)
		runtime.Gosched() // let the waiter goroutine run
	}
}

func TestWaitUntilFast(t *testing.T) {
	c, _, start := newTestClock(t, 1, true)
	target := start.Add(5 * time.Hour)
	if err := c.WaitUntil(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if !c.Now().Equal(target) {
		t.Fatalf("fast clock at %v, want %v", c.Now(), target)
	}
	// Time never goes backwards.
	if err := c.WaitUntil(context.Background(), start); err != nil {
		t.Fatal(err)
	}
	if !c.Now().Equal(target) {
		t.Fatalf("fast clock went back to %v", c.Now())
	}
}

func TestWaitUntilCancelled(t *testing.T) {
	c, _, start := newTestClock(t, 1, false)
	c.Pause()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.WaitUntil(ctx, start.Add(time.Hour)); err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestNewRejectsBadSpeed(t *testing.T) {
	if _, err := New(time.Now(), 0, false); err == nil {
		t.Fatal("speed 0 accepted")
	}
}

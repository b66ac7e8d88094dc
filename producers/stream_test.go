package producers_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exhaust/producers"
	_ "exhaust/producers/all" // every producer
	"exhaust/world"
)

// streamed is one event of a day's stream, as a sink receives it.
type streamed struct {
	producer int
	subject  string
	id       string
	payload  []byte
	t        time.Time
}

// collected is the day as CollectDay makes it: every producer's events in
// memory, merged by time.
func collected(t *testing.T, ps []producers.Producer, seed int64, day *world.Day) []streamed {
	t.Helper()
	per, order, err := producers.CollectDay(ps, seed, day)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]streamed, 0, len(order))
	next := make([]int, len(per))
	for _, pi := range order {
		e := per[pi][next[pi]]
		next[pi]++
		out = append(out, streamed{int(pi), e.Subject, e.ID, e.Payload, e.Time})
	}
	return out
}

// parts cuts day d of w into parts of n people.
func parts(w *world.World, d, n int) iter.Seq[*world.Day] {
	return func(yield func(*world.Day) bool) {
		for from := 0; from < len(w.People); from += n {
			if !yield(w.Part(d, from, min(from+n, len(w.People)))) {
				return
			}
		}
	}
}

// read drains a streamed day.
func read(t *testing.T, m *producers.Merged) []streamed {
	t.Helper()
	var out []streamed
	for m.Next() {
		pi, e := m.Event()
		out = append(out, streamed{pi, e.Subject, e.ID, e.Payload, e.Time})
	}
	if err := m.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStreamDayMatchesCollectDay: a small city's days streamed, in parts
// and spilled in many runs, are CollectDay's stream: subjects, ids,
// payloads and order.
func TestStreamDayMatchesCollectDay(t *testing.T) {
	w, err := world.New(world.Config{Seed: 5, Persons: 40, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	ps := producers.All()
	for _, d := range []int{1, 3} { // day 1: the loyalty export, the hero's moments
		want := collected(t, ps, 5, w.Day(d))
		for _, tc := range []struct {
			name     string
			part     int
			memory   int
			minRuns  int
			inMemory bool
		}{
			{"whole day in memory", len(w.People), 0, 0, true},
			{"parts in memory", 7, 0, 0, true},
			{"parts spilled", 7, 64 << 10, 20, false},
			{"one event a run", 13, 1, len(want), false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				dir := t.TempDir()
				m, err := producers.StreamDay(context.Background(), ps, 5, parts(w, d, tc.part), producers.StreamOptions{Memory: tc.memory, Dir: dir})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if runs := m.Runs(); (runs == 0) != tc.inMemory || runs < tc.minRuns {
					t.Errorf("%d runs, want at least %d (in memory: %v)", runs, tc.minRuns, tc.inMemory)
				}
				if m.Len() != len(want) {
					t.Errorf("Len %d, want %d", m.Len(), len(want))
				}
				got := read(t, m)
				if len(got) != len(want) {
					t.Fatalf("day %d: %d events, want %d", d, len(got), len(want))
				}
				for i := range want {
					g, e := got[i], want[i]
					if g.producer != e.producer || g.subject != e.subject || g.id != e.id || !bytes.Equal(g.payload, e.payload) || !g.t.Equal(e.t) {
						t.Fatalf("day %d, event %d: got %s %s %s\nwant %s %s %s", d, i, g.subject, g.id, g.payload, e.subject, e.id, e.payload)
					}
				}
				if err := m.Close(); err != nil {
					t.Fatal(err)
				}
				noFilesLeft(t, dir)
			})
		}
	}
}

// noFilesLeft fails if dir holds a file, or if the process still has one
// open there (the runs' files are removed as soon as they are made, so
// only an open descriptor would keep their bytes on the disk).
func noFilesLeft(t *testing.T, dir string) {
	t.Helper()
	if ents, err := os.ReadDir(dir); err != nil || len(ents) > 0 {
		t.Errorf("%s: %d files left (%v)", dir, len(ents), err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return // no /proc: the directory check is all there is
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
			t.Errorf("still open: %s", target)
		}
	}
}

// failing is a producer that emits, then fails on the part starting at
// person failFrom.
type failing struct{ failFrom int }

func (failing) Spec() producers.Spec { return producers.Spec{Name: "failing"} }

func (f failing) Observe(day *world.Day, _ *rand.Rand, emit producers.Emitter) error {
	for _, pl := range day.Plans {
		emit.Emit("tick", day.Date.Add(time.Duration(len(pl.Person.ID))*time.Hour), struct{}{})
	}
	if day.From == f.failFrom {
		return errors.New("sensor on fire")
	}
	return nil
}

// TestStreamDayCleansUp: a day that fails, is cancelled, or is closed
// half read leaves no temporary file behind.
func TestStreamDayCleansUp(t *testing.T) {
	w, err := world.New(world.Config{Seed: 5, Persons: 40, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	ps := append(producers.All(), failing{failFrom: 21})
	tiny := func(dir string) producers.StreamOptions { return producers.StreamOptions{Memory: 16 << 10, Dir: dir} }

	t.Run("producer error", func(t *testing.T) {
		dir := t.TempDir()
		_, err := producers.StreamDay(context.Background(), ps, 5, parts(w, 2, 7), tiny(dir))
		if err == nil || !strings.Contains(err.Error(), "sensor on fire") {
			t.Fatalf("err = %v, want the producer's", err)
		}
		noFilesLeft(t, dir)
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		cut := func(yield func(*world.Day) bool) {
			for d := range parts(w, 2, 7) {
				if d.From == 14 {
					cancel() // runs were spilled by now
				}
				if !yield(d) {
					return
				}
			}
		}
		_, err := producers.StreamDay(ctx, producers.All(), 5, cut, tiny(dir))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		noFilesLeft(t, dir)
	})
	t.Run("closed half read", func(t *testing.T) {
		dir := t.TempDir()
		m, err := producers.StreamDay(context.Background(), producers.All(), 5, parts(w, 2, 7), tiny(dir))
		if err != nil {
			t.Fatal(err)
		}
		if m.Runs() < 2 {
			t.Fatalf("%d runs: the day should spill", m.Runs())
		}
		for i := 0; i < 100 && m.Next(); i++ {
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if m.Next() {
			t.Error("Next after Close")
		}
		noFilesLeft(t, dir)
	})
}

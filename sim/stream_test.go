package sim_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"exhaust/clock"
	"exhaust/producers"
	"exhaust/sim"
	"exhaust/world"
)

// streamRun runs seed's 20-person city for days with memory (see
// Config.Memory) into sink, calling start with the runner before it runs
// and cancel if the run must stop.
func streamRun(t *testing.T, ctx context.Context, days, memory int, sink sim.Sink, start func(*sim.Runner)) ([]int, error) {
	t.Helper()
	w, err := world.New(world.Config{Seed: 7, Persons: 20, Start: world.DefaultStart()})
	if err != nil {
		t.Fatal(err)
	}
	clk, err := clock.New(world.DefaultStart(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	var played []int
	cfg := sim.Config{World: w, Seed: 7, Days: days, Producers: producers.All(), Clock: clk, Sink: sink, Memory: memory,
		OnDay: func(d *world.Day) {
			if len(d.Plans) != len(w.People) {
				t.Errorf("OnDay: day %d with %d plans, want the whole day's %d", d.Index, len(d.Plans), len(w.People))
			}
			played = append(played, d.Index)
		}}
	if ts, ok := sink.(sim.TruthSink); ok {
		cfg.Truth = ts
	}
	r, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if start != nil {
		start(r)
	}
	return played, r.Run(ctx)
}

// TestStreamedRunMatchesInMemoryRun: days made in parts and spilled to
// disk in many runs publish what days made whole in memory do: the same
// events, ids, bytes and order, and the same truth.
func TestStreamedRunMatchesInMemoryRun(t *testing.T) {
	whole := &memSink{}
	if _, err := streamRun(t, context.Background(), 2, 0, whole, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	defer sim.SetPartPersons(3)()
	streamed := &memSink{}
	days, err := streamRun(t, context.Background(), 2, 32<<10, streamed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(days, []int{1, 2}) {
		t.Errorf("days played %v", days)
	}
	if len(streamed.ids) != len(whole.ids) || len(whole.ids) == 0 {
		t.Fatalf("streamed %d events, in memory %d", len(streamed.ids), len(whole.ids))
	}
	for i := range whole.ids {
		if streamed.subjects[i] != whole.subjects[i] || streamed.ids[i] != whole.ids[i] || !bytes.Equal(streamed.payloads[i], whole.payloads[i]) {
			t.Fatalf("event %d: streamed %s %s, in memory %s %s", i, streamed.subjects[i], streamed.ids[i], whole.subjects[i], whole.ids[i])
		}
	}
	if !reflect.DeepEqual(streamed.truth, whole.truth) {
		t.Error("the truth differs")
	}
	noFilesLeft(t, dir)
}

// TestRunLeavesNoTemporaryFiles: whether the run fails, is cancelled or
// restarted mid-day, the days spilled to disk are gone when Run returns.
func TestRunLeavesNoTemporaryFiles(t *testing.T) {
	defer sim.SetPartPersons(3)()
	const memory = 16 << 10 // every day spills
	t.Run("sink error", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("TMPDIR", dir)
		if _, err := streamRun(t, context.Background(), 3, memory, &memSink{failAt: 500}, nil); err == nil {
			t.Fatal("no error")
		}
		noFilesLeft(t, dir)
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("TMPDIR", dir)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sink := &hookSink{after: 500, hook: cancel}
		if _, err := streamRun(t, ctx, 3, memory, sink, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		noFilesLeft(t, dir)
	})
	t.Run("restarted", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("TMPDIR", dir)
		sink := &hookSink{after: 500}
		days, err := streamRun(t, context.Background(), 2, memory, sink, func(r *sim.Runner) {
			sink.hook = func() {
				if err := r.Restart(1); err != nil {
					t.Error(err)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(days, []int{1, 1, 2}) {
			t.Errorf("days played %v, want day 1 twice then day 2", days)
		}
		noFilesLeft(t, dir)
	})
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

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"exhaust/natsbus/natstest"
	"exhaust/shard"
)

// TestWorkersListsTheGroup: exhaust workers shows two live workers with
// their consumers caught up, their snapshots, and one worker for each
// chore, the one shard.Owner names; once both have left, none; and on a
// server where no group ever formed, a one-line error.
func TestWorkersListsTheGroup(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	if code, _, stderr := runCLI(t, t.Context(), nil, "workers", "--nats", srv.URL()); code != 1 || !strings.Contains(stderr, "no bucket EXHAUST_WORKERS") ||
		strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
		t.Errorf("workers before any group: exit %d, stderr %q; want exit 1 and a one-line error naming the bucket", code, stderr)
	}
	if code, _, stderr := runCLI(t, t.Context(), nil, "produce", "--nats", srv.URL(), "--persons", "6", "--days", "1", "--fast"); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, stderr)
	}
	total := streamLastSeq(t, js)
	group := []*aggregateRun{startAggregate(t, "--nats", srv.URL()), startAggregate(t, "--nats", srv.URL())}
	waitFor(t, time.Minute, "both workers caught up", func() bool {
		return ackFloor(t, js, workerConsumer(0)) >= total && ackFloor(t, js, workerConsumer(1)) >= total
	})

	code, stdout, stderr := runCLI(t, t.Context(), nil, "workers", "--nats", srv.URL(), "--json")
	if code != 0 {
		t.Fatalf("workers --json: exit %d: %s", code, stderr)
	}
	var rep workersReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("workers --json: %v\n%s", err, stdout)
	}
	if rep.Bucket != "EXHAUST_WORKERS" || rep.TTLSeconds != 10 || rep.StreamLastSeq != total || len(rep.Workers) != 2 {
		t.Fatalf("report %+v: want EXHAUST_WORKERS, a TTL of 10 s, the stream at %d and two workers", rep, total)
	}
	live := []int{0, 1}
	for i, w := range rep.Workers {
		if w.Slot != i || w.Consumer != workerConsumer(i) || w.Snapshot != workerSnapshot(i) {
			t.Errorf("worker %d: slot %d, consumer %s, snapshot %s; want %d, %s, %s", i, w.Slot, w.Consumer, w.Snapshot, i, workerConsumer(i), workerSnapshot(i))
		}
		if w.AckFloor != total || w.Pending != 0 || w.HTTP == "" || w.Started.IsZero() {
			t.Errorf("worker %d: acked to %d, %d pending, HTTP %q, started %v; want %d, 0, an address, a time", i, w.AckFloor, w.Pending, w.HTTP, w.Started, total)
		}
		if w.SnapshotDuty != (shard.Owner(shard.SnapshotsKey, live) == i) || w.CityScore != (shard.Owner(shard.CityScoreKey, live) == i) {
			t.Errorf("worker %d: snapshot duty %v, city score %v; not what shard.Owner says", i, w.SnapshotDuty, w.CityScore)
		}
	}

	code, stdout, stderr = runCLI(t, t.Context(), nil, "workers", "--nats", srv.URL())
	t.Logf("exhaust workers:\n%s", stdout)
	if code != 0 || !strings.Contains(stdout, "2 worker(s) in EXHAUST_WORKERS") || !strings.Contains(stdout, workerConsumer(1)) || !strings.Contains(stdout, "snapshots") {
		t.Errorf("workers: exit %d, stdout:\n%s\nstderr %s", code, stdout, stderr)
	}

	for _, a := range group {
		a.stop(t) // leaving frees the slot at once
	}
	code, stdout, stderr = runCLI(t, t.Context(), nil, "workers", "--nats", srv.URL(), "--json")
	if err := json.Unmarshal([]byte(stdout), &rep); code != 0 || err != nil || len(rep.Workers) != 0 {
		t.Errorf("workers once both left: exit %d, %d workers (%v), stderr %s; want none", code, len(rep.Workers), err, stderr)
	}
}

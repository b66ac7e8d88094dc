package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/shard"
)

// TestWorkersListsTheGroup: exhaust workers shows two live workers with
// their consumers caught up, their snapshots, and one worker for each
// chore, the one shard.Owner names; once both have left, none; and on a
// server where no group ever formed, a one-line error.
func TestWorkersListsTheGroup(t *testing.T) {
	srv := natstest.RunServer(t)
	if code, _, stderr := runCLI(t, t.Context(), nil, "workers", "--nats", srv.URL()); code != 1 || !strings.Contains(stderr, "no bucket EXHAUST_WORKERS") ||
		strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
		t.Errorf("workers before any group: exit %d, stderr %q; want exit 1 and a one-line error naming the bucket", code, stderr)
	}
	js, total := produceDay(t, srv, 6)
	flags := []string{"--nats", srv.URL(), "--snapshot-interval", "100ms"}
	group := []*aggregateRun{startAggregate(t, flags...), startAggregate(t, flags...)}
	live := []int{0, 1}
	duty := shard.Owner(shard.SnapshotsKey, live)
	waitFor(t, time.Minute, "both workers caught up, and a snapshot of it all", func() bool {
		seqs, err := natsbus.SnapshotSeqs(t.Context(), js)
		return err == nil && seqs[workerSnapshot(duty)] >= total &&
			ackFloor(t, js, workerConsumer(0)) >= total && ackFloor(t, js, workerConsumer(1)) >= total
	})

	code, stdout, stderr := runCLI(t, t.Context(), nil, "workers", "--nats", srv.URL(), "--json")
	if code != 0 {
		t.Fatalf("workers --json: exit %d: %s", code, stderr)
	}
	// The contract: these names (docs/deploy.md), decoded apart from the
	// command's own types.
	var rep struct {
		Bucket        string  `json:"bucket"`
		TTLSeconds    float64 `json:"ttl_seconds"`
		StreamLastSeq uint64  `json:"stream_last_seq"`
		Workers       []struct {
			Slot         int       `json:"slot"`
			Host         string    `json:"host"`
			HTTP         string    `json:"http"`
			Started      time.Time `json:"started"`
			Consumer     string    `json:"consumer"`
			AckFloor     uint64    `json:"ack_floor"`
			Pending      uint64    `json:"pending"`
			AckPending   int       `json:"ack_pending"`
			Snapshot     string    `json:"snapshot"`
			SnapshotSeq  uint64    `json:"snapshot_seq"`
			SnapshotDuty bool      `json:"snapshot_duty"`
			CityScore    bool      `json:"city_score"`
		} `json:"workers"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("workers --json: %v\n%s", err, stdout)
	}
	if rep.Bucket != "EXHAUST_WORKERS" || rep.TTLSeconds != 10 || rep.StreamLastSeq != total || len(rep.Workers) != 2 {
		t.Fatalf("report %+v: want EXHAUST_WORKERS, a TTL of 10 s, the stream at %d and two workers", rep, total)
	}
	for i, w := range rep.Workers {
		if w.Slot != i || w.Consumer != workerConsumer(i) || w.Snapshot != workerSnapshot(i) {
			t.Errorf("worker %d: slot %d, consumer %s, snapshot %s; want %d, %s, %s", i, w.Slot, w.Consumer, w.Snapshot, i, workerConsumer(i), workerSnapshot(i))
		}
		if w.AckFloor != total || w.Pending != 0 || w.AckPending != 0 || w.HTTP == "" || w.Started.IsZero() {
			t.Errorf("worker %d: acked to %d, %d pending, %d unacknowledged, HTTP %q, started %v; want %d, 0, 0, an address, a time",
				i, w.AckFloor, w.Pending, w.AckPending, w.HTTP, w.Started, total)
		}
		if w.SnapshotDuty != (duty == i) || w.CityScore != (shard.Owner(shard.CityScoreKey, live) == i) {
			t.Errorf("worker %d: snapshot duty %v, city score %v; not what shard.Owner says", i, w.SnapshotDuty, w.CityScore)
		}
		// The one on duty saved the whole stream; the other, off duty and
		// never stopped, saved nothing.
		if want := map[bool]uint64{true: total, false: 0}[duty == i]; w.SnapshotSeq != want {
			t.Errorf("worker %d: its snapshot covers %d, want %d", i, w.SnapshotSeq, want)
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

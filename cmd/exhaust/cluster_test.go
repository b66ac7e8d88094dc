package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// clusterStreams are the streams exhaust keeps on NATS: events, truth,
// rejects, and the snapshot object store's stream.
var clusterStreams = []string{natsbus.StreamName, natsbus.TruthStream, natsbus.DLQStream, "OBJ_" + natsbus.SnapshotBucket}

// clusterJS connects to every node of c, as the commands' --nats does.
func clusterJS(t *testing.T, c *natstest.Cluster) jetstream.JetStream {
	t.Helper()
	nc, err := natsbus.Connect(testCtx(t, 10*time.Second), c.URLs(), t.Name(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// requireReplicas fails the test unless the server holds every stream of
// clusterStreams, and each of its streams has want replicas configured and
// placed: a leader and want-1 current followers.
func requireReplicas(t *testing.T, js jetstream.JetStream, want int) {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	var names []string
	for name := range js.StreamNames(ctx).Name() {
		names = append(names, name)
	}
	for _, name := range clusterStreams {
		if !slices.Contains(names, name) {
			t.Errorf("no stream %s (have %v)", name, names)
		}
	}
	for _, name := range names {
		var info *jetstream.StreamInfo
		// Placing new replicas takes a moment after a change; the
		// configuration says at once what was asked.
		waitFor(t, 20*time.Second, name+"'s replicas in place", func() bool {
			s, err := js.Stream(ctx, name)
			if err != nil {
				return false
			}
			info = s.CachedInfo()
			if info.Config.Replicas != want {
				return true // reported below
			}
			if info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != want-1 {
				return false
			}
			for _, r := range info.Cluster.Replicas {
				if !r.Current || r.Offline {
					return false
				}
			}
			return true
		})
		if info.Config.Replicas != want {
			t.Errorf("stream %s: %d replicas configured, want %d", name, info.Config.Replicas, want)
		}
	}
}

// aggregateRun is exhaust aggregate running in this process.
type aggregateRun struct {
	base           string // http://host:port of its API
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	code           chan int
}

// startAggregate runs exhaust aggregate with args (after --http) and waits
// until it serves HTTP.
func startAggregate(t *testing.T, args ...string) *aggregateRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a := &aggregateRun{cancel: cancel, code: make(chan int, 1)}
	go func() {
		a.code <- run(ctx, append([]string{"aggregate", "--http", "127.0.0.1:0"}, args...), &cliEnv{
			stdin: strings.NewReader(""), stdout: &a.stdout, stderr: &a.stderr,
			getenv: func(string) string { return "" }, log: slog.New(slog.DiscardHandler),
		})
	}()
	waitFor(t, 30*time.Second, "the aggregator's HTTP address", func() bool {
		a.check(t)
		if m := httpLine.FindStringSubmatch(a.stdout.String()); m != nil {
			a.base = m[1]
			return true
		}
		return false
	})
	return a
}

// check fails the test if the aggregator has stopped.
func (a *aggregateRun) check(t *testing.T) {
	t.Helper()
	select {
	case code := <-a.code:
		t.Fatalf("aggregate exited with %d: %s", code, a.stderr.String())
	default:
	}
}

// stop cancels the aggregator and checks it stops cleanly (saving its
// final snapshot).
func (a *aggregateRun) stop(t *testing.T) {
	t.Helper()
	a.cancel()
	select {
	case code := <-a.code:
		if code != 0 {
			t.Fatalf("aggregate exited with %d after cancel: %s", code, a.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("aggregate did not stop")
	}
}

// TestSetupReplicatesEveryStream is the cluster issue's first check: after
// exhaust setup --replicas 3 on a three-node cluster, every stream and
// bucket exhaust uses has three replicas, and a producer that sets the
// streams up itself (the default) and an aggregator leave them so.
func TestSetupReplicatesEveryStream(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	js := clusterJS(t, c)
	code, stdout, stderr := runCLI(t, t.Context(), nil, "setup", "--replicas", "3", "--nats", c.URLs())
	if code != 0 {
		t.Fatalf("setup: exit %d: %s", code, stderr)
	}
	t.Logf("setup: %s", strings.TrimSpace(stdout))
	requireReplicas(t, js, 3)

	if code, _, stderr := runCLI(t, t.Context(), nil, "produce", "--nats", c.URLs(), "--persons", "3", "--days", "1", "--fast"); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, stderr)
	}
	last := streamLastSeq(t, js)
	agg := startAggregate(t, "--nats", c.URLs())
	waitFor(t, 30*time.Second, "everything consumed", func() bool {
		agg.check(t)
		return ackFloor(t, js, natsbus.DefaultConsumer) >= last
	})
	if code := getJSON(agg.base+"/readyz", nil); code != http.StatusOK {
		t.Errorf("/readyz: %d", code)
	}
	agg.stop(t)
	requireReplicas(t, js, 3)
}

// TestNATSFlagTakesAList: every command's --nats takes a comma-separated
// list of servers, as nats.Connect does: a list whose first server is down
// still connects, and a malformed server of the list is named in one line.
func TestNATSFlagTakesAList(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	urls := "nats://" + freeAddr(t) + "," + c.URL(1) + "," + c.URL(2)
	code, stdout, stderr := runCLI(t, t.Context(), nil, "setup", "--nats", urls, "--replicas", "3")
	if code != 0 {
		t.Fatalf("setup --nats %s: exit %d: %s", urls, code, stderr)
	}
	if !strings.Contains(stdout, "3 replica(s)") {
		t.Errorf("setup output %q", stdout)
	}

	bad := c.URL(0) + ",nats//b:4222"
	want := `NATS URL "nats//b:4222" (server 2 of 2) is not like nats://host:4222`
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"setup", []string{"setup", "--nats", bad}},
		{"produce", []string{"produce", "--nats", bad, "--persons", "2", "--days", "1", "--fast"}},
		{"produce with a user", []string{"produce", "--nats", bad, "--nats-user", "phone", "--nats-password", "s3cret", "--setup=false"}},
		{"aggregate", []string{"aggregate", "--nats", bad, "--http", "127.0.0.1:0"}},
		{"demo", []string{"demo", "--nats", bad, "--http", "127.0.0.1:0", "--persons", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			code, _, stderr := runCLI(t, testCtx(t, 30*time.Second), nil, args...)
			if code == 0 {
				t.Fatalf("%v: exit 0, want an error", args)
			}
			if !strings.Contains(stderr, want) || strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 || strings.Contains(stderr, "s3cret") {
				t.Errorf("%v: stderr %q, want one line with %q and no password", args, stderr, want)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// clusterStreams are the streams exhaust keeps on NATS: events, truth,
// rejects, the snapshot object store's stream and the worker bucket's.
var clusterStreams = []string{natsbus.StreamName, natsbus.TruthStream, natsbus.DLQStream, natsbus.SnapshotStream, natsbus.WorkerStream}

// clusterJS connects to every node of c, as the commands' --nats does.
func clusterJS(t *testing.T, c *natstest.Cluster) jetstream.JetStream {
	t.Helper()
	_, js := natstest.ConnectURL(t, c.URLs())
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
	base                 string     // http://host:port of its API
	stdout, stderr, logs syncBuffer // logs: warnings and errors, for failure messages
	cancel               context.CancelFunc
	code                 chan int
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
			getenv: func(string) string { return "" },
			log:    slog.New(slog.NewTextHandler(&a.logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
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
	case <-time.After(2 * time.Minute):
		// A stop waits for a snapshot being stored: after a node went
		// down, one in flight may wait out its deadline (a minute and
		// more, natsbus.SaveTimeout) before the final one is saved.
		t.Fatalf("aggregate did not stop; its log:\n%s", a.logs.String())
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
		{"workers", []string{"workers", "--nats", bad}},
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

// The city of the failover tests: small, one day, every producer. The
// flags run them on another city by hand (docs/deploy.md), e.g.
//
//	go test ./cmd/exhaust -run 'TestClusterNodeDownMidRun|TestClusterWorkersShareTheCity' -failover.persons 1000 -failover.seed 5
var (
	failoverSeedFlag    = flag.Int("failover.seed", 11, "seed of the city of the cluster failover tests")
	failoverPersonsFlag = flag.Int("failover.persons", 30, "people in the city of the cluster failover tests")
)

// failoverTime scales a bound of the failover tests (not an expected
// duration) with the city: a hundred people or fewer get d.
func failoverTime(d time.Duration) time.Duration {
	return d * time.Duration(max(1, *failoverPersonsFlag/100))
}

// TestClusterNodeDownMidRun is the cluster issue's failover check. On a
// three-node cluster set up with --replicas 3, a producer and an
// aggregator run against the comma-separated URLs; a node goes down when a
// third of the day is in the stream. The producer still stores every
// event of a run on one embedded server, each once; the aggregator
// catches up, and ends with the profiles and accuracy of an aggregator
// that reads the same stream without an outage (and of the one-server
// run, when the stream kept its order); every stream and bucket still has
// three replicas once the node is back. The node is the aggregator's own
// (its connection fails over) or another one (the stream's leader when it
// can be: an election follows).
func TestClusterNodeDownMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulation three times on clusters: not in -short mode")
	}
	began := time.Now()
	wantIDs, want, wantAccuracy := singleServerRun(t)
	t.Logf("%s: one server: %d events, %d profiles", time.Since(began).Round(time.Millisecond), len(wantIDs), len(want.Profiles()))
	for _, tc := range []struct {
		name       string
		aggregator bool // shut down the aggregator's node, else another
	}{
		{"the aggregator's node", true},
		{"another node", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			clusterRun(t, tc.aggregator, wantIDs, want, wantAccuracy)
			t.Logf("run took %s", time.Since(began).Round(time.Millisecond))
		})
	}
}

// failoverProduce returns produce's arguments for the failover test's
// city, as fast as it goes or paced (a day in about four seconds, so that
// a node goes down in the middle of it).
func failoverProduce(urls string, paced bool) []string {
	args := []string{"produce", "--nats", urls, "--seed", strconv.Itoa(*failoverSeedFlag), "--persons", strconv.Itoa(*failoverPersonsFlag), "--days", "1"}
	if paced {
		// A day in about four seconds at 30 people; a bigger city takes
		// as long as its producer needs.
		return append(args, "--speed", "20000")
	}
	return append(args, "--fast")
}

// singleServerRun produces the city on one embedded server and aggregates
// it; it returns the stream's event ids in order, the aggregator's final
// state and its /api/accuracy.
func singleServerRun(t *testing.T) ([]string, *aggregator.Engine, string) {
	t.Helper()
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	if code, _, stderr := runCLI(t, t.Context(), nil, failoverProduce(srv.URL(), false)...); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, stderr)
	}
	ids := streamIDs(t, js)
	last := uint64(len(ids))
	agg := startAggregate(t, "--nats", srv.URL(), "--consumer", "one")
	waitFor(t, failoverTime(time.Minute), "the aggregator consuming everything", func() bool {
		agg.check(t)
		return ackFloor(t, js, "one") >= last
	})
	accuracy := agg.accuracyOnceTruthRead(t, js)
	agg.stop(t)
	return ids, loadSnapshot(t, js, "one", last), accuracy
}

// accuracy returns the aggregator's /api/accuracy body.
func (a *aggregateRun) accuracy(t *testing.T) string {
	t.Helper()
	var v any
	if code := getJSON(a.base+"/api/accuracy", &v); code != http.StatusOK {
		t.Fatalf("/api/accuracy: status %d", code)
	}
	return jsonString(t, v)
}

// clusterRun is one run of TestClusterNodeDownMidRun.
func clusterRun(t *testing.T, aggregatorsNode bool, wantIDs []string, want *aggregator.Engine, wantAccuracy string) {
	began := time.Now()
	step := func(what string) { t.Logf("%s: %s", time.Since(began).Round(time.Millisecond), what) }
	c := natstest.StartCluster(t, 3)
	js := clusterJS(t, c)
	if code, _, stderr := runCLI(t, t.Context(), nil, "setup", "--replicas", "3", "--nats", c.URLs()); code != 0 {
		t.Fatalf("setup: exit %d: %s", code, stderr)
	}

	// The producer sets the streams up itself too (produce's default):
	// that must not change their replicas.
	produced := make(chan string, 1)
	var produceLog syncBuffer // the publisher's retries, for a failure message
	go func() {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), failoverProduce(c.URLs(), true), &cliEnv{
			stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
			log: slog.New(slog.NewTextHandler(&produceLog, &slog.HandlerOptions{Level: slog.LevelInfo})),
		})
		produced <- fmt.Sprintf("exit %d: %s", code, stderr.String())
	}()
	// Frequent snapshots, so that some are saved to the object store
	// while a node is down.
	agg := startAggregate(t, "--nats", c.URLs(), "--consumer", "cluster", "--snapshot-every", "200", "--snapshot-interval", "100ms")

	// Down in the middle of the day: a third of the events published.
	total := uint64(len(wantIDs))
	waitFor(t, failoverTime(time.Minute), "a third of the events in the stream", func() bool {
		agg.check(t)
		return streamCount(t.Context(), js) >= total/3
	})
	down := nodeToShutDown(t, c, js, aggregatorsNode)
	inStream, consumed := streamCount(t.Context(), js), ackFloor(t, js, "cluster")
	c.Shutdown(down)
	step(fmt.Sprintf("node %s down with %d of %d events in the stream, %d consumed", c.Name(down), inStream, total, consumed))

	select {
	case got := <-produced:
		if got != "exit 0: " {
			t.Fatalf("produce: %s", got)
		}
	case <-time.After(failoverTime(2 * time.Minute)):
		t.Fatalf("produce did not finish; its log:\n%s", produceLog.String())
	}
	step("produced")
	waitFor(t, failoverTime(2*time.Minute), "the aggregator catching up", func() bool {
		agg.check(t)
		return ackFloor(t, js, "cluster") >= total
	})
	step("consumed")
	accuracy := agg.accuracyOnceTruthRead(t, js)
	agg.stop(t)
	step("aggregator stopped")
	got := loadSnapshot(t, js, "cluster", total)

	// The producer lost nothing and stored nothing twice. The order may
	// differ from the one-server run: messages a dying stream leader had
	// not replicated are lost without a disconnect, and the publisher's
	// retries of them come after newer messages the new leader stored.
	// The aggregator puts them back in publication order (the publisher
	// numbers its messages), so the state must not differ.
	ids := streamIDs(t, js)
	if !sameEvents(t, ids, wantIDs) {
		step("the stream holds the events in another order than on one server: " + reorderOf(t, js))
	}

	c.Restart(down)
	step("node restarted")
	requireReplicas(t, js, 3)
	step("replicas current")

	// The aggregator that went through the outage ends as one that reads
	// the same stream without any.
	calm := startAggregate(t, "--nats", c.URLs(), "--consumer", "calm")
	waitFor(t, failoverTime(time.Minute), "a second aggregator consuming everything", func() bool {
		calm.check(t)
		return ackFloor(t, js, "calm") >= total
	})
	if calmAccuracy := calm.accuracyOnceTruthRead(t, js); accuracy != calmAccuracy {
		t.Errorf("accuracy through the outage:\n%s\nwithout one, same stream:\n%s", accuracy, calmAccuracy)
	}
	calm.stop(t)
	sameProfiles(t, got, loadSnapshot(t, js, "calm", total))
	step("same state as without the outage")

	// And as on one server, whatever order the stream holds.
	if accuracy != wantAccuracy {
		t.Errorf("accuracy:\n%s\nwant that of the one-server run:\n%s", accuracy, wantAccuracy)
	}
	sameProfiles(t, got, want)
	step("same state as on one server")
}

// accuracyOnceTruthRead returns /api/accuracy once the aggregator has read
// the whole ground truth of js's truth stream, which it follows apart from
// the events: once it counts every person of the stream, and two readings
// a moment apart agree (a person's truth may change during the day; the
// stream keeps the latest, which a follower reads after the earlier).
func (a *aggregateRun) accuracyOnceTruthRead(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	persons := truthPersons(t, js)
	var prev string
	for deadline := time.Now().Add(30 * time.Second); ; {
		cur := a.accuracy(t)
		var acc struct {
			Persons int `json:"persons"`
		}
		if err := json.Unmarshal([]byte(cur), &acc); err != nil {
			t.Fatal(err)
		}
		if acc.Persons == persons && cur == prev {
			return cur
		}
		if time.Now().After(deadline) {
			t.Fatalf("accuracy not settled after 30s (%d persons in the truth stream): %s", persons, cur)
		}
		prev = cur
		time.Sleep(200 * time.Millisecond) // polling interval, not synchronisation
	}
}

// truthPersons returns how many persons the truth stream holds.
func truthPersons(t *testing.T, js jetstream.JetStream) int {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	s, err := js.Stream(ctx, natsbus.TruthStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(natsbus.PersonSubjects))
	if err != nil {
		t.Fatal(err)
	}
	return len(info.State.Subjects)
}

// sameEvents fails the test unless got holds want's event ids, each once;
// it reports whether they are in the same order too.
func sameEvents(t *testing.T, got, want []string) bool {
	t.Helper()
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var doubled, lost int
	for _, n := range count {
		doubled += max(n-1, 0)
	}
	for _, id := range want {
		if count[id] == 0 {
			lost++
		}
	}
	if len(got) != len(want) || doubled > 0 || lost > 0 {
		t.Fatalf("stream holds %d events, the one-server run %d: %d lost, %d doubled", len(got), len(want), lost, doubled)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Logf("same events, not in the same order from sequence %d", i+1)
			return false
		}
	}
	return true
}

// nodeToShutDown returns the node to shut down: the one the aggregator is
// connected to, or else one it is not connected to, the EXHAUST stream's
// leader if it is such a node.
func nodeToShutDown(t *testing.T, c *natstest.Cluster, js jetstream.JetStream, aggregatorsNode bool) int {
	t.Helper()
	agg := -1
	for i := range c.Len() {
		connz, err := c.Server(i).Connz(&server.ConnzOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, conn := range connz.Conns {
			if conn.Name == "exhaust-aggregator" {
				agg = i
			}
		}
	}
	if agg < 0 {
		t.Fatal("the aggregator is connected to no node")
	}
	if aggregatorsNode {
		return agg
	}
	s, err := js.Stream(testCtx(t, 10*time.Second), natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if leader := c.Index(s.CachedInfo().Cluster.Leader); leader >= 0 && leader != agg {
		return leader
	}
	return (agg + 1) % c.Len()
}

// reorderOf says how far the stream's order strays from its publishers'
// orders: how many messages are stored after one numbered later by their
// publisher, and the most positions one of them is stored late.
func reorderOf(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	highest := map[string]uint64{} // publisher → highest number stored so far
	at := map[string]map[uint64]uint64{}
	late, furthest := 0, uint64(0)
	eachStreamMessage(t, js, func(m *natsbus.Message) {
		pub, n, _, ok := natsbus.Publication(m.Header)
		if !ok {
			return
		}
		if at[pub] == nil {
			at[pub] = map[uint64]uint64{}
		}
		at[pub][n] = m.Seq
		if n < highest[pub] {
			late++
			// Stored at m.Seq; in publication order it would have come
			// before the next number stored.
			for next := n + 1; next <= highest[pub]; next++ {
				if seq, ok := at[pub][next]; ok {
					furthest = max(furthest, m.Seq-seq)
					break
				}
			}
		}
		highest[pub] = max(highest[pub], n)
	})
	return fmt.Sprintf("%d publisher(s); %d messages stored after later ones of their publisher, up to %d positions late", len(highest), late, furthest)
}

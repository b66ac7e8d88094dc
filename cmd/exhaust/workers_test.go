package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"exhaust/api"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/shard"
)

// workerTTL is the worker bucket's TTL in the workers' test: short, so that
// the killed worker's people change hands within the test.
const workerTTL = 2 * time.Second

// workerRun is one worker of TestClusterWorkersShareTheCity: in this
// process (agg) or a child one that can be killed (proc).
type workerRun struct {
	base     string
	consumer string
	agg      *aggregateRun
	proc     *proc
}

func (w *workerRun) check(t *testing.T) {
	t.Helper()
	if w.agg != nil {
		w.agg.check(t)
	} else {
		w.proc.check(t)
	}
}

// TestClusterWorkersShareTheCity is the cluster issue's check on workers:
// three exhaust aggregate processes started alike on a three-node cluster
// (routes, JetStream, every stream and bucket R3) claim slots 0, 1 and 2.
// Mid-run, one worker is killed (SIGKILL: no goodbye, its slot expires)
// and one server node goes down. The survivors take the killed worker's
// people over on /metrics; the killed worker, started again, resumes its
// slot's consumer from its snapshot. In the end every worker answers the
// API for the whole city with the profiles, identifiers, facts and
// accuracy of one aggregator alone on one server, and their /metrics
// export each person once between them.
func TestClusterWorkersShareTheCity(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulation twice, on a cluster with child processes: not in -short mode")
	}
	t.Setenv(asMainEnv, "1") // children of os.Executable() run as exhaust
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	step := func(what string) { t.Logf("%s: %s", time.Since(began).Round(time.Millisecond), what) }
	wantIDs, want, wantAccuracy := singleServerRun(t)
	step(fmt.Sprintf("one aggregator on one server: %d events, %d profiles", len(wantIDs), len(want.Profiles())))

	c := natstest.StartCluster(t, 3)
	js := clusterJS(t, c)
	if _, err := js.CreateKeyValue(testCtx(t, 10*time.Second), jetstream.KeyValueConfig{
		Bucket: natsbus.WorkerBucket, TTL: workerTTL, Storage: jetstream.MemoryStorage,
	}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, t.Context(), nil, "setup", "--replicas", "3", "--nats", c.URLs()); code != 0 {
		t.Fatalf("setup: exit %d: %s", code, stderr)
	}
	requireReplicas(t, js, 3)
	produced := make(chan string, 1)
	go func() {
		code, _, stderr := runCLI(t, t.Context(), nil, failoverProduce(c.URLs(), true)...)
		produced <- fmt.Sprintf("exit %d: %s", code, stderr)
	}()

	// No flag that names a consumer: the slot does. Frequent snapshots, so
	// that the kill falls between two; a cap above the city's profiles,
	// so that /metrics shows everybody.
	args := []string{"--nats", c.URLs(), "--snapshot-every", "200", "--snapshot-interval", "100ms", "--person-cap", strconv.Itoa(max(10000, 10**failoverPersonsFlag))}
	workers := []*workerRun{
		{agg: startAggregate(t, args...)},
		{agg: startAggregate(t, args...)},
		startWorkerProc(t, exe, "aggregate (slot 2)", args),
	}
	for i, w := range workers {
		if w.agg != nil {
			w.base = w.agg.base
			w.consumer = slotOf(t, w.agg.stdout.String())
		}
		if want := workerConsumer(i); w.consumer != want {
			t.Fatalf("worker %d consumes as %q, want %q (slot %d)", i, w.consumer, want, i)
		}
		var cons jetstream.Consumer
		waitFor(t, 30*time.Second, w.consumer+" created", func() bool {
			c, err := js.Consumer(testCtx(t, 5*time.Second), natsbus.StreamName, w.consumer)
			cons = c
			return err == nil // a busy cluster may not answer at once
		})
		if got := cons.CachedInfo().Config.InactiveThreshold; got != natsbus.WorkerConsumerInactive {
			t.Errorf("%s: inactive threshold %s, want %s", w.consumer, got, natsbus.WorkerConsumerInactive)
		}
	}
	step("three workers in slots 0, 1 and 2")

	total := uint64(len(wantIDs))
	waitFor(t, failoverTime(time.Minute), "a third of the events in the stream", func() bool {
		workers[2].check(t)
		return streamCount(t.Context(), js) >= total/3
	})
	// The node that leads EXHAUST: the stream may store some messages
	// after later ones (the publisher's retries of what the leader had not
	// replicated), which the workers put back in publication order.
	down := leaderNode(t, c, js)
	if err := workers[2].proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = workers[2].proc.wait(t, 10*time.Second)
	c.Shutdown(down)
	step(fmt.Sprintf("worker 2 killed, node %s down, %d of %d events in the stream", c.Name(down), streamCount(t.Context(), js), total))

	// The survivors see two workers and export everybody between them.
	for _, w := range workers[:2] {
		waitFor(t, 30*time.Second, "the survivors seeing two workers", func() bool {
			w.check(t)
			return scrapeWorker(t, w).workers == 2
		})
	}
	step("the survivors see two workers")

	select {
	case got := <-produced:
		if got != "exit 0: " {
			t.Fatalf("produce: %s", got)
		}
	case <-time.After(failoverTime(2 * time.Minute)):
		t.Fatal("produce did not finish")
	}
	step("produced")
	c.Restart(down)
	requireReplicas(t, js, 3)
	step("node restarted, replicas current")
	for _, w := range workers[:2] {
		waitFor(t, failoverTime(2*time.Minute), w.consumer+" catching up", func() bool {
			w.check(t)
			return ackFloor(t, js, w.consumer) >= total
		})
	}
	eachPersonOnce(t, workers[:2])
	step("the two survivors export each person once")

	// The killed worker, started again, claims the free slot 2 and
	// resumes its consumer from its last snapshot.
	workers[2] = startWorkerProc(t, exe, "aggregate (slot 2, restarted)", args)
	if workers[2].consumer != workerConsumer(2) {
		t.Fatalf("the restarted worker consumes as %q, want %q", workers[2].consumer, workerConsumer(2))
	}
	waitFor(t, failoverTime(2*time.Minute), "the restarted worker catching up", func() bool {
		workers[2].check(t)
		return ackFloor(t, js, workers[2].consumer) >= total
	})
	for _, w := range workers {
		waitFor(t, 30*time.Second, "every worker seeing three", func() bool {
			w.check(t)
			return scrapeWorker(t, w).workers == 3
		})
	}
	eachPersonOnce(t, workers)
	step("three workers export each person once")

	// Any worker answers for the whole city, and they all agree.
	ids := streamIDs(t, js)
	if !sameEvents(t, ids, wantIDs) {
		step("the stream holds the events in another order than on one server: " + reorderOf(t, js))
	}
	var list string
	for i, w := range workers {
		// The ground truth is followed apart from the events: once it is
		// read whole, the listings' truth fields agree too.
		acc := accuracyOf(t, w, js)
		if acc != wantAccuracy {
			t.Errorf("worker %d accuracy:\n%s\nwant one aggregator's on one server:\n%s", i, acc, wantAccuracy)
		}
		profiles := listProfiles(t, w)
		if got := jsonString(t, profiles); i == 0 {
			list = got
		} else if got != list {
			t.Errorf("worker %d lists other profiles than worker 0:\n%.600s\n%.600s", i, got, list)
		}
		if len(profiles) == 0 {
			t.Fatalf("worker %d lists no profile", i)
		}
		// A profile only another worker exports on /metrics is answered
		// in full here too.
		var one api.Profile
		if code := getJSON(w.base+"/api/profiles/"+profiles[len(profiles)/2].ID, &one); code != http.StatusOK || len(one.Identifiers) == 0 {
			t.Errorf("worker %d /api/profiles/%s: status %d, %d identifiers", i, profiles[len(profiles)/2].ID, code, len(one.Identifiers))
		}
	}
	for _, w := range workers {
		if w.agg != nil {
			w.agg.stop(t)
		} else if err := w.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		} else if err := w.proc.wait(t, 30*time.Second); err != nil {
			t.Fatalf("%s after SIGTERM: %v\n%s", w.proc.name, err, w.proc.output())
		}
	}
	// Each stops with a final snapshot of its slot: the same state as one
	// aggregator on one server, whatever order the stream holds.
	for _, w := range workers {
		name := w.consumer // a slot's snapshot is named after its consumer, but slot 0's
		if name == natsbus.DefaultConsumer {
			name = natsbus.DefaultSnapshotObject
		}
		sameProfiles(t, loadSnapshot(t, js, name, total), want)
	}
	step("every worker holds the state of one aggregator alone")
}

// startWorkerProc starts a worker as a child process and waits for its
// slot and HTTP address.
func startWorkerProc(t *testing.T, exe, name string, args []string) *workerRun {
	t.Helper()
	p := startProc(t, exe, name, append([]string{"aggregate", "--http", "127.0.0.1:0"}, args...)...)
	w := &workerRun{proc: p}
	waitFor(t, 30*time.Second, name+"'s HTTP address", func() bool {
		p.check(t)
		if m := httpLine.FindStringSubmatch(p.output()); m != nil {
			w.base = m[1]
			return true
		}
		return false
	})
	w.consumer = slotOf(t, p.output())
	return w
}

// slotOf returns the consumer an aggregator's start lines name.
func slotOf(t *testing.T, out string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(line, "exhaust aggregate: consuming "); ok {
			if i := strings.LastIndex(rest, " as "); i >= 0 {
				return strings.TrimSpace(rest[i+len(" as "):])
			}
		}
	}
	t.Fatalf("no consumer in the aggregator's start lines:\n%s", out)
	return ""
}

// leaderNode returns the node that leads the EXHAUST stream.
func leaderNode(t *testing.T, c *natstest.Cluster, js jetstream.JetStream) int {
	t.Helper()
	s, err := js.Stream(testCtx(t, 10*time.Second), natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info := s.CachedInfo()
	if info.Cluster == nil {
		t.Fatal("EXHAUST has no cluster information")
	}
	i := c.Index(info.Cluster.Leader)
	if i < 0 {
		t.Fatalf("EXHAUST's leader %q is none of the cluster's nodes", info.Cluster.Leader)
	}
	return i
}

// workerScrape is what one scrape of a worker's /metrics says of sharing.
type workerScrape struct {
	workers, owned, profiles float64
	persons                  []string
	scores                   bool // it exports the city's accuracy
}

// parseMetrics reads the exposition of base's /metrics from resp and
// closes it.
func parseMetrics(t *testing.T, base string, resp *http.Response) map[string]*dto.MetricFamily {
	t.Helper()
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse %s/metrics: %v", base, err)
	}
	return fams
}

func scrapeWorker(t *testing.T, w *workerRun) workerScrape {
	t.Helper()
	resp, err := http.Get(w.base + "/metrics")
	if err != nil {
		time.Sleep(time.Second) // an exit code on its way
		w.check(t)
		if w.agg != nil {
			t.Fatalf("%v; its log:\n%s", err, w.agg.logs.String())
		}
		t.Fatal(err)
	}
	fams := parseMetrics(t, w.base, resp)
	gauge := func(name string) float64 {
		f, ok := fams[name]
		if !ok || len(f.GetMetric()) != 1 {
			t.Fatalf("%s/metrics: no single %s", w.base, name)
		}
		return f.GetMetric()[0].GetGauge().GetValue()
	}
	s := workerScrape{workers: gauge("exhaust_workers"), owned: gauge("exhaust_profiles_owned"), profiles: gauge("exhaust_profiles")}
	_, s.scores = fams["exhaust_linkage_precision"]
	for _, m := range fams["exhaust_profile_info"].GetMetric() { // one per person
		for _, l := range m.GetLabel() {
			if l.GetName() == "person" {
				s.persons = append(s.persons, l.GetValue())
			}
		}
	}
	return s
}

// eachPersonOnce fails the test unless workers, scraped, export the
// per-person series of every profile of the city once between them.
func eachPersonOnce(t *testing.T, workers []*workerRun) {
	t.Helper()
	// A scrape serves the view read at the previous one when the state
	// changed since (promexport's slow view), and a big city's view takes
	// a while to read again: scrape until two agree and the view is the
	// current state's (its profile count and persons are the listing's),
	// or until the bound, and then say what differs.
	var scrapes []workerScrape
	var all []api.Summary
	settleBy := time.Now().Add(failoverTime(20 * time.Second))
	waitFor(t, failoverTime(30*time.Second), "the workers' views settling", func() bool {
		prev := scrapes
		scrapes = scrapes[:0:0]
		for _, w := range workers {
			scrapes = append(scrapes, scrapeWorker(t, w))
		}
		if len(prev) != len(scrapes) {
			return false
		}
		for i := range scrapes {
			if !slices.Equal(prev[i].persons, scrapes[i].persons) || prev[i].workers != float64(len(workers)) {
				return false
			}
		}
		all = listProfiles(t, workers[0])
		n := 0
		for _, s := range scrapes {
			n += len(s.persons)
		}
		return n == len(all) || time.Now().After(settleBy)
	})
	exported := map[string]int{}
	var owned float64
	scorers := 0
	for i, s := range scrapes {
		if s.scores {
			scorers++
		}
		if s.profiles != float64(len(all)) {
			t.Errorf("worker %d: exhaust_profiles %v, want the city's %d", i, s.profiles, len(all))
		}
		if int(s.owned) != len(s.persons) {
			t.Errorf("worker %d owns %v profiles and exports %d", i, s.owned, len(s.persons))
		}
		if len(s.persons) == len(all) {
			t.Errorf("worker %d exports all %d persons alone", i, len(all))
		}
		owned += s.owned
		for _, p := range s.persons {
			exported[p]++
		}
	}
	for _, p := range all {
		if exported[p.ID] != 1 {
			t.Errorf("profile %s exported by %d workers, want 1", p.ID, exported[p.ID])
		}
	}
	if scorers != 1 {
		t.Errorf("%d workers export the city's accuracy, want 1", scorers)
	}
	if len(exported) != len(all) || owned != float64(len(all)) {
		t.Errorf("%d persons exported, owned gauges sum to %v, the city has %d profiles", len(exported), owned, len(all))
	}
}

// listProfiles returns the worker's /api/profiles, every page.
func listProfiles(t *testing.T, w *workerRun) []api.Summary {
	t.Helper()
	var all []api.Summary
	for page := 1; ; page++ {
		var list api.ProfileList
		if code := getJSON(fmt.Sprintf("%s/api/profiles?per_page=%d&page=%d", w.base, api.MaxPerPage, page), &list); code != http.StatusOK {
			t.Fatalf("%s/api/profiles page %d: status %d", w.base, page, code)
		}
		all = append(all, list.Profiles...)
		if len(list.Profiles) == 0 || len(all) >= list.Total {
			if len(all) != list.Total {
				t.Fatalf("%s/api/profiles: %d profiles over the pages, total %d", w.base, len(all), list.Total)
			}
			return all
		}
	}
}

// accuracyOf returns the worker's /api/accuracy once its ground truth is
// read whole.
func accuracyOf(t *testing.T, w *workerRun, js jetstream.JetStream) string {
	t.Helper()
	if w.agg != nil {
		return w.agg.accuracyOnceTruthRead(t, js)
	}
	a := &aggregateRun{base: w.base, code: make(chan int, 1)}
	return a.accuracyOnceTruthRead(t, js)
}

// TestAggregateWithoutTheWorkerBucket: a NATS user who may not use the
// worker bucket gets one line that says how to run alone, and running
// alone (--consumer) works with the same rights.
func TestAggregateWithoutTheWorkerBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for requests the server never answers: not in -short mode")
	}
	opts := &server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "agg", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Allow: []string{">"}, Deny: []string{"$JS.API.STREAM.*.KV_EXHAUST_WORKERS", "$KV.>"}},
		}}},
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	url := fmt.Sprintf("nats://agg:pw@%s", srv.Addr())
	code, _, stderr := runCLI(t, t.Context(), nil, "aggregate", "--nats", url, "--http", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, "give --consumer to run alone") || !strings.Contains(stderr, "may this NATS user use the bucket") {
		t.Fatalf("exit %d, stderr %q: want an error naming the bucket and --consumer", code, stderr)
	}
	if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
		t.Errorf("error is %d lines, want one:\n%s", n+1, stderr)
	}
	alone := startAggregate(t, "--nats", url, "--consumer", "alone")
	alone.stop(t)
	if strings.Contains(alone.stdout.String(), "worker ") {
		t.Errorf("an aggregator given --consumer joined the workers:\n%s", alone.stdout.String())
	}
}

// handledLine is the count of messages a stopped aggregator says it
// handled in this run.
var handledLine = regexp.MustCompile(`stopped: (\d+) messages handled`)

// TestNewWorkerStartsFromAPeersSnapshot: a worker joining a group whose
// first worker has caught up restores that worker's snapshot instead of
// replaying the stream, ends in the same state, and saves it as its own
// slot's snapshot.
func TestNewWorkerStartsFromAPeersSnapshot(t *testing.T) {
	srv := natstest.RunServer(t)
	js, total := produceDay(t, srv, 6)
	first := startAggregate(t, "--nats", srv.URL(), "--snapshot-interval", "100ms")
	waitFor(t, time.Minute, "the first worker's snapshot covering the stream", func() bool {
		first.check(t)
		// It saves every 100 ms meanwhile: a read that races a save fails
		// and is tried again.
		seq, err := readSnapshotSeq(testCtx(t, 10*time.Second), js, natsbus.DefaultSnapshotObject)
		return err == nil && seq >= total
	})
	second := startAggregate(t, "--nats", srv.URL())
	if got := slotOf(t, second.stdout.String()); got != workerConsumer(1) {
		t.Fatalf("the second worker consumes as %s, want slot 1's %s", got, workerConsumer(1))
	}
	// Ready means consuming: a worker stopped while it still positions its
	// consumer (which the ack floor below can already show) returns
	// without saving, and the next start borrows the peer's snapshot again.
	waitFor(t, time.Minute, "the second worker caught up and consuming", func() bool {
		second.check(t)
		return ackFloor(t, js, workerConsumer(1)) >= total && getJSON(second.base+"/readyz", nil) == http.StatusOK
	})
	second.stop(t)
	first.stop(t)
	m := handledLine.FindStringSubmatch(second.stdout.String())
	if m == nil {
		t.Fatalf("no stop line:\n%s", second.stdout.String())
	}
	if n, _ := strconv.Atoi(m[1]); n != 0 {
		t.Errorf("the second worker handled %d of the stream's %d messages, want none: it should start from the first's snapshot", n, total)
	}
	sameProfiles(t, loadSnapshot(t, js, workerConsumer(1), total), loadSnapshot(t, js, natsbus.DefaultSnapshotObject, total))
}

func TestIsWorkerSnapshot(t *testing.T) {
	for name, want := range map[string]bool{
		natsbus.DefaultSnapshotObject:          true,
		workerConsumer(1):                      true,
		workerConsumer(natsbus.MaxWorkers - 1): true,
		workerConsumer(natsbus.MaxWorkers):     false,
		natsbus.DefaultConsumer + "-0":         false, // slot 0 keeps the lone aggregator's name
		natsbus.DefaultConsumer + "-01":        false,
		natsbus.DefaultConsumer + "-x":         false,
		"calm":                                 false,
	} {
		if got := isWorkerSnapshot(name); got != want {
			t.Errorf("isWorkerSnapshot(%q) = %v, want %v", name, got, want)
		}
	}
}

// snapshotsEncoded is how many snapshots the aggregator at base has
// serialised since it started (exhaust_snapshot_seconds{phase="encode"}).
func snapshotsEncoded(t *testing.T, base string) uint64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, base, resp)
	for _, m := range fams["exhaust_snapshot_seconds"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "phase" && l.GetValue() == "encode" {
				return m.GetHistogram().GetSampleCount()
			}
		}
	}
	t.Fatalf("%s/metrics: no exhaust_snapshot_seconds{phase=\"encode\"}", base)
	return 0
}

// TestOneWorkerSavesTheGroupsSnapshots: two workers apply the same
// stream with a snapshot due every 50 messages; only the one on snapshot
// duty (shard.Owner of shard.SnapshotsKey) saves them while both run, and when
// it leaves, the other takes the duty over.
func TestOneWorkerSavesTheGroupsSnapshots(t *testing.T) {
	srv := natstest.RunServer(t)
	js, total := produceDay(t, srv, 6)
	flags := []string{"--nats", srv.URL(), "--snapshot-every", "50", "--snapshot-interval", "100ms"}
	workers := []*aggregateRun{startAggregate(t, flags...), startAggregate(t, flags...)}
	if got := slotOf(t, workers[1].stdout.String()); got != workerConsumer(1) {
		t.Fatalf("the second worker consumes as %s, want slot 1's %s", got, workerConsumer(1))
	}
	waitFor(t, time.Minute, "both workers caught up", func() bool {
		workers[0].check(t)
		workers[1].check(t)
		return ackFloor(t, js, workerConsumer(0)) >= total && ackFloor(t, js, workerConsumer(1)) >= total
	})
	duty := shard.Owner(shard.SnapshotsKey, []int{0, 1})
	on, off := workers[duty], workers[1-duty]
	waitFor(t, time.Minute, "the snapshot of the worker on duty", func() bool { return snapshotsEncoded(t, on.base) > 0 })
	if n := snapshotsEncoded(t, off.base); n != 0 {
		t.Errorf("slot %d serialised %d snapshots of the %d messages while slot %d was on duty, want none", 1-duty, n, total, duty)
	}
	on.stop(t)
	waitFor(t, time.Minute, "the other worker saving once the one on duty has left", func() bool {
		off.check(t)
		return snapshotsEncoded(t, off.base) > 0
	})
	off.stop(t)
	sameProfiles(t, loadSnapshot(t, js, workerConsumer(1), total), loadSnapshot(t, js, natsbus.DefaultSnapshotObject, total))
}

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// testServerCommand makes the test binary, run as the exhaust command (see
// TestMain), a bare nats-server instead: "<binary> nats-server-for-tests
// <host:port> <store dir>". It shuts down cleanly on SIGTERM; SIGKILL kills
// it the way a crash would, leaving its file store as it was.
const testServerCommand = "nats-server-for-tests"

// runTestServer is the child process of testServerCommand. It never
// returns.
func runTestServer(args []string) {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: nats-server-for-tests HOST:PORT STORE_DIR")
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: args[0], DataDir: args[1], Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready", srv.URL())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	<-ctx.Done()
	stop()
	srv.Shutdown()
	os.Exit(0)
}

// brokerSeed and brokerPersons make the city of the broker tests: small,
// one day, every producer.
const (
	brokerSeed    = "7"
	brokerPersons = "12"
)

// TestBrokerRestartMidRun is issue 13's broker check. A nats-server with a
// file store is stopped in the middle of a produce run, cleanly (SIGTERM)
// or killed (SIGKILL), together with an aggregator (SIGKILL: no final
// snapshot), then started again on the same store and port. The producer,
// which runs on, must end with the stream of a clean run of the same seed:
// the same events, each once, in the same order. The killed aggregator,
// restarted from its last snapshot, and a second one that stayed up through
// the outage must both end with the profiles of an aggregator that
// consumed the clean run.
func TestBrokerRestartMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulation three times with child processes: not in -short mode")
	}
	t.Setenv(asMainEnv, "1") // children of os.Executable() run as exhaust
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wantIDs, want := cleanBrokerRun(t, exe)
	t.Logf("clean run: %d events, %d profiles", len(wantIDs), len(want.Profiles()))

	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"stop", syscall.SIGTERM},
		{"kill", syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faultedBrokerRun(t, exe, tc.sig, wantIDs, want)
		})
	}
}

// cleanBrokerRun produces the city on a server that stays up and
// aggregates it; it returns the stream's event ids in order and the
// aggregator's final state.
func cleanBrokerRun(t *testing.T, exe string) ([]string, *aggregator.Engine) {
	t.Helper()
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	if code, _, stderr := runCLI(t, t.Context(), nil, "produce", "--nats", srv.URL(),
		"--seed", brokerSeed, "--persons", brokerPersons, "--days", "1", "--fast"); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, stderr)
	}
	ids := streamIDs(t, js)
	agg := startProc(t, exe, "aggregate (clean run)", "aggregate", "--nats", srv.URL(), "--http", "127.0.0.1:0", "--consumer", "clean")
	last := uint64(len(ids))
	stopAfterConsuming(t, js, agg, "clean", last)
	return ids, loadSnapshot(t, js, "clean", last)
}

// faultedBrokerRun is one run of TestBrokerRestartMidRun: the server and
// an aggregator go down with sig (the aggregator always with SIGKILL)
// after a third of the events are in the stream.
func faultedBrokerRun(t *testing.T, exe string, sig syscall.Signal, wantIDs []string, want *aggregator.Engine) {
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	store := t.TempDir()
	url := "nats://" + listen
	began := time.Now()
	broker := startBroker(t, exe, listen, store, "")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	nc, err := natsbus.Connect(ctx, url, t.Name(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}

	// The producer runs in this process, paced so that the outage falls in
	// the middle of the day: it is the one that must resume.
	var logs syncBuffer
	p := &pipeline{natsURL: url, log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	fs := flag.NewFlagSet("produce", flag.ContinueOnError)
	p.opts.register(fs, 1)
	if err := fs.Parse([]string{"--seed", brokerSeed, "--persons", brokerPersons, "--speed", "30000"}); err != nil {
		t.Fatal(err)
	}
	if err := p.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	produced := make(chan error, 1)
	go func() { produced <- p.Run(ctx) }()

	aggArgs := func(consumer string) []string {
		// Frequent snapshots, so that the kill falls between two of them
		// with events applied since the last: those must be replayed.
		return []string{"aggregate", "--nats", url, "--http", "127.0.0.1:0", "--consumer", consumer,
			"--snapshot-every", "200", "--snapshot-interval", "100ms"}
	}
	killed := startProc(t, exe, "aggregate (killed)", aggArgs("killed")...)
	survivor := startProc(t, exe, "aggregate (stays up)", aggArgs("survivor")...)

	total := uint64(len(wantIDs))
	waitFor(t, time.Minute, "a third of the events in the stream", func() bool {
		killed.check(t)
		return streamCount(ctx, js) >= total/3
	})
	// Down together: the broker (cleanly or not) and an aggregator.
	if err := broker.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if err := killed.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = broker.wait(t, 30*time.Second)
	if sig == syscall.SIGTERM && err != nil {
		t.Fatalf("broker after SIGTERM: %v\n%s", err, broker.output())
	}
	_ = killed.wait(t, 10*time.Second)
	atOutage := p.runner.Stats().Total
	t.Logf("%s: broker down (%s) with %d of %d events handed to the publisher", time.Since(began).Round(time.Millisecond), sig, atOutage, total)
	if atOutage >= total {
		t.Log("the producer had handed over every event: only the acks in flight were at stake")
	}
	// The producer runs into the outage: its publisher retries, with
	// backoff, and publishes nothing newer meanwhile.
	waitFor(t, time.Minute, "the publisher retrying while the broker is down", func() bool {
		ps := p.pub.Stats()
		return ps.Retries >= 3 || (ps.Pending == 0 && p.runner.Stats().Total >= total)
	})

	t.Logf("%s: restarting the broker", time.Since(began).Round(time.Millisecond))
	broker = startBroker(t, exe, listen, store, " (restarted)")
	killed = startProc(t, exe, "aggregate (killed, restarted)", aggArgs("killed")...)
	select {
	case err := <-produced:
		if err != nil {
			t.Fatalf("produce: %v\n%s", err, logs.String())
		}
	case <-ctx.Done():
		t.Fatalf("produce did not finish: publisher %+v\n%s", p.pub.Stats(), logs.String())
	}
	t.Logf("%s: producer done", time.Since(began).Round(time.Millisecond))
	ps := p.pub.Stats()
	t.Logf("publisher: %d stored, %d already stored, %d retries, %d failed", ps.Published, ps.Duplicates, ps.Retries, ps.Failed)

	gotIDs := streamIDs(t, js)
	sameIDs(t, gotIDs, wantIDs, logs.String())
	last := uint64(len(gotIDs))
	for _, a := range []struct {
		p        *proc
		consumer string
	}{{killed, "killed"}, {survivor, "survivor"}} {
		stopAfterConsuming(t, js, a.p, a.consumer, last)
		t.Logf("%s: aggregator %s stopped", time.Since(began).Round(time.Millisecond), a.consumer)
		got := loadSnapshot(t, js, a.consumer, last)
		sameProfiles(t, got, want)
		if gs, ws := got.Stats(), want.Stats(); !reflect.DeepEqual(gs, ws) {
			t.Errorf("aggregator %s: engine counts %+v, clean run %+v", a.consumer, gs, ws)
		}
	}
	_ = broker
}

// startBroker starts a nats-server child on listen with its file store in
// store and waits until it accepts connections.
func startBroker(t *testing.T, exe, listen, store, what string) *proc {
	t.Helper()
	b := startProc(t, exe, "nats-server"+what, testServerCommand, listen, store)
	waitFor(t, 30*time.Second, "nats-server"+what+" ready", func() bool {
		b.check(t)
		return strings.Contains(b.output(), "ready ")
	})
	return b
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// streamCount returns how many messages the EXHAUST stream holds, 0 while
// the server does not answer.
func streamCount(ctx context.Context, js jetstream.JetStream) uint64 {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

// streamIDs returns the Nats-Msg-Id of every message of the EXHAUST
// stream, in stream order.
func streamIDs(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	var ids []string
	eachStreamMessage(t, js, func(m *natsbus.Message) {
		ids = append(ids, m.Header.Get(jetstream.MsgIDHeader))
	})
	return ids
}

// eachStreamMessage calls fn with every message of the EXHAUST stream, in
// stream order, and fails the test if some were removed.
func eachStreamMessage(t *testing.T, js jetstream.JetStream, fn func(m *natsbus.Message)) {
	t.Helper()
	ctx := testCtx(t, time.Minute)
	s, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != info.State.LastSeq {
		t.Errorf("stream holds %d messages up to sequence %d: some were removed", info.State.Msgs, info.State.LastSeq)
	}
	err = natsbus.ReadRange(ctx, s, 1, info.State.LastSeq+1, slog.New(slog.DiscardHandler), func(m *natsbus.Message) error {
		fn(m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sameIDs fails the test unless got holds want's event ids, each once, in
// the same order.
func sameIDs(t *testing.T, got, want []string, logs string) {
	t.Helper()
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var doubled, lost int
	for _, n := range count {
		if n > 1 {
			doubled += n - 1
		}
	}
	for _, id := range want {
		if count[id] == 0 {
			lost++
		}
	}
	if len(got) != len(want) || doubled > 0 || lost > 0 {
		t.Fatalf("stream holds %d events, clean run %d: %d lost, %d doubled\nproducer log:\n%s", len(got), len(want), lost, doubled, logs)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("same events, but not in the same order: from sequence %d on, %s instead of %s\nproducer log:\n%s", i+1, got[i], want[i], logs)
		}
	}
}

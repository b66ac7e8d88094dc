package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/aggregator/linker"
	"exhaust/event"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
	"exhaust/service"
)

func TestAggregateBadFlagsGiveOneLineError(t *testing.T) {
	srv := natstest.RunServer(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"zero snapshot count", nil, []string{"--snapshot-every", "0"}, "--snapshot-every"},
		{"no snapshots at all", nil, []string{"--snapshot-every", "-1", "--snapshot-interval", "-1s"}, "both negative"},
		{"zero snapshot spacing", nil, []string{"--snapshot-spacing", "0"}, "--snapshot-spacing must be positive"},
		{"dotted consumer", nil, []string{"--consumer", "a.b"}, "consumer"},
		{"unknown identifier kind", nil, []string{"--cooccur-exclusive", "imsi,dna"}, `"dna" is not an identifier kind`},
		{"invalid threshold", nil, []string{"--cooccur-odds", "0.5"}, "odds"},
		{"bad threshold from env", map[string]string{"EXHAUST_JOIN_WINDOW": "soon"}, nil, "EXHAUST_JOIN_WINDOW"},
		{"bad http address", nil, []string{"--http", "nowhere"}, "--http must be host:port"},
		{"tiny event size", nil, []string{"--max-event-size", "10"}, "--max-event-size"},
		{"unreachable NATS", nil, []string{"--nats", "nats://127.0.0.1:1"}, "127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"aggregate", "--nats", srv.URL(), "--http", "127.0.0.1:0"}, tc.args...)
			code, _, stderr := runCLI(t, context.Background(), tc.env, args...)
			if code == 0 {
				t.Fatalf("exit code 0, want non-zero; stderr %q", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
			if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one:\n%s", n+1, stderr)
			}
		})
	}
}

func TestFlagName(t *testing.T) {
	tests := []struct{ field, want string }{
		{"JoinWindow", "join-window"},
		{"CooccurCellM", "cooccur-cell-m"},
		{"CooccurMaxAccuracyM", "cooccur-max-accuracy-m"},
		{"CellRefRSSI", "cell-ref-rssi"},
		{"RSSIRef", "rssi-ref"},
		{"Window2D", "window2-d"},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			if got := flagName(tc.field); got != tc.want {
				t.Errorf("flagName(%q) = %q, want %q", tc.field, got, tc.want)
			}
		})
	}
}

// TestLinkerFlagsCoverConfig walks linker.Config: every threshold must have
// a flag with real help text, defaulting to linker.DefaultConfig, and
// setting the flag must set that field and no other.
func TestLinkerFlagsCoverConfig(t *testing.T) {
	typ := reflect.TypeFor[linker.Config]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			var c linker.Config
			registerLinkerFlags(fs, &c)
			if !reflect.DeepEqual(c, linker.DefaultConfig()) {
				t.Fatal("registerLinkerFlags does not start from linker.DefaultConfig()")
			}
			if linkerUsage[f.Name] == "" {
				t.Errorf("no help text for %s in linkerUsage", f.Name)
			}
			fl := fs.Lookup(flagName(f.Name))
			if fl == nil {
				t.Fatalf("no --%s flag", flagName(f.Name))
			}
			values := map[reflect.Type]string{
				reflect.TypeFor[time.Duration]():  "17s",
				reflect.TypeFor[float64]():        "0.375",
				reflect.TypeFor[int]():            "7",
				reflect.TypeFor[bool]():           "true",
				reflect.TypeFor[string]():         "x",
				reflect.TypeFor[[]event.IDKind](): "card,mac",
			}
			v, ok := values[f.Type]
			if !ok {
				t.Fatalf("no test value for %s", f.Type)
			}
			before := c
			if err := fs.Set(fl.Name, v); err != nil {
				t.Fatal(err)
			}
			got := reflect.ValueOf(c).Field(i)
			if fmt.Sprint(got.Interface()) == fmt.Sprint(reflect.ValueOf(before).Field(i).Interface()) {
				t.Errorf("--%s %s left %s at %v", fl.Name, v, f.Name, got)
			}
			// Every other field is unchanged.
			reflect.ValueOf(&c).Elem().Field(i).Set(reflect.ValueOf(before).Field(i))
			if !reflect.DeepEqual(c, before) {
				t.Errorf("--%s changed another field", fl.Name)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var httpLine = regexp.MustCompile(`HTTP +(http://\S+)`)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

// getJSON fetches url and decodes its JSON body into v; it returns the
// status code (0 if the request failed).
func getJSON(url string, v any) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			return 0
		}
	}
	return resp.StatusCode
}

// TestAggregateServesAndStopsCleanly runs exhaust aggregate in-process on a
// produced stream: it must become ready, serve profiles, and stop with exit
// code 0 on cancel, saving a snapshot of everything.
func TestAggregateServesAndStopsCleanly(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	if code, _, stderr := runCLI(t, context.Background(), nil, "produce", "--nats", srv.URL(), "--persons", "4", "--days", "1", "--fast"); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, stderr)
	}
	last := streamLastSeq(t, js)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"aggregate", "--nats", srv.URL(), "--http", "127.0.0.1:0"}, &cliEnv{
			stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			getenv: func(string) string { return "" }, log: slog.New(slog.DiscardHandler),
		})
	}()
	var base string
	waitFor(t, 20*time.Second, "the HTTP address on stdout", func() bool {
		if m := httpLine.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			return true
		}
		select {
		case code := <-exit:
			t.Fatalf("aggregate exited with %d: %s", code, stderr.String())
		default:
		}
		return false
	})
	waitFor(t, 20*time.Second, "/readyz 200", func() bool { return getJSON(base+"/readyz", nil) == http.StatusOK })
	if code := getJSON(base+"/healthz", nil); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	waitFor(t, 30*time.Second, "everything consumed", func() bool { return ackFloor(t, js, natsbus.DefaultConsumer) >= last })
	var list struct {
		Total int `json:"total"`
	}
	if code := getJSON(base+"/api/profiles", &list); code != http.StatusOK || list.Total == 0 {
		t.Errorf("/api/profiles: status %d, %d profiles", code, list.Total)
	}
	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit %d after cancel: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("aggregate did not stop")
	}
	if !strings.Contains(stdout.String(), "stopped:") {
		t.Errorf("no summary line on stdout: %q", stdout.String())
	}
	e := aggregator.New(aggregator.DefaultConfig())
	h, found, err := service.LoadSnapshot(testCtx(t, 10*time.Second), js, natsbus.DefaultSnapshotObject, e)
	if err != nil || !found || h.Seq != last {
		t.Errorf("final snapshot: found %v, seq %d, err %v; want seq %d", found, h.Seq, err, last)
	}
}

// testCtx bounds a test step: a safety net against hangs.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// streamLastSeq returns the EXHAUST stream's last sequence.
// produceDay runs exhaust produce for a day of persons people (the
// default seed) on srv and returns a JetStream context on it and the
// stream's last sequence.
func produceDay(t *testing.T, srv *natsbus.Server, persons int) (jetstream.JetStream, uint64) {
	t.Helper()
	_, js := natstest.Connect(t, srv)
	if code, _, stderr := runCLI(t, t.Context(), nil, "produce", "--nats", srv.URL(), "--persons", strconv.Itoa(persons), "--days", "1", "--fast"); code != 0 {
		t.Fatalf("produce: exit %d: %s", code, stderr)
	}
	return js, streamLastSeq(t, js)
}

func streamLastSeq(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	ctx := testCtx(t, 5*time.Second)
	s, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}

// ackFloor returns the stream sequence up to which the durable has
// acknowledged everything (0 if it does not exist yet). The aggregator acks
// only after applying, so this is how far its state has got.
func ackFloor(t *testing.T, js jetstream.JetStream, durable string) uint64 {
	t.Helper()
	ctx := testCtx(t, 5*time.Second)
	c, err := js.Consumer(ctx, natsbus.StreamName, durable)
	if err != nil {
		return 0
	}
	info, err := c.Info(ctx)
	if err != nil {
		return 0
	}
	return info.AckFloor.Stream
}

// buildExhaust builds the exhaust binary into a temporary directory.
func buildExhaust(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "exhaust")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a subprocess of the exhaust binary.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string // its stdout and stderr
	done chan error
}

// startProc starts bin with args; its output goes to a file kept for the
// failure message.
func startProc(t *testing.T, bin, name string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Only our flags: no EXHAUST_* variable from the developer's shell.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXHAUST_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() {
		p.done <- cmd.Wait()
		f.Close()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// output returns what the process printed so far.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// wait waits for the process to exit and returns its error.
func (p *proc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(d):
		t.Fatalf("%s did not exit within %s:\n%s", p.name, d, p.output())
		return nil
	}
}

// check fails the test if the process has exited: it should be running.
func (p *proc) check(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("%s exited early (%v):\n%s", p.name, err, p.output())
	default:
	}
}

// TestAggregateSurvivesKill9 is the check: exhaust aggregate, killed
// with SIGKILL at random points mid-stream and restarted, ends with exactly
// the profiles of an uninterrupted run over the same stream.
func TestAggregateSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a simulation: not in -short mode")
	}
	bin := buildExhaust(t)
	srv := natstest.RunServer(t) // file store in a temporary directory
	_, js := natstest.Connect(t, srv)
	url := srv.URL()

	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	kills := []uint64{200 + rng.Uint64N(600), 900 + rng.Uint64N(900)}
	t.Logf("kill points (acked sequences) %v, seed %d", kills, seed)

	produce := startProc(t, bin, "produce", "produce", "--nats", url, "--seed", "5", "--persons", "10", "--days", "2", "--fast")
	// The stream exists once produce has set it up.
	waitFor(t, 30*time.Second, "the EXHAUST stream", func() bool {
		produce.check(t)
		_, err := js.Stream(t.Context(), natsbus.StreamName)
		return err == nil
	})

	aggArgs := func(consumer string, extra ...string) []string {
		return append([]string{"aggregate", "--nats", url, "--http", "127.0.0.1:0", "--consumer", consumer}, extra...)
	}
	// A small snapshot period, so kills fall between snapshots with acked
	// events after the last one: those must be replayed.
	killed := aggArgs("b", "--snapshot-every", "150", "--snapshot-interval", "50ms")
	agg := startProc(t, bin, "aggregate b", killed...)
	midStream := 0
	for i, at := range kills {
		waitFor(t, 60*time.Second, fmt.Sprintf("ack floor %d", at), func() bool {
			agg.check(t)
			return ackFloor(t, js, "b") >= at || produceFinishedAndConsumed(t, js, produce, "b")
		})
		if err := agg.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = agg.wait(t, 10*time.Second)
		floor := ackFloor(t, js, "b")
		snapSeq := snapshotSeq(t, js, "b")
		last := streamLastSeq(t, js)
		t.Logf("kill %d: acked up to %d, snapshot at %d, stream at %d", i+1, floor, snapSeq, last)
		if floor < last {
			midStream++
		}
		if floor > snapSeq {
			t.Logf("kill %d: %d events acked after the snapshot must be replayed", i+1, floor-snapSeq)
		}
		agg = startProc(t, bin, fmt.Sprintf("aggregate b (restart %d)", i+1), killed...)
	}
	if midStream == 0 {
		t.Log("every kill came after the stream was consumed: only the restore path was exercised")
	}

	if err := produce.wait(t, 120*time.Second); err != nil {
		t.Fatalf("produce: %v\n%s", err, produce.output())
	}
	last := streamLastSeq(t, js)
	stopAfterConsuming(t, js, agg, "b", last)

	// The same stream, uninterrupted.
	ref := startProc(t, bin, "aggregate a", aggArgs("a")...)
	stopAfterConsuming(t, js, ref, "a", last)

	got, want := loadSnapshot(t, js, "b", last), loadSnapshot(t, js, "a", last)
	sameProfiles(t, got, want)
	t.Logf("%d events, %d profiles identical", last, len(want.Profiles()))
}

// produceFinishedAndConsumed reports whether produce is done and the
// durable has acknowledged the whole stream: a kill point can no longer be
// reached.
func produceFinishedAndConsumed(t *testing.T, js jetstream.JetStream, produce *proc, durable string) bool {
	t.Helper()
	select {
	case err := <-produce.done:
		produce.done <- err
	default:
		return false
	}
	return ackFloor(t, js, durable) >= streamLastSeq(t, js)
}

// stopAfterConsuming waits until the aggregator has applied everything up
// to last, stops it with SIGTERM and checks it exited cleanly.
func stopAfterConsuming(t *testing.T, js jetstream.JetStream, p *proc, durable string, last uint64) {
	t.Helper()
	waitFor(t, 120*time.Second, p.name+" consuming everything", func() bool {
		p.check(t)
		return ackFloor(t, js, durable) >= last
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Fatalf("%s after SIGTERM: %v\n%s", p.name, err, p.output())
	}
}

// snapshotSeq returns the sequence the named snapshot covers (0: none).
func snapshotSeq(t *testing.T, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	seq, err := readSnapshotSeq(testCtx(t, 10*time.Second), js, name)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// readSnapshotSeq returns the sequence the named snapshot covers (0: none).
// A read can fail while a running aggregator saves the object again (the
// chunks being read are purged under it): pollers try again.
func readSnapshotSeq(ctx context.Context, js jetstream.JetStream, name string) (uint64, error) {
	st, err := natsbus.OpenSnapshotStore(ctx, js, name)
	if err != nil {
		return 0, err
	}
	seq, _, _, err := st.Load(ctx)
	return seq, err
}

// loadSnapshot loads the named snapshot into a new Engine and checks it
// covers the whole stream.
func loadSnapshot(t *testing.T, js jetstream.JetStream, name string, last uint64) *aggregator.Engine {
	t.Helper()
	e := aggregator.New(aggregator.DefaultConfig())
	h, found, err := service.LoadSnapshot(testCtx(t, time.Minute), js, name, e) // a bound: a big snapshot on a cluster with a node down reads slowly
	if err != nil || !found {
		t.Fatalf("snapshot %s: found %v, %v", name, found, err)
	}
	if h.Seq != last {
		t.Fatalf("snapshot %s covers %d, want %d", name, h.Seq, last)
	}
	return e
}

// sameProfiles fails the test unless got and want hold the same profiles:
// ids, identifiers, facts and links.
func sameProfiles(t *testing.T, got, want *aggregator.Engine) {
	t.Helper()
	gp, wp := got.Profiles(), want.Profiles()
	if len(wp) == 0 {
		t.Fatal("the reference has no profiles: the comparison proves nothing")
	}
	if g, w := jsonString(t, gp), jsonString(t, wp); g != w {
		t.Fatalf("profile lists differ: %d profiles, want %d\ngot  %.800s\nwant %.800s", len(gp), len(wp), g, w)
	}
	for _, s := range wp {
		g, ok1 := got.Profile(s.ID)
		w, ok2 := want.Profile(s.ID)
		if !ok1 || !ok2 {
			t.Fatalf("profile %s missing", s.ID)
		}
		if gj, wj := jsonString(t, g), jsonString(t, w); gj != wj {
			t.Fatalf("profile %s differs:\ngot  %.800s\nwant %.800s", s.ID, gj, wj)
		}
	}
	if gs, ws := got.Stats(), want.Stats(); gs.Events != ws.Events || !reflect.DeepEqual(gs.LinksByKind, ws.LinksByKind) {
		t.Errorf("stats differ: %+v, want %+v", gs, ws)
	}
}

func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWithPprof: --pprof serves Go's profiles next to the aggregator's own
// handler, which still answers every other path.
func TestWithPprof(t *testing.T) {
	own := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "own "+r.URL.Path) })
	srv := httptest.NewServer(withPprof(own))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/: %d %.80q, want the profile index", code, body)
	}
	if code, body := get("/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("/debug/pprof/heap: %d %.80q, want a heap profile", code, body)
	}
	if code, body := get("/api/profiles"); code != http.StatusOK || body != "own /api/profiles" {
		t.Errorf("/api/profiles: %d %q, want the aggregator's own handler", code, body)
	}
}

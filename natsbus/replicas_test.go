package natsbus_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// everyStream are the streams EnsureAll makes: the snapshot bucket is
// SnapshotStream, the workers' WorkerStream.
var everyStream = []string{natsbus.StreamName, natsbus.TruthStream, natsbus.DLQStream, natsbus.SnapshotStream, natsbus.WorkerStream}

// configuredReplicas returns each stream's configured replicas.
func configuredReplicas(t *testing.T, js jetstream.JetStream) map[string]int {
	t.Helper()
	ctx := testCtx(t, 10*time.Second)
	got := map[string]int{}
	for _, name := range everyStream {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		got[name] = s.CachedInfo().Config.Replicas
	}
	return got
}

// ensureEach ensures every stream and the bucket as produce and aggregate
// do at start.
func ensureEach(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := natsbus.EnsureTruthStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := natsbus.EnsureDLQStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := natsbus.OpenSnapshotStore(ctx, js, ""); err != nil {
		t.Fatal(err)
	}
	w, err := natsbus.JoinWorkers(ctx, js, natsbus.WorkerInfo{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Leave(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestEnsureKeepsReplicas: on a three-node cluster, the ensures of produce
// and aggregate create what is missing with one replica and leave what
// EnsureAll (exhaust setup) replicated as it is, before and after it.
func TestEnsureKeepsReplicas(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	js := connectJS(t, c.URLs())

	ensureEach(t, js)
	for name, n := range configuredReplicas(t, js) {
		if n != 1 {
			t.Errorf("%s created with %d replicas, want 1", name, n)
		}
	}

	names, err := natsbus.EnsureAll(testCtx(t, 30*time.Second), js, natsbus.DefaultStreamConfig(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{natsbus.StreamName, natsbus.TruthStream, natsbus.DLQStream, natsbus.SnapshotBucket, natsbus.WorkerBucket}; !slices.Equal(names, want) {
		t.Errorf("EnsureAll names %v, want %v", names, want)
	}
	for name, n := range configuredReplicas(t, js) {
		if n != 3 {
			t.Errorf("%s has %d replicas after EnsureAll(3), want 3", name, n)
		}
	}

	ensureEach(t, js)
	for name, n := range configuredReplicas(t, js) {
		if n != 3 {
			t.Errorf("%s has %d replicas after ensuring it again, want EnsureAll's 3", name, n)
		}
	}
}

func TestEnsureAllRefusesBadReplicas(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	for _, n := range []int{0, natsbus.MaxReplicas + 1} {
		if _, err := natsbus.EnsureAll(testCtx(t, 10*time.Second), js, natsbus.DefaultStreamConfig(), n); err == nil {
			t.Errorf("EnsureAll with %d replicas: no error", n)
		}
	}
}

// connectJS connects to urls (one server or a comma-separated list) and
// returns a JetStream context; the connection closes when the test ends.
func connectJS(t *testing.T, urls string) jetstream.JetStream {
	t.Helper()
	_, js := natstest.ConnectURL(t, urls)
	return js
}

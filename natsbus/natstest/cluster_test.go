package natstest_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// TestCluster: three nodes form a JetStream cluster that takes an R3
// stream, keeps serving it with a node down, and takes the node back.
func TestCluster(t *testing.T) {
	began := time.Now()
	c := natstest.StartCluster(t, 3)
	t.Logf("cluster ready in %s", time.Since(began).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	nc, err := natsbus.Connect(ctx, c.URLs(), t.Name(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.CachedInfo().Cluster.Replicas); got != 2 {
		t.Fatalf("stream has %d replicas besides its leader, want 2", got)
	}
	// Down with the stream's leader: the others elect a new one.
	leader := c.Index(s.CachedInfo().Cluster.Leader)
	if leader < 0 {
		t.Fatalf("stream leader %q is not a node", s.CachedInfo().Cluster.Leader)
	}
	c.Shutdown(leader)
	c.WaitReady()
	for {
		// A publish sent while the stream elects its new leader gets no
		// answer: each attempt has a timeout of its own.
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.Publish(pctx, "r3.x", []byte("x"))
		cancel()
		if err == nil {
			break
		}
		t.Logf("publish: %v (connected to %s)", err, nc.ConnectedServerName())
		if ctx.Err() != nil {
			t.Fatalf("publish with node %s down: %v", c.Name(leader), err)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	c.Restart(leader)
	if c.Server(leader) == nil {
		t.Fatal("restarted node is not running")
	}
	t.Logf("done in %s", time.Since(began).Round(time.Millisecond))
}

package natstest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
)

// RunServer starts an in-process NATS server with JetStream on a free
// loopback port, storing into tb.TempDir(), and shuts it down when the test
// ends.
func RunServer(tb testing.TB) *natsbus.Server {
	tb.Helper()
	srv, err := natsbus.StartServer(natsbus.ServerConfig{
		Listen:  "127.0.0.1:0",
		DataDir: tb.TempDir(),
		Logger:  slog.Default(),
	})
	if err != nil {
		tb.Fatalf("start NATS server: %v", err)
	}
	tb.Cleanup(srv.Shutdown)
	return srv
}

// Connect connects to srv, named after the test, and returns the
// connection and a JetStream context on it. The connection is closed when
// the test ends (before the server shuts down).
func Connect(tb testing.TB, srv *natsbus.Server) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	return ConnectURL(tb, srv.URL())
}

// ConnectURL is Connect to urls: one server's URL or a comma-separated
// list, such as a Cluster's URLs.
func ConnectURL(tb testing.TB, urls string) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := natsbus.Connect(ctx, urls, tb.Name(), slog.Default())
	if err != nil {
		tb.Fatalf("connect to NATS: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("JetStream context: %v", err)
	}
	return nc, js
}

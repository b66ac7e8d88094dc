package natsbus_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

func TestStartServerPubSub(t *testing.T) {
	srv := natstest.RunServer(t)
	if srv.Port() <= 0 {
		t.Fatalf("Port() = %d, want the chosen port", srv.Port())
	}
	if want := fmt.Sprintf("nats://127.0.0.1:%d", srv.Port()); srv.URL() != want {
		t.Fatalf("URL() = %q, want %q", srv.URL(), want)
	}
	nc, _ := natstest.Connect(t, srv)
	sub, err := nc.SubscribeSync("greet.hero")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("greet.hero", []byte("bonjour")); err != nil {
		t.Fatal(err)
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("NextMsg: %v", err)
	}
	if string(m.Data) != "bonjour" {
		t.Fatalf("got %q, want %q", m.Data, "bonjour")
	}
}

func TestStartServerErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	busyAddr := busy.Addr().String()

	tests := []struct {
		name   string
		listen string
		want   string // the whole error
	}{
		{"busy port", busyAddr,
			"--nats-listen " + busyAddr + ": address in use: try --nats-listen 127.0.0.1:0 or another port, or --nats URL"},
		{"no port", "127.0.0.1", `invalid NATS listen address "127.0.0.1": want host:port (check --nats-listen)`},
		{"bad port", "127.0.0.1:http", `invalid NATS listen port in "127.0.0.1:http" (check --nats-listen)`},
		{"port out of range", "127.0.0.1:70000", `invalid NATS listen port in "127.0.0.1:70000" (check --nats-listen)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: tt.listen, DataDir: t.TempDir(), Logger: quiet()})
			if err == nil {
				srv.Shutdown()
				t.Fatalf("StartServer(%q) succeeded, want an error", tt.listen)
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n got %q\nwant %q", err, tt.want)
			}
			if tt.name == "busy port" && !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("errors.Is(%v, EADDRINUSE) is false", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans several lines: %q", err)
			}
		})
	}
}

func TestServerTempDirRemoved(t *testing.T) {
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.StoreDir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("store dir while running: %v", err)
	}
	srv.Shutdown()
	srv.Shutdown() // idempotent
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("store dir %s still there after Shutdown (stat: %v)", dir, err)
	}
}

func TestServerKeepsGivenDataDir(t *testing.T) {
	dir := t.TempDir()
	srv, err := natsbus.StartServer(natsbus.ServerConfig{Listen: "127.0.0.1:0", DataDir: dir, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("given data dir removed by Shutdown: %v", err)
	}
}

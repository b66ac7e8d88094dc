package natsbus_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectUnreachable(t *testing.T) {
	addr := deadAddr(t)
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"plain", "nats://" + addr,
			"cannot reach NATS at nats://" + addr + ": connection refused (start a server or check --nats)"},
		{"password hidden", "nats://alice:secret@" + addr,
			"cannot reach NATS at nats://alice:xxxxx@" + addr + ": connection refused (start a server or check --nats)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := natsbus.Connect(testCtx(t, 30*time.Second), tt.url, "test", quiet())
			if err == nil {
				nc.Close()
				t.Fatal("Connect succeeded, want an error")
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n got %q\nwant %q", err, tt.want)
			}
		})
	}
}

// TestConnectList: a comma-separated list connects to a server that
// answers though the first is down, as nats.Connect does, and fails over
// to another when that one goes down.
func TestConnectList(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	// The first is down: nothing listens there. nats.go shuffles the list
	// before dialling unless told not to, so that it is tried first.
	urls := "nats://" + deadAddr(t) + ", " + c.URL(1) + "," + c.URL(2)
	nc, err := natsbus.Connect(testCtx(t, 30*time.Second), urls, "test", quiet(), nats.DontRandomize())
	if err != nil {
		t.Fatalf("Connect(%q): %v", urls, err)
	}
	defer nc.Close()
	if got := nc.ConnectedServerName(); got != c.Name(1) {
		t.Errorf("connected to %s, want %s, the first server of the list that answers", got, c.Name(1))
	}
	down := c.Index(nc.ConnectedServerName())
	c.Shutdown(down)
	waitFor(t, 30*time.Second, "a reconnection to another server", func() bool {
		return nc.IsConnected() && nc.ConnectedServerName() != c.Name(down)
	})
}

func TestConnectMalformedList(t *testing.T) {
	tests := []struct {
		name string
		urls string
		want string
	}{
		{"second of three", "nats://a:4222,nats//b:4222,nats://c:4222",
			`NATS URL "nats//b:4222" (server 2 of 3) is not like nats://host:4222: host "nats" followed by path "//b:4222" (check --nats)`},
		{"bare host, bad port", "a:4222,b:42x22",
			`NATS URL "b:42x22" (server 2 of 2) is not like nats://host:4222: invalid port ":42x22" after host (check --nats)`},
		{"wrong scheme", "http://a:4222",
			`NATS URL "http://a:4222" is not like nats://host:4222: scheme "http" is not one of nats, tls, ws, wss (check --nats)`},
		{"bad port, password hidden", "nats://a:4222, nats://alice:secret@b:42x22",
			`NATS URL "nats://xxxxx@b:42x22" (server 2 of 2) is not like nats://host:4222: `},
		{"no host", "nats://:4222",
			`NATS URL "nats://:4222" is not like nats://host:4222: no host (check --nats)`},
		{"nothing", " , ",
			`no NATS server URL in " , ": want nats://host:4222, or a comma-separated list (check --nats)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := natsbus.Connect(testCtx(t, 10*time.Second), tt.urls, "test", quiet())
			if err == nil {
				nc.Close()
				t.Fatal("Connect succeeded, want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) || strings.Contains(msg, "\n") || strings.Contains(msg, "secret") {
				t.Fatalf("error:\n got %q\nwant one line starting %q, no password", msg, tt.want)
			}
		})
	}
}

func TestSplitURLs(t *testing.T) {
	got, err := natsbus.SplitURLs(" nats://a:4222 ,b:4223,, tls://c ")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, u := range got {
		s = append(s, u.String())
	}
	if want := "nats://a:4222 nats://b:4223 tls://c"; strings.Join(s, " ") != want {
		t.Errorf("SplitURLs = %v, want %s", s, want)
	}
}

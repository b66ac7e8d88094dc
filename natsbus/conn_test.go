package natsbus_test

import (
	"net"
	"testing"
	"time"

	"exhaust/natsbus"
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

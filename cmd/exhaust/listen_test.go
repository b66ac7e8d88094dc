package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"exhaust/natsbus/natstest"
)

// busyPort holds a loopback port for the test and returns its address.
func busyPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().String()
}

// TestBusyPortHints binds a port first, then starts each command that
// listens on it: the error is one line that names the flag and says what
// to try.
func TestBusyPortHints(t *testing.T) {
	srv := natstest.RunServer(t)
	busy := busyPort(t)
	tests := []struct {
		name string
		args []string
		want string // the whole line after "exhaust <command>: "
	}{
		{"demo --http", []string{"demo", "--fast", "--days", "1", "--persons", "2", "--nats-listen", "127.0.0.1:0", "--http", busy},
			"--http " + busy + ": address in use: try --http 127.0.0.1:0 or another port"},
		{"demo --nats-listen", []string{"demo", "--fast", "--days", "1", "--persons", "2", "--nats-listen", busy, "--http", "127.0.0.1:0"},
			"--nats-listen " + busy + ": address in use: try --nats-listen 127.0.0.1:0 or another port, or --nats URL"},
		// aggregate listens before it reaches NATS: no server is needed.
		{"aggregate --http", []string{"aggregate", "--nats", "nats://127.0.0.1:1", "--http", busy},
			"--http " + busy + ": address in use: try --http 127.0.0.1:0 or another port"},
		{"produce --http", []string{"produce", "--nats", srv.URL(), "--fast", "--days", "1", "--persons", "2", "--http", busy},
			"--http " + busy + ": address in use: try --http 127.0.0.1:0 or another port"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), nil, tc.args...)
			if code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			if want := "exhaust " + tc.args[0] + ": " + tc.want + "\n"; stderr != want {
				t.Errorf("stderr\n got %q\nwant %q", stderr, want)
			}
		})
	}
}

// TestFlagsCheckedBeforePorts: a user reads the command line from the
// left; a bad flag is reported even when the port is taken too.
func TestFlagsCheckedBeforePorts(t *testing.T) {
	busy := busyPort(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"demo, not a number", []string{"demo", "--http", busy, "--nats-listen", busy, "--persons", "x"}, `--persons: "x" is not a whole number`},
		{"demo, too few people", []string{"demo", "--http", busy, "--nats-listen", busy, "--persons", "0"}, "--persons must be at least 1"},
		{"demo, bad date", []string{"demo", "--http", busy, "--start", "tomorrow"}, "--start must be a date"},
		{"demo, bad faults", []string{"demo", "--http", busy, "--faults", "nonsense"}, "--faults"},
		{"aggregate", []string{"aggregate", "--nats", "nats://127.0.0.1:1", "--http", busy, "--max-ack-pending", "x"}, "--max-ack-pending"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), nil, tc.args...)
			if code == 0 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "address in use") {
				t.Errorf("exit %d, stderr %q; want the flag's error (%q), not the port's", code, stderr, tc.want)
			}
		})
	}
}

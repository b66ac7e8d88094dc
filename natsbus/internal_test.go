package natsbus

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startJetStream starts an embedded server with its store in dir (a
// temporary one if empty) for a test of the package's internals, which
// cannot use natstest (it imports this package), and connects to it.
func startJetStream(t *testing.T, dir string) jetstream.JetStream {
	t.Helper()
	srv, err := StartServer(ServerConfig{Listen: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no credentials", "nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"password", "nats://alice:secret@h:4222", "nats://alice:xxxxx@h:4222"},
		{"token", "nats://s3cr3t@h:4222", "nats://xxxxx@h:4222"},
		{"list", "nats://a:b@h1:4222,nats://h2:4222", "nats://a:xxxxx@h1:4222,nats://h2:4222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"ack timeout", jetstream.ErrAsyncPublishTimeout, true},
		{"disconnected", nats.ErrDisconnected, true},
		{"no responders", jetstream.ErrNoStreamResponse, true},
		{"reconnect buffer full", nats.ErrReconnectBufExceeded, true},
		{"jetstream unavailable", &jetstream.APIError{Code: 503, Description: "unavailable"}, true},
		{"stream rejects", &jetstream.APIError{Code: 400, Description: "message size exceeds maximum allowed"}, false},
		{"same message id still in process on the replicas", &jetstream.APIError{Code: 409, ErrorCode: 10158, Description: "duplicate message id is in process"}, true},
		{"other conflict", &jetstream.APIError{Code: 409, ErrorCode: 10071, Description: "wrong last sequence"}, false},
		{"wrapped rejection", fmt.Errorf("x: %w", &jetstream.APIError{Code: 400}), false},
		{"closed connection", nats.ErrConnectionClosed, false},
		{"publisher reset by the stall watchdog", jetstream.ErrJetStreamPublisherClosed, true},
		{"bad subject", nats.ErrBadSubject, false},
		{"too big", nats.ErrMaxPayload, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		streak int
		want   time.Duration
	}{
		{0, 20 * time.Millisecond},
		{1, 40 * time.Millisecond},
		{3, 160 * time.Millisecond},
		{6, time.Second},
		{100, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.streak), func(t *testing.T) {
			if got := backoff(tt.streak); got != tt.want {
				t.Errorf("backoff(%d) = %s, want %s", tt.streak, got, tt.want)
			}
		})
	}
}

func TestFatalEventUserError(t *testing.T) {
	tests := []struct {
		name string
		ev   fatalEvent
		want string
	}{
		{"other", fatalEvent{msg: "Can't start JetStream: boom", cause: errors.New("boom")},
			"NATS server failed to start: Can't start JetStream: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.userError("127.0.0.1:4222").Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

package natsbus

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// TestTooManyRequests: the server's 429 on a chunk is told apart, however
// wrapped, from other failures, which are not retried.
func TestTooManyRequests(t *testing.T) {
	busy := &jetstream.APIError{Code: 429, ErrorCode: 10167, Description: "too many requests"}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{busy, true},
		{fmt.Errorf("save snapshot: %w", fmt.Errorf("put: %w", busy)), true},
		{&jetstream.APIError{Code: 503, ErrorCode: 10039, Description: "jetstream not enabled"}, false},
		{errors.New("nats: API error: code=429"), false}, // not an APIError: no guessing from text
		{nil, false},
	} {
		if got := tooManyRequests(c.err); got != c.want {
			t.Errorf("tooManyRequests(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

package natsbus

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// rawStallWait lets RawPublish wait for a free slot as long as a slow disk
// needs, instead of the library's 200 ms default.
const rawStallWait = 10 * time.Second

// RawPublish is the benchmark baseline: the plainest correct asynchronous
// JetStream publisher. It publishes payload n times to subject with
// PublishAsync (each with a fresh Nats-Msg-Id, as Publisher does, so the
// server does the same dedup work), at most maxPending in flight, waits with
// PublishAsyncComplete and then checks every ack. It returns the time from
// the first publish to the last ack checked; message ids are made before the
// clock starts. It does not retry: any failed ack is returned as an error.
//
// Publisher is measured against it: the difference is the cost of the
// retry machinery and per-message bookkeeping.
func RawPublish(ctx context.Context, js jetstream.JetStream, subject string, payload []byte, n int, maxPending int) (time.Duration, error) {
	if n < 0 || maxPending < 1 {
		return 0, fmt.Errorf("raw publish: need n ≥ 0 and maxPending ≥ 1, got %d and %d", n, maxPending)
	}
	// A context of its own: the window is set per context.
	rjs, err := sibling(js, jetstream.WithPublishAsyncMaxPending(maxPending))
	if err != nil {
		return 0, fmt.Errorf("raw publish: %w", err)
	}
	defer rjs.CleanupPublisher()

	prefix := "raw-" + nuid.Next() + "-"
	ids := make([]string, n)
	for i := range ids {
		ids[i] = prefix + strconv.Itoa(i)
	}
	futures := make([]jetstream.PubAckFuture, n)

	start := time.Now()
	for i := range n {
		f, err := rjs.PublishAsync(subject, payload, jetstream.WithMsgID(ids[i]), jetstream.WithStallWait(rawStallWait))
		if err != nil {
			return 0, fmt.Errorf("raw publish %d: %w", i, err)
		}
		futures[i] = f
	}
	select {
	case <-rjs.PublishAsyncComplete():
	case <-ctx.Done():
		return 0, fmt.Errorf("raw publish: %w", ctx.Err())
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return 0, fmt.Errorf("raw publish %d: ack: %w", i, err)
		}
	}
	return time.Since(start), nil
}

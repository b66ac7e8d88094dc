package natsbus_test

import (
	"bytes"
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// benchPayload is about the size of a real exhaust event.
var benchPayload = bytes.Repeat([]byte("x"), 400)

// benchRun makes message ids unique across the benchmark's runs, which share
// nothing but this counter: a repeated id would be a cheap duplicate.
var benchRun atomic.Int64

// benchSetup starts a server with the EXHAUST stream (defaults: file
// storage, dedup window) and returns a JetStream context on it.
func benchSetup(b *testing.B) jetstream.JetStream {
	b.Helper()
	srv := natstest.RunServer(b)
	_, js := natstest.Connect(b, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := natsbus.EnsureStream(ctx, js, natsbus.DefaultStreamConfig()); err != nil {
		b.Fatal(err)
	}
	return js
}

// BenchmarkPublisher measures Publisher: b.N messages, then Flush.
func BenchmarkPublisher(b *testing.B) {
	js := benchSetup(b)
	p, err := natsbus.NewPublisher(js, natsbus.PublisherOptions{MaxPending: natsbus.DefaultMaxPending})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	prefix := "bench-" + strconv.FormatInt(benchRun.Add(1), 10) + "-"
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = prefix + strconv.Itoa(i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	for i := range b.N {
		if err := p.Publish(ctx, "exhaust.bench.event", ids[i], benchPayload); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkRawPublish measures the baseline, RawPublish, with the same
// window and payload.
func BenchmarkRawPublish(b *testing.B) {
	js := benchSetup(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	d, err := natsbus.RawPublish(context.Background(), js, "exhaust.bench.event", benchPayload, b.N, natsbus.DefaultMaxPending)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/d.Seconds(), "msgs/s")
}

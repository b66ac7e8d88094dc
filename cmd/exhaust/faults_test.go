package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/event"
	"exhaust/faults"
	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// rawMsg is a stream message as published.
type rawMsg struct {
	msgID string
	data  []byte
}

// streamMessages reads every message of the EXHAUST stream, in stream
// order, whatever it holds.
func streamMessages(t *testing.T, js jetstream.JetStream) []rawMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsbus.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []rawMsg
	for len(out) < int(info.NumPending) {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			out = append(out, rawMsg{m.Headers().Get(jetstream.MsgIDHeader), m.Data()})
		}
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d messages", len(out), info.NumPending)
		}
	}
	return out
}

// The check, on the producer's side: produce with duplicates and
// delays puts every duplicate in the stream (same bytes, its own message
// id), delivers delayed events out of order, and counts both in the
// ground truth; the same run again adds nothing.
func TestProduceWithFaults(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	args := []string{"produce", "--nats", srv.URL(), "--seed", "3", "--persons", "12", "--days", "1", "--fast",
		"--faults", "all:duplicate=5%,delay=10%/2m"}
	code, stdout, stderr := runCLI(t, context.Background(), nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "faults all:delay=10%/2m,duplicate=5%: ") || !strings.Contains(stdout, "duplicated") {
		t.Errorf("produce does not report its faults:\n%s", stdout)
	}

	var reports []faults.Report
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := natsbus.ReadFaults(ctx, js, func(subject string, data []byte) {
		var r faults.Report
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		reports = append(reports, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	var counts faults.Counts
	var events uint64
	for _, r := range reports {
		counts = counts.Plus(r.Counts)
		events += r.Events
	}
	if len(reports) != 6 || counts.Duplicate == 0 || counts.Delay == 0 || counts.Drop+counts.Corrupt+counts.Skew != 0 {
		t.Fatalf("%d reports counting %+v; want one per producer, with duplicates and delays only", len(reports), counts)
	}

	msgs := streamMessages(t, js)
	if uint64(len(msgs)) != events+counts.Duplicate {
		t.Errorf("stream holds %d messages, want %d events + %d duplicates", len(msgs), events, counts.Duplicate)
	}
	byID := map[string][]byte{}
	for _, m := range msgs {
		if !strings.HasSuffix(m.msgID, faults.DuplicateSuffix) {
			byID[m.msgID] = m.data
		}
	}
	dups, overtaken := 0, 0
	var latest time.Time
	for _, m := range msgs {
		var ev event.Event
		if err := json.Unmarshal(m.data, &ev); err != nil {
			t.Fatalf("message %s is not an event: %v", m.msgID, err)
		}
		if id, ok := strings.CutSuffix(m.msgID, faults.DuplicateSuffix); ok {
			dups++
			if ev.ID != id || !bytes.Equal(m.data, byID[id]) {
				t.Errorf("duplicate %s differs from event %s", m.msgID, id)
			}
			continue
		}
		if ev.ID != m.msgID {
			t.Errorf("message id %s carries event %s", m.msgID, ev.ID)
		}
		if ev.Time.Before(latest) {
			overtaken++
		}
		if ev.Time.After(latest) {
			latest = ev.Time
		}
	}
	if uint64(dups) != counts.Duplicate {
		t.Errorf("stream holds %d duplicates, the truth counts %d", dups, counts.Duplicate)
	}
	if overtaken == 0 {
		t.Error("no event in the stream arrived behind a later one: nothing was delayed")
	}

	code, stdout, stderr = runCLI(t, context.Background(), nil, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "(0 new,") {
		t.Errorf("the same seed and faults again should add nothing: %q", stdout)
	}
}

func TestBadFaultsGiveOneLineError(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no lateness", nil, []string{"produce", "--faults", "phone:delay=10"},
			`exhaust produce: --faults: "phone:delay=10": delay needs a lateness, e.g. delay=10%/5m`},
		{"unknown producer", nil, []string{"demo", "--http", "127.0.0.1:0", "--faults", "drone:drop=2%"},
			`exhaust demo: --faults: "drone:drop=2%": unknown producer "drone"`},
		{"from the environment", map[string]string{"EXHAUST_FAULTS": "wifi:drop=2%/5m"}, []string{"produce"},
			`exhaust produce: --faults: "wifi:drop=2%/5m": drop takes only a rate, e.g. drop=2%`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Checked before any NATS is reached or started.
			code, _, stderr := runCLI(t, context.Background(), tc.env, tc.args...)
			if code == 0 || !strings.HasPrefix(stderr, tc.want) || strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want one line starting %q", code, stderr, tc.want)
			}
		})
	}
}

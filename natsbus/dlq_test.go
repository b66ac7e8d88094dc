package natsbus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

func TestDLQSubject(t *testing.T) {
	tests := []struct{ reason, want string }{
		{"malformed_json", "dlq.exhaust.malformed_json"},
		{"absurd_time", "dlq.exhaust.absurd_time"},
		{"a.b", "dlq.exhaust.invalid_reason"},
		{"", "dlq.exhaust.invalid_reason"},
		{"x>", "dlq.exhaust.invalid_reason"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			if got := natsbus.DLQSubject(tc.reason); got != tc.want {
				t.Errorf("DLQSubject(%q) = %q, want %q", tc.reason, got, tc.want)
			}
		})
	}
}

func TestPublishReject(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 20*time.Second)
	dlq, err := natsbus.EnsureDLQStream(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	ensureStream(t, js)
	payload := []byte("{not json\r\n")
	r := natsbus.Reject{
		Reason: "malformed_json", Detail: "unexpected end\r\nof input" + strings.Repeat("!", 1000),
		Subject: "exhaust.phone.cell", Seq: 17, MsgID: "abc", Data: payload,
	}
	if err := natsbus.PublishReject(ctx, js, r); err != nil {
		t.Fatal(err)
	}
	// Rejecting the same message again (a replay) stores nothing new.
	if err := natsbus.PublishReject(ctx, js, r); err != nil {
		t.Fatal(err)
	}
	if n := streamMsgs(t, dlq); n != 1 {
		t.Errorf("DLQ holds %d messages, want 1", n)
	}
	if n := streamMsgs(t, ensureStream(t, js)); n != 0 {
		t.Errorf("EXHAUST captured %d rejects, want 0", n)
	}
	m, err := dlq.GetLastMsgForSubject(ctx, "dlq.exhaust.malformed_json")
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != string(payload) {
		t.Errorf("payload %q, want the original %q", m.Data, payload)
	}
	want := map[string]string{
		natsbus.HeaderRejectReason:    "malformed_json",
		natsbus.HeaderOriginalSubject: "exhaust.phone.cell",
		natsbus.HeaderOriginalSeq:     "17",
		natsbus.HeaderOriginalMsgID:   "abc",
	}
	for k, v := range want {
		if got := m.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	detail := m.Header.Get(natsbus.HeaderRejectDetail)
	if !strings.HasPrefix(detail, "unexpected end  of input") || strings.ContainsAny(detail, "\r\n") || len(detail) > 500 {
		t.Errorf("detail header %q: want one bounded line", detail)
	}
	if m.Header.Get(jetstream.MsgIDHeader) == "" {
		t.Error("reject has no message id: replays would store it again")
	}
}

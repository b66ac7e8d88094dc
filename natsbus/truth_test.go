package natsbus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

func TestTruthStream(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	exhaust := ensureStream(t, js)
	ctx := testCtx(t, 10*time.Second)
	truth, err := natsbus.EnsureTruthStream(ctx, js)
	if err != nil {
		t.Fatalf("EnsureTruthStream: %v", err)
	}
	if _, err := natsbus.EnsureTruthStream(ctx, js); err != nil {
		t.Fatalf("second EnsureTruthStream: %v", err)
	}

	steps := []struct {
		person string
		data   string
	}{
		{"hero", `{"v":"A"}`},
		{"hero", `{"v":"B"}`},
		{"hero", `{"v":"A"}`}, // back to A within the dedup window: must win over B
		{"p0001", `{"v":"C"}`},
		{"p0001", `{"v":"C"}`}, // the same truth again: stored once
	}
	for _, s := range steps {
		if err := natsbus.PublishTruth(ctx, js, s.person, []byte(s.data)); err != nil {
			t.Fatalf("PublishTruth(%s, %s): %v", s.person, s.data, err)
		}
	}

	if got := streamMsgs(t, truth); got != 2 {
		t.Errorf("truth stream holds %d messages, want 2 (one per person)", got)
	}
	for person, want := range map[string]string{"hero": `{"v":"A"}`, "p0001": `{"v":"C"}`} {
		m, err := truth.GetLastMsgForSubject(ctx, natsbus.TruthSubject(person))
		if err != nil {
			t.Fatalf("last truth for %s: %v", person, err)
		}
		if string(m.Data) != want {
			t.Errorf("truth for %s = %s, want %s", person, m.Data, want)
		}
	}
	if got := streamMsgs(t, exhaust); got != 0 {
		t.Errorf("EXHAUST captured %d truth messages, want 0", got)
	}
	name, err := js.StreamNameBySubject(ctx, natsbus.TruthSubject("hero"))
	if err != nil || name != natsbus.TruthStream {
		t.Errorf("stream for %s = %q, %v; want %s only", natsbus.TruthSubject("hero"), name, err, natsbus.TruthStream)
	}
	cfg := truth.CachedInfo().Config
	if cfg.MaxMsgsPerSubject != 1 || cfg.Subjects[0] != "truth.exhaust.>" || cfg.Storage != jetstream.FileStorage {
		t.Errorf("truth stream config = %+v", cfg)
	}
}

func TestPublishTruthRejectsBadPersonID(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	if _, err := natsbus.EnsureTruthStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "a.b", "a*", ">", "a b"} {
		t.Run(id, func(t *testing.T) {
			if err := natsbus.PublishTruth(ctx, js, id, []byte("{}")); err == nil {
				t.Fatalf("PublishTruth(%q) succeeded, want an error", id)
			}
		})
	}
}

// Fault reports live in the truth stream next to the persons' truth, one
// latest message per subject; a truth follower does not see them.
func TestFaultReports(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	if _, err := natsbus.EnsureTruthStream(ctx, js); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		producer  string
		day, part int
		data      string
	}{{"phone", 1, 0, "a"}, {"phone", 1, 1, "b"}, {"wifi", 1, 0, "c"}, {"phone", 1, 0, "a2"}, {"wifi", 1, 0, "c"}} {
		if err := natsbus.PublishFaults(ctx, js, r.producer, r.day, r.part, []byte(r.data)); err != nil {
			t.Fatal(err)
		}
	}
	// Published after the reports: a follower that saw them would see
	// them first.
	if err := natsbus.PublishTruth(ctx, js, "hero", []byte(`{"person":"hero"}`)); err != nil {
		t.Fatal(err)
	}
	if err := natsbus.PublishFaults(ctx, js, "bad.name", 1, 0, nil); err == nil {
		t.Error("PublishFaults accepted a producer name that is not a subject token")
	}
	got := map[string]string{}
	if err := natsbus.ReadFaults(ctx, js, func(subject string, data []byte) { got[subject] = string(data) }); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"truth.exhaust.faults.phone.1.0": "a2", "truth.exhaust.faults.phone.1.1": "b", "truth.exhaust.faults.wifi.1.0": "c",
	}
	if len(got) != len(want) {
		t.Errorf("read %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if s := natsbus.FaultsSubject("phone", 1, 0); s != "truth.exhaust.faults.phone.1.0" {
		t.Errorf("FaultsSubject = %q", s)
	}

	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var followed []string
	done := make(chan error, 1)
	go func() {
		done <- natsbus.FollowTruth(fctx, js, func(subject string, _ []byte) {
			followed = append(followed, subject)
			cancel()
		})
	}()
	<-done
	if len(followed) != 1 || followed[0] != natsbus.TruthSubject("hero") {
		t.Errorf("FollowTruth saw %v, want the hero's truth only", followed)
	}
}

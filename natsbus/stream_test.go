package natsbus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

func TestEnsureStreamIdempotentAndUpdates(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)

	cfg := natsbus.DefaultStreamConfig()
	first, err := natsbus.EnsureStream(ctx, js, cfg)
	if err != nil {
		t.Fatalf("first EnsureStream: %v", err)
	}
	info1, err := first.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "exhaust.test.ping", []byte("{}")); err != nil {
		t.Fatalf("publish into the stream: %v", err)
	}

	second, err := natsbus.EnsureStream(ctx, js, cfg)
	if err != nil {
		t.Fatalf("second EnsureStream: %v", err)
	}
	info2, err := second.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info2.Created.Equal(info1.Created) {
		t.Errorf("stream re-created: created %v, then %v", info1.Created, info2.Created)
	}
	if info2.State.Msgs != 1 {
		t.Errorf("stream holds %d messages after the second EnsureStream, want 1", info2.State.Msgs)
	}
	c := info2.Config
	if c.Name != "EXHAUST" || len(c.Subjects) != 1 || c.Subjects[0] != "exhaust.>" ||
		c.Duplicates != 2*time.Hour || c.MaxAge != 7*24*time.Hour || c.MaxBytes != 1<<30 ||
		c.Replicas != 1 || c.Storage != jetstream.FileStorage {
		t.Errorf("stream config = %+v, want the defaults", c)
	}

	cfg.MaxAge = 3 * time.Hour
	if _, err := natsbus.EnsureStream(ctx, js, cfg); err != nil {
		t.Fatalf("EnsureStream with a new max age: %v", err)
	}
	info3, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if got := info3.CachedInfo().Config.MaxAge; got != 3*time.Hour {
		t.Errorf("max age after update = %s, want 3h", got)
	}
}

func TestStreamConfigValidate(t *testing.T) {
	with := func(f func(*natsbus.StreamConfig)) natsbus.StreamConfig {
		c := natsbus.DefaultStreamConfig()
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		cfg     natsbus.StreamConfig
		wantErr []string // substrings; nil means valid
	}{
		{"defaults", natsbus.DefaultStreamConfig(), nil},
		{"dedup equals max age", with(func(c *natsbus.StreamConfig) { c.Duplicates, c.MaxAge = time.Hour, time.Hour }), nil},
		{"no max age", with(func(c *natsbus.StreamConfig) { c.MaxAge = 0; c.Duplicates = 48 * time.Hour }), nil},
		{"dedup longer than max age", with(func(c *natsbus.StreamConfig) { c.Duplicates, c.MaxAge = 3*time.Hour, time.Hour }),
			[]string{"--dedup-window", "--stream-max-age", "3h0m0s", "1h0m0s"}},
		{"negative dedup", with(func(c *natsbus.StreamConfig) { c.Duplicates = -time.Second }), []string{"--dedup-window"}},
		{"negative max age", with(func(c *natsbus.StreamConfig) { c.MaxAge = -time.Second }), []string{"--stream-max-age"}},
		{"no subjects", with(func(c *natsbus.StreamConfig) { c.Subjects = nil }), []string{"no subjects"}},
		{"no name", with(func(c *natsbus.StreamConfig) { c.Name = "" }), []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

func TestEnsureStreamRejectsInvalid(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 10*time.Second)
	cfg := natsbus.DefaultStreamConfig()
	cfg.Duplicates, cfg.MaxAge = 3*time.Hour, time.Hour
	if _, err := natsbus.EnsureStream(ctx, js, cfg); err == nil || !strings.Contains(err.Error(), "--dedup-window") {
		t.Fatalf("EnsureStream(dedup > max age) = %v, want the dedup-window error", err)
	}
	if _, err := js.Stream(ctx, natsbus.StreamName); err == nil {
		t.Fatal("an invalid configuration created the stream")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/event"
	"exhaust/natsbus/natstest"
	"exhaust/producers"
	"exhaust/sim"
	"exhaust/world"
)

// runCLI runs the exhaust command line as main would, with env as the
// environment, and returns the exit code and outputs.
func runCLI(t *testing.T, ctx context.Context, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &cliEnv{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] },
		log:    slog.New(slog.DiscardHandler),
	})
	return code, stdout.String(), stderr.String()
}

func TestBadInputGivesOneLineError(t *testing.T) {
	srv := natstest.RunServer(t)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string // part of the error line
	}{
		{"unknown command", nil, []string{"fly"}, `unknown command "fly"`},
		{"unknown producer", nil, []string{"produce", "--nats", srv.URL(), "--producers", "phone,drone"}, `unknown producer "drone"`},
		{"negative persons", nil, []string{"produce", "--nats", srv.URL(), "--persons", "-3"}, "--persons must be at least 1"},
		{"negative days", nil, []string{"produce", "--nats", srv.URL(), "--days", "-1"}, "--days must be 0"},
		{"bad duration", nil, []string{"produce", "--nats", srv.URL(), "--dedup-window", "soon"}, "dedup-window"},
		{"bad duration from env", map[string]string{"EXHAUST_STREAM_MAX_AGE": "a week"}, []string{"produce", "--nats", srv.URL()}, "EXHAUST_STREAM_MAX_AGE"},
		{"bad date", nil, []string{"produce", "--nats", srv.URL(), "--start", "tomorrow"}, "--start must be a date"},
		{"bad speed", nil, []string{"demo", "--speed", "0"}, "--speed must be a positive number"},
		{"unreachable NATS", nil, []string{"produce", "--nats", "nats://127.0.0.1:1"}, "127.0.0.1:1"},
		{"stray argument", nil, []string{"produce", "now"}, `unexpected argument "now"`},
		{"unknown flag", nil, []string{"producers", "--colour"}, "colour"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, context.Background(), tc.env, tc.args...)
			if code == 0 {
				t.Fatalf("exit code 0, want non-zero; stderr %q", stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.want)
			}
			if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one:\n%s", n+1, stderr)
			}
		})
	}
}

func TestHelpNamesEnvironmentVariables(t *testing.T) {
	for _, cmd := range []string{"demo", "produce", "producers"} {
		code, stdout, _ := runCLI(t, context.Background(), nil, cmd, "--help")
		if code != 0 {
			t.Errorf("%s --help: exit %d", cmd, code)
		}
		if !strings.Contains(stdout, "$EXHAUST_") {
			t.Errorf("%s --help does not name the EXHAUST_* variables:\n%s", cmd, stdout)
		}
	}
}

func TestProducersListsEveryProducer(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "producers")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range producers.All() {
		for _, k := range p.Spec().Kinds {
			if subj := event.Subject(p.Spec().Name, k.Name); !strings.Contains(stdout, subj) {
				t.Errorf("listing lacks %s", subj)
			}
		}
	}
}

// streamEvents reads every message of the EXHAUST stream.
func streamEvents(t *testing.T, js jetstream.JetStream) []event.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "EXHAUST", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := int(info.NumPending)
	var out []event.Event
	for len(out) < want {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			var ev event.Event
			var raw json.RawMessage
			ev.Data = &raw
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatalf("message on %s is not an event: %v", m.Subject(), err)
			}
			ev.Data = raw
			if got := m.Headers().Get("Nats-Msg-Id"); got != ev.ID {
				t.Fatalf("Nats-Msg-Id %q != event id %q", got, ev.ID)
			}
			out = append(out, ev)
		}
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d messages", len(out), want)
		}
	}
	return out
}

// truthOwners reads the ground truth: identifier -> person id.
func truthOwners(t *testing.T, js jetstream.JetStream) map[event.ID]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, "EXHAUST_TRUTH", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owners := map[event.ID]string{}
	for got := 0; got < int(info.NumPending); {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			got++
			var tr sim.Truth
			if err := json.Unmarshal(m.Data(), &tr); err != nil {
				t.Fatal(err)
			}
			for _, id := range tr.IDs {
				owners[id] = tr.Person
			}
		}
	}
	return owners
}

// TestProduceIsCompleteAndIdempotent is the check: a fast one-day run
// against a server fills the stream with all six producers, and an identical
// second run adds nothing.
func TestProduceIsCompleteAndIdempotent(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	args := []string{"produce", "--nats", srv.URL(), "--seed", "7", "--persons", "12", "--days", "1", "--fast"}
	if code, _, stderr := runCLI(t, context.Background(), nil, args...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	events := streamEvents(t, js)
	byProducer := map[string]int{}
	for _, ev := range events {
		byProducer[ev.Producer()]++
	}
	for _, name := range producers.Names() {
		if byProducer[name] == 0 {
			t.Errorf("no %s events in the stream (have %v)", name, byProducer)
		}
	}

	code, stdout, stderr := runCLI(t, context.Background(), nil, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	again := streamEvents(t, js)
	if len(again) != len(events) {
		t.Fatalf("second identical run changed the stream from %d to %d events", len(events), len(again))
	}
	if !strings.Contains(stdout, "(0 new,") {
		t.Errorf("second run should report 0 new events: %q", stdout)
	}
}

// TestHeroDayHasEveryMoment checks that every moment of the seed's day leaves
// the exhaust DESIGN.md says it does, in the hero's day-1 events as published.
func TestHeroDayHasEveryMoment(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	if code, _, stderr := runCLI(t, context.Background(), nil, "produce", "--nats", srv.URL(), "--persons", "5", "--days", "1", "--fast"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	owners := truthOwners(t, js)
	w, err := world.New(world.Config{Seed: 1, Persons: 5, Start: mustDate(t, defaultStart)})
	if err != nil {
		t.Fatal(err)
	}
	day := w.Day(1)
	moments := day.Moments
	// Her phone's probes in the mall carry a random scan address: hers,
	// though no identifier of hers (the truth does not list it).
	for _, id := range day.Throwaway()[world.HeroID] {
		owners[id] = world.HeroID
	}
	// The exhaust each moment of the seed leaves (DESIGN.md, "The canonical day").
	want := map[string][]string{
		"night":        {"phone.cell"},
		"wake-up":      {"phone.app", "phone.sms", "phone.call", "phone.search"},
		"morning":      {"wristband.sync", "wristband.sleep"},
		"late-morning": {"card.payment", "transit.purchase", "transit.tap"},
		"mall":         {"phone.sms", "wifi.probe"}, // a shop's promotional text, logged with its cell
		"fnac":         {"card.payment", "loyalty.basket"},
		"starbucks":    {"card.payment", "loyalty.basket", "wifi.association"},
		"evening":      {"transit.tap", "phone.cell"},
	}
	if len(moments) != len(want) {
		t.Fatalf("hero's day has %d moments, want %d: %v", len(moments), len(want), moments)
	}
	seen := map[string]map[string]int{}
	cafeMACs := map[string]bool{}
	for _, ev := range streamEvents(t, js) {
		if !isHeros(ev, owners) {
			continue
		}
		at := ev.Time
		if ev.Type == "wifi.association" {
			// An access point reports a session when it ends; it belongs
			// to the moment the device joined.
			var d struct {
				Start time.Time `json:"start"`
			}
			if err := json.Unmarshal(ev.Data.(json.RawMessage), &d); err != nil {
				t.Fatal(err)
			}
			at = d.Start
		}
		for _, m := range moments {
			if !at.Before(m.Start) && at.Before(m.End) {
				if seen[m.Name] == nil {
					seen[m.Name] = map[string]int{}
				}
				seen[m.Name][ev.Type]++
				if m.Name == "starbucks" && ev.Type == "wifi.association" {
					for _, id := range event.IDsOf(&ev) {
						cafeMACs[id.Value] = true
					}
				}
			}
		}
	}
	for _, m := range moments {
		for _, typ := range want[m.Name] {
			if seen[m.Name][typ] == 0 {
				t.Errorf("moment %q (%s–%s): no %s event of the hero (saw %v)", m.Name,
					m.Start.Format("15:04"), m.End.Format("15:04"), typ, seen[m.Name])
			}
		}
	}
	if len(cafeMACs) < 2 {
		t.Errorf("café Wi-Fi saw %d of the hero's devices, want 2 (phone and tablet)", len(cafeMACs))
	}
}

func isHeros(ev event.Event, owners map[event.ID]string) bool {
	for _, id := range event.IDsOf(&ev) {
		if owners[id] == world.HeroID {
			return true
		}
	}
	return false
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation("2006-01-02", s, world.Paris())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The demo's own flags come first in its help; the aggregator's many
// thresholds follow under their own heading.
func TestDemoHelpListsItsOwnFlagsFirst(t *testing.T) {
	_, stdout, _ := runCLI(t, context.Background(), nil, "demo", "--help")
	persons, heading, cooccur := strings.Index(stdout, "--persons"), strings.Index(stdout, "The aggregator's flags"), strings.Index(stdout, "--cooccur-bin")
	if persons < 0 || heading < 0 || cooccur < 0 || !(persons < heading && heading < cooccur) {
		t.Errorf("demo --help: --persons at %d, aggregator heading at %d, --cooccur-bin at %d; want them in that order", persons, heading, cooccur)
	}
}

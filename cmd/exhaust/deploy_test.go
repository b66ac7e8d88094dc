package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/deploy/deploytest"
	"exhaust/natsbus"
	"exhaust/world"
)

func TestNATSAuthApply(t *testing.T) {
	tests := []struct {
		name           string
		user, password string
		urls           string
		want           string // "" means an error is expected
		wantErr        string
	}{
		{"no credentials", "", "", "nats://n:4222", "nats://n:4222", ""},
		{"added", "phone", "s3cret", "nats://n:4222", "nats://phone:s3cret@n:4222", ""},
		{"bare host", "phone", "s3cret", "n:4222", "nats://phone:s3cret@n:4222", ""},
		{"every server of a list", "phone", "pw", "nats://a:4222, nats://b:4222", "nats://phone:pw@a:4222,nats://phone:pw@b:4222", ""},
		{"escaped", "phone", "p@ss:w/rd", "nats://n:4222", "nats://phone:p%40ss%3Aw%2Frd@n:4222", ""},
		{"user without password", "phone", "", "nats://n:4222", "", "needs --nats-password"},
		{"password without user", "", "pw", "nats://n:4222", "", "needs --nats-user"},
		{"both URL and flags", "phone", "pw", "nats://card:hunter2@n:4222", "", "already holds credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := natsAuth{tt.user, tt.password}.apply(tt.urls)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error %q shows a password", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// streamSubjects returns how many messages of each subject a stream holds,
// read as the deploy configuration's admin.
func streamSubjects(t *testing.T, url, stream string) map[string]uint64 {
	t.Helper()
	nc, err := nats.Connect(url, nats.UserInfo("admin", deploytest.Password("admin")))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(">"))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

// TestDeployStackCommands runs the commands as the deploy stack does
// (deploy/compose.yaml), against nats-server with deploy/nats/nats.conf:
// setup as admin, one producer as its own user, the truth as the truth
// user.
func TestDeployStackCommands(t *testing.T) {
	url := deploytest.StartNATS(t)
	ctx := context.Background()
	sim := []string{"--persons", "3", "--days", "1", "--fast", "--seed", "5"}
	envOf := func(user string) map[string]string {
		return map[string]string{
			"EXHAUST_NATS":          url,
			"EXHAUST_NATS_USER":     user,
			"EXHAUST_NATS_PASSWORD": deploytest.Password(user),
		}
	}

	// As on Kubernetes, where everything starts at once, the producer
	// starts before setup: it waits (not ready) until the streams exist.
	health := freeAddr(t)
	produced := make(chan string, 1)
	go func() {
		args := append([]string{"produce", "--producers", "phone", "--setup=false", "--truth=false", "--http", health}, sim...)
		code, stdout, stderr := runCLI(t, ctx, envOf("phone"), args...)
		produced <- fmt.Sprintf("exit %d: %s%s", code, stdout, stderr)
	}()
	for {
		status, body := httpGet(health, "/readyz")
		if status == http.StatusServiceUnavailable && strings.Contains(body, "waiting for the streams") {
			break
		}
		select {
		case got := <-produced:
			t.Fatalf("produce did not wait for the streams: %s", got)
		case <-time.After(20 * time.Millisecond): // it is starting
		}
	}

	code, stdout, stderr := runCLI(t, ctx, envOf("admin"), "setup")
	if code != 0 {
		t.Fatalf("setup as admin: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "EXHAUST") || strings.Contains(stdout, deploytest.Password("admin")) {
		t.Errorf("setup output %q: want the streams named, no password", stdout)
	}

	t.Run("a producer publishes its own events", func(t *testing.T) {
		got := <-produced
		if !strings.HasPrefix(got, "exit 0: published") {
			t.Fatalf("produce as phone: %s", got)
		}
		if strings.Contains(got, deploytest.Password("phone")) {
			t.Errorf("output shows the password: %s", got)
		}
		subjects := streamSubjects(t, url, natsbus.StreamName)
		if len(subjects) == 0 {
			t.Fatal("the EXHAUST stream is empty")
		}
		for s := range subjects {
			if !strings.HasPrefix(s, "exhaust.phone.") {
				t.Errorf("EXHAUST holds %s, want only exhaust.phone.*", s)
			}
		}
	})
	t.Run("the truth publisher publishes the truth only", func(t *testing.T) {
		before := streamSubjects(t, url, natsbus.StreamName)
		args := append([]string{"produce", "--events=false", "--setup=false"}, sim...)
		code, stdout, stderr := runCLI(t, ctx, envOf("truth"), args...)
		if code != 0 {
			t.Fatalf("produce --events=false as truth: exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "ground truth") {
			t.Errorf("output %q does not say it published the ground truth", stdout)
		}
		// One subject per person in the city that day (a visitor may not
		// have arrived yet).
		w, err := world.New(world.Config{Seed: 5, Persons: 3, Start: mustDate(t, defaultStart)})
		if err != nil {
			t.Fatal(err)
		}
		if n, want := len(streamSubjects(t, url, natsbus.TruthStream)), len(w.Day(1).Present()); n != want {
			t.Errorf("truth stream has %d subjects, want one per person present (%d)", n, want)
		}
		if after := streamSubjects(t, url, natsbus.StreamName); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("EXHAUST changed from %v to %v", before, after)
		}
	})
	t.Run("the aggregator consumes as its user", func(t *testing.T) {
		addr := freeAddr(t)
		actx, cancel := context.WithCancel(ctx)
		done := make(chan string, 1)
		go func() {
			code, _, stderr := runCLI(t, actx, envOf("aggregator"), "aggregate", "--http", addr)
			done <- fmt.Sprintf("exit %d: %s", code, stderr)
		}()
		defer func() {
			cancel()
			if got := <-done; got != "exit 0: " {
				t.Errorf("aggregate stopped with %s", got)
			}
		}()
		// It is ready once it has restored, opened its consumer and caught
		// up; then the phone's events are in its metrics.
		want := regexp.MustCompile(`(?m)^exhaust_events_consumed_total\{producer="phone",[^}]*\} [1-9]`)
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, _ := httpGet(addr, "/readyz")
			_, metrics := httpGet(addr, "/metrics")
			if status == http.StatusOK && want.MatchString(metrics) {
				break
			}
			select {
			case got := <-done:
				t.Fatalf("aggregate stopped: %s", got)
			case <-time.After(50 * time.Millisecond): // it is starting or catching up
			}
			if time.Now().After(deadline) {
				t.Fatalf("aggregate not ready with the phone's events after 30s: /readyz %d", status)
			}
		}
		// Its user may read the group it is in.
		code, stdout, stderr := runCLI(t, ctx, envOf("aggregator"), "workers")
		if code != 0 || !strings.Contains(stdout, "1 worker(s) in "+natsbus.WorkerBucket) {
			t.Errorf("workers as the aggregator's user: exit %d: %s%s", code, stdout, stderr)
		}
	})
	t.Run("a producer may not set the streams up", func(t *testing.T) {
		// The server drops a request it refuses: the client learns it when
		// its request times out.
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		args := append([]string{"produce", "--producers", "phone"}, sim...)
		code, _, stderr := runCLI(t, cctx, envOf("phone"), args...)
		if code == 0 {
			t.Fatal("produce as phone with --setup: exit 0, want a refusal")
		}
		if !strings.Contains(stderr, "--setup=false") {
			t.Errorf("error %q does not point to --setup=false", stderr)
		}
	})
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpGet returns the status and body of GET http://addr/path, or 0 if
// nothing answers.
func httpGet(addr, path string) (int, string) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestProduceHealthEndpoints(t *testing.T) {
	url := deploytest.StartNATS(t)
	ctx := context.Background()
	env := map[string]string{"EXHAUST_NATS_USER": "admin", "EXHAUST_NATS_PASSWORD": deploytest.Password("admin")}
	addr := freeAddr(t)

	// Played at speed 1 the day lasts a day: the endpoints answer while it
	// runs, and the run is stopped by cancelling.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCLI(t, rctx, env, "produce", "--nats", url, "--persons", "2", "--speed", "1", "--http", addr)
		done <- code
	}()
	get := func(path string) (int, string) {
		t.Helper()
		for {
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				select {
				case code := <-done:
					t.Fatalf("produce exited with %d before serving %s", code, path)
				case <-time.After(20 * time.Millisecond): // the server is starting
				}
				continue
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path); code != http.StatusOK {
			t.Errorf("GET %s: %d %q, want 200", path, code, body)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("produce stopped with exit %d, want 0", code)
	}
}

func TestReadyzFollowsTheConnection(t *testing.T) {
	url := deploytest.StartNATS(t)
	nc, err := nats.Connect(url, nats.UserInfo("phone", deploytest.Password("phone")))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	addr := freeAddr(t)
	var notReady error
	stop, err := serveHealth(addr, nc, func() error { return notReady }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	status := func() int {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(); got != http.StatusOK {
		t.Fatalf("connected: /readyz %d, want 200", got)
	}
	notReady = errors.New("waiting")
	if got := status(); got != http.StatusServiceUnavailable {
		t.Fatalf("connected, not ready: /readyz %d, want 503", got)
	}
	notReady = nil
	nc.Close()
	if got := status(); got != http.StatusServiceUnavailable {
		t.Fatalf("connection closed: /readyz %d, want 503", got)
	}
}

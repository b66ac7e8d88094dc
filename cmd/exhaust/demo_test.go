package main

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"exhaust/producers"
	"exhaust/world"
)

// TestDemoEndToEnd runs the demo as a teacher would (embedded NATS, the
// aggregator, the HTTP address) and checks what the issue promises: a NATS
// client on the printed URL sees all six producers within one simulated
// day, and the API shows the hero's profile.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end demo run")
	}
	d := startDemo(t, "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--persons", "8", "--days", "1", "--speed", "6000", "--status-every", "1s")
	stdout := &d.stdout
	natsRE := regexp.MustCompile(`NATS +(nats://\S+)`)
	httpRE := regexp.MustCompile(`Open +http://(\S+)/`)
	waitFor(t, 20*time.Second, "the demo to print its addresses", func() bool {
		return natsRE.MatchString(stdout.String()) && httpRE.MatchString(stdout.String())
	})
	natsURL := natsRE.FindStringSubmatch(stdout.String())[1]
	httpAddr := httpRE.FindStringSubmatch(stdout.String())[1]

	// A NATS client brought by the user.
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var mu sync.Mutex
	seen := map[string]bool{}
	if _, err := nc.Subscribe("exhaust.>", func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		seen[strings.Split(m.Subject, ".")[1]] = true
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "events of all six producers", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range producers.Names() {
			if !seen[name] {
				return false
			}
		}
		return true
	})

	get := func(path string, v any) int { return getJSON("http://"+httpAddr+path, v) }
	waitFor(t, 30*time.Second, "the API to show the hero's profile", func() bool {
		var list struct {
			Profiles []struct {
				Truth string `json:"truth"`
			} `json:"profiles"`
		}
		if get("/api/profiles?per_page=500", &list) != http.StatusOK {
			return false
		}
		for _, p := range list.Profiles {
			if p.Truth == world.HeroID {
				return true
			}
		}
		return false
	})
	if c := get("/readyz", nil); c != http.StatusOK {
		t.Errorf("/readyz: %d", c)
	}
	d.stop(t)
}

// demoRun is exhaust demo running in-process, as a teacher runs it.
type demoRun struct {
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	code           chan int
}

// startDemo runs exhaust demo with args; stop ends it.
func startDemo(t *testing.T, args ...string) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoRun{cancel: cancel, code: make(chan int, 1)}
	t.Cleanup(cancel)
	go func() {
		d.code <- run(ctx, append([]string{"demo"}, args...),
			&cliEnv{stdin: strings.NewReader(""), stdout: &d.stdout, stderr: &d.stderr, getenv: func(string) string { return "" },
				log: slog.New(slog.DiscardHandler)})
	}()
	return d
}

// stop presses Ctrl-C and checks the demo ends cleanly.
func (d *demoRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case c := <-d.code:
		if c != 0 {
			t.Fatalf("demo exited %d after Ctrl-C; stderr: %s", c, d.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not stop after Ctrl-C")
	}
}

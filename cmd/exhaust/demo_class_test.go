package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoClass runs exhaust demo --class as a teacher would: it prints
// where students join, with a QR code, starts paused, and a student can
// join over HTTP.
func TestDemoClass(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end demo run")
	}
	d := startDemo(t, "--class", "--class-cap", "3", "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
		"--persons", "8", "--days", "1", "--speed", "6000", "--status-every", "200ms")
	stdout := &d.stdout
	classRE := regexp.MustCompile(`Class +students open (http://\S+/class) \(at most 3`)
	waitFor(t, 20*time.Second, "the demo to print the class's address", func() bool { return classRE.MatchString(stdout.String()) })
	url := classRE.FindStringSubmatch(stdout.String())[1]
	out := stdout.String()
	if !strings.Contains(out, "▀") && !strings.Contains(out, "▄") && !strings.Contains(out, "█") {
		t.Errorf("no QR code printed:\n%s", out)
	}
	if !strings.Contains(out, "press Resume") {
		t.Errorf("the teacher is not told the day is paused:\n%s", out)
	}
	// At ×6000 a running day would be well past midnight by the third line.
	waitFor(t, 10*time.Second, "three status lines", func() bool { return strings.Count(stdout.String(), "│ total") >= 3 })
	// Day 0 is the status before the first day is made (slow on a busy
	// machine); it must be paused at midnight too.
	paused := regexp.MustCompile(` 00:00 day [01] PAUSED │`)
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.Contains(line, "│ total") && !paused.MatchString(line) {
			t.Errorf("the day did not start paused at midnight: %s", line)
		}
	}

	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	resp, err = http.Post(strings.TrimSuffix(url, "/class")+"/class/join", "application/json",
		strings.NewReader(`{"nickname":"Red team","persona":"hero","settings":{"cash":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("a student joins: %d", resp.StatusCode)
	}
	d.stop(t)
}

// TestDemoClassFlags checks --class-cap before anything is bound.
func TestDemoClassFlags(t *testing.T) {
	for _, v := range []string{"0", "-1", "201"} {
		var stdout, stderr bytes.Buffer
		c := run(context.Background(), []string{"demo", "--class", "--class-cap", v, "--http", "127.0.0.1:0"},
			&cliEnv{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
				log: slog.New(slog.DiscardHandler)})
		if c == 0 || !strings.Contains(stderr.String(), "--class-cap must be between 1 and 200") {
			t.Errorf("--class-cap %s: exit %d, stderr %q", v, c, stderr.String())
		}
	}
}

func TestDemoClassURLs(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	ipnet := func(s string) net.Addr { ip, n, _ := net.ParseCIDR(s); n.IP = ip; return n }
	ifaddrs := []net.Addr{ipnet("127.0.0.1/8"), ipnet("::1/128"), ipnet("fe80::1/64"), ipnet("2001:db8::5/64"), ipnet("192.0.2.7/24")}
	for _, tc := range []struct {
		name      string
		bound     net.Addr
		want      []string
		projector string
	}{
		{"all interfaces", tcp("0.0.0.0:8080"), []string{"http://192.0.2.7:8080/class", "http://[2001:db8::5]:8080/class"}, "127.0.0.1:8080"},
		{"one address", tcp("192.0.2.7:9000"), []string{"http://192.0.2.7:9000/class"}, "192.0.2.7:9000"},
		{"loopback", tcp("127.0.0.1:8080"), []string{"http://127.0.0.1:8080/class"}, "127.0.0.1:8080"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := classURLs(tc.bound, ifaddrs); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("classURLs = %v, want %v", got, tc.want)
			}
			if got := projectorAddr(tc.bound); got != tc.projector {
				t.Errorf("projectorAddr = %s, want %s", got, tc.projector)
			}
		})
	}
	if got := classURLs(tcp("0.0.0.0:8080"), nil); len(got) != 1 || got[0] != "http://127.0.0.1:8080/class" {
		t.Errorf("without a network: %v", got)
	}
}

package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"exhaust/world"
)

// sseMessage is one server-sent event.
type sseMessage struct {
	name string
	data string
}

// readSSE reads the stream at url until want has been seen (or the
// deadline), checking the framing of every message: "event: <name>",
// "data: <one line of JSON>", a blank line.
func readSSE(t *testing.T, url string, want func([]sseMessage) bool) []sseMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var got []sseMessage
	var cur sseMessage
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.name != "" {
				if !json.Valid([]byte(cur.data)) {
					t.Fatalf("%s: data is not one line of JSON: %.200s", cur.name, cur.data)
				}
				got = append(got, cur)
				if want(got) {
					return got
				}
			}
			cur = sseMessage{}
		case strings.HasPrefix(line, "retry: "):
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if cur.data != "" {
				t.Fatalf("%s: data on several lines", cur.name)
			}
			cur.data = strings.TrimPrefix(line, "data: ")
		default:
			t.Fatalf("unexpected line in the stream: %.200q", line)
		}
	}
	t.Fatalf("the stream ended (%v) before the expected messages; got %d", sc.Err(), len(got))
	return nil
}

func names(ms []sseMessage) map[string]sseMessage {
	out := map[string]sseMessage{}
	for _, m := range ms {
		if _, ok := out[m.name]; !ok {
			out[m.name] = m
		}
	}
	return out
}

// After a day, a new page's stream starts with hello, then the person's
// day, their whole timeline, the beast's view, the population, the faults
// (none) and the clock, in that order.
func TestLiveStreamFormat(t *testing.T) {
	r := newRun(t, 1, true, 1)
	r.play(t)
	r.page.session.refreshPopulation()
	ts := httptest.NewServer(r.page.Handler())
	defer ts.Close()
	defer ts.CloseClientConnections()

	msgs := readSSE(t, ts.URL+"/live?person=hero", func(ms []sseMessage) bool { return names(ms)["clock"].name != "" })
	var order []string
	for _, m := range msgs {
		order = append(order, m.name)
	}
	want := []string{"hello", "person", "timeline", "beast", "population", "promos", "faults", "clock"}
	got := strings.Join(order, " ")
	if got != strings.Join(want, " ") && got != strings.Join(append(want[:5:5], "faults", "clock"), " ") {
		t.Errorf("first messages %v, want %v (promos only if any)", order, want)
	}
	byName := names(msgs)
	if f := byName["faults"].data; f != `{"plan":"","done":{"delay":0,"duplicate":0,"drop":0,"corrupt":0,"skew":0}}` {
		t.Errorf("faults of a clean run: %s", f)
	}
	if !strings.Contains(byName["hello"].data, `"moments":[{"name":"night","start":`) {
		t.Errorf("hello's moments are not in the page's shape: %.300s", byName["hello"].data)
	}
	var hello helloMsg
	if err := json.Unmarshal([]byte(byName["hello"].data), &hello); err != nil {
		t.Fatal(err)
	}
	if len(hello.Personas) != testPersons || hello.Personas[0].ID != world.HeroID || len(hello.Moments) != len(world.MomentNames) {
		t.Errorf("hello: %d personas (first %+v), %d moments", len(hello.Personas), hello.Personas[0], len(hello.Moments))
	}
	var tl timelineMsg
	if err := json.Unmarshal([]byte(byName["timeline"].data), &tl); err != nil {
		t.Fatal(err)
	}
	if n := len(r.page.session.read(world.HeroID, 0, 0).entries); tl.From != 0 || len(tl.Entries) != n {
		t.Errorf("timeline from %d with %d events, want from 0 with all %d", tl.From, len(tl.Entries), n)
	}
	var beast struct {
		Profile struct{ Facts []json.RawMessage } `json:"profile"`
		Score   float64                           `json:"score"`
	}
	if err := json.Unmarshal([]byte(byName["beast"].data), &beast); err != nil {
		t.Fatal(err)
	}
	if len(beast.Profile.Facts) < 8 || beast.Score <= 0 {
		t.Errorf("beast: %d facts, score %v", len(beast.Profile.Facts), beast.Score)
	}
	// Another person's stream is about them.
	other := names(readSSE(t, ts.URL+"/live?person=p002", func(ms []sseMessage) bool { return len(ms) >= 2 }))
	if !strings.Contains(other["person"].data, `"id":"p002"`) {
		t.Errorf("p002's stream starts with %.100s", other["person"].data)
	}
	resp, err := http.Get(ts.URL + "/live?person=nobody")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown person: %s, want 404", resp.Status)
	}
}

// An event carrying markup reaches the page as data: JSON-escaped in the
// stream, never as raw markup, and decoded back to the same text.
func TestEventMarkupIsDeliveredAsData(t *testing.T) {
	r := newRun(t, 1, true, 1)
	r.page.OnDay(r.world.Day(1))
	at := r.world.Day(1).Date.Add(9 * time.Hour)
	payload := scriptEvent(t, r.world, at)
	r.page.Tap("exhaust.phone.search", "0badc0de-0000-4000-8000-000000000001", payload)
	ts := httptest.NewServer(r.page.Handler())
	defer ts.Close()
	defer ts.CloseClientConnections()
	msgs := readSSE(t, ts.URL+"/live?person=hero", func(ms []sseMessage) bool { return names(ms)["timeline"].name != "" })
	tl := names(msgs)["timeline"].data
	if strings.Contains(tl, "<script") || strings.Contains(tl, "<img") {
		t.Fatalf("the stream carries raw markup: %.300s", tl)
	}
	if !strings.Contains(tl, `\u003cscript\u003e`) {
		t.Errorf("the stream lacks the escaped query: %.300s", tl)
	}
	var m timelineMsg
	if err := json.Unmarshal([]byte(tl), &m); err != nil {
		t.Fatal(err)
	}
	var data struct{ Query string }
	if len(m.Entries) != 1 || json.Unmarshal(m.Entries[0].Data, &data) != nil || !strings.HasPrefix(data.Query, "<script>window.__pwned") {
		t.Fatalf("timeline %+v: want the event, its query intact", m.Entries)
	}
}

// The page serves its assets with a policy that forbids inline scripts,
// and its HTML has none.
func TestPageHeadersAndNoInlineScript(t *testing.T) {
	r := newRun(t, 1, true, 1)
	ts := httptest.NewServer(r.page.Handler())
	defer ts.Close()
	tests := []struct {
		path, contentType string
		status            int
	}{
		{"/", "text/html", http.StatusOK},
		{"/assets/app.js", "text/javascript", http.StatusOK},
		{"/assets/app.css", "text/css", http.StatusOK},
		{"/city.json", "application/json", http.StatusOK},
		{"/api/profiles", "", http.StatusNotFound},
		{"/metrics", "", http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %s, want %d", resp.Status, tc.status)
			}
			if tc.contentType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
				t.Errorf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), tc.contentType)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
	index, err := assetFS.ReadFile("assets/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range strings.Split(string(index), "<script")[1:] {
		if !strings.HasPrefix(strings.TrimSpace(tag), "src=") {
			t.Errorf("inline script in index.html: <script%.60s", tag)
		}
	}
	for _, name := range []string{"assets/app.js", "assets/map.js", "assets/i18n.js"} {
		js, err := assetFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(string(js), bad) {
				t.Errorf("%s uses %s: data must reach the DOM as text only", name, bad)
			}
		}
	}
}

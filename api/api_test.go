package api_test

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"exhaust/aggregator"
	"exhaust/aggregator/graph"
	"exhaust/aggregator/score"
	"exhaust/api"
	"exhaust/promexport"
)

// serve starts the API of cfg on a real HTTP server.
func serve(t *testing.T, cfg api.Config) string {
	t.Helper()
	srv := httptest.NewServer(api.New(cfg))
	t.Cleanup(srv.Close)
	return srv.URL
}

// call does one request and returns the status, the headers and the body,
// after checking that the body is JSON (every endpoint but /metrics).
func call(t *testing.T, method, url string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	if method != http.MethodHead {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q, want application/json", method, url, ct)
		}
		if !json.Valid(body) {
			t.Errorf("%s %s: body is not JSON: %s", method, url, body)
		}
	}
	return resp.StatusCode, resp.Header, body
}

// get GETs url, checks the status and decodes the body into v.
func get(t *testing.T, url string, wantStatus int, v any) {
	t.Helper()
	code, _, body := call(t, http.MethodGet, url)
	if code != wantStatus {
		t.Fatalf("GET %s: status %d, want %d: %s", url, code, wantStatus, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decode %s: %v", url, body, err)
	}
}

func keys(m map[string]json.RawMessage) []string {
	return slices.Sorted(maps.Keys(m))
}

func TestListProfiles(t *testing.T) {
	e, _ := fed(t)
	url := serve(t, api.Config{Engine: e})
	want := e.Profiles()
	if len(want) < 4 {
		t.Fatalf("fixture too thin: %d profiles", len(want))
	}

	var list api.ProfileList
	get(t, url+"/api/profiles", http.StatusOK, &list)
	if list.Total != len(want) || list.Page != 1 || list.PerPage != api.DefaultPerPage {
		t.Errorf("total %d, page %d, per_page %d; want %d, 1, %d", list.Total, list.Page, list.PerPage, len(want), api.DefaultPerPage)
	}
	if len(list.Profiles) != min(len(want), api.DefaultPerPage) {
		t.Fatalf("%d profiles on page 1, want %d", len(list.Profiles), min(len(want), api.DefaultPerPage))
	}
	withTruth := 0
	for i, got := range list.Profiles {
		w := want[i]
		if got.ID != w.ID || got.Name != w.Name || got.Identifiers != w.Identifiers || got.Facts != w.Facts || !got.LastSeen.Equal(w.LastSeen) {
			t.Errorf("profile %d = %+v, want %+v (the engine's order)", i, got, w)
		}
		switch {
		case w.Truth == "" && got.Truth != nil:
			t.Errorf("profile %s: truth %q, want null", w.ID, *got.Truth)
		case w.Truth != "" && (got.Truth == nil || *got.Truth != w.Truth):
			t.Errorf("profile %s: truth %v, want %q", w.ID, got.Truth, w.Truth)
		case w.Truth != "":
			withTruth++
		}
	}
	if withTruth == 0 {
		t.Error("no profile matched a persona although the truth is set")
	}

	// The exact field names are the contract.
	var raw struct {
		Profiles []map[string]json.RawMessage `json:"profiles"`
	}
	var top map[string]json.RawMessage
	get(t, url+"/api/profiles", http.StatusOK, &raw)
	get(t, url+"/api/profiles", http.StatusOK, &top)
	if got, want := keys(top), []string{"page", "per_page", "profiles", "total"}; !slices.Equal(got, want) {
		t.Errorf("listing fields %v, want %v", got, want)
	}
	for _, p := range raw.Profiles {
		if got, want := keys(p), []string{"facts", "id", "identifiers", "last_seen", "name", "truth"}; !slices.Equal(got, want) {
			t.Fatalf("summary fields %v, want %v", got, want)
		}
	}
}

func TestPagination(t *testing.T) {
	e, _ := fed(t)
	url := serve(t, api.Config{Engine: e})
	all := e.Profiles()
	n := len(all)
	cases := []struct {
		name      string
		query     string
		page, per int
		wantIDs   []string
	}{
		{"first page of three", "?page=1&per_page=3", 1, 3, ids(all[:3])},
		{"second page of three", "?page=2&per_page=3", 2, 3, ids(all[3:min(6, n)])},
		{"last partial page", "?page=" + strconv.Itoa((n+2)/3) + "&per_page=3", (n + 2) / 3, 3, ids(all[((n+2)/3-1)*3:])},
		{"past the end is empty", "?page=" + strconv.Itoa(n+1) + "&per_page=3", n + 1, 3, nil},
		{"huge page does not overflow", "?page=9223372036854775807&per_page=500", 9223372036854775807, 500, nil},
		{"one per page", "?page=2&per_page=1", 2, 1, ids(all[1:2])},
		{"default page", "?per_page=2", 1, 2, ids(all[:2])},
		{"unknown parameters ignored", "?per_page=2&sort=name", 1, 2, ids(all[:2])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var list api.ProfileList
			get(t, url+"/api/profiles"+c.query, http.StatusOK, &list)
			if list.Total != n || list.Page != c.page || list.PerPage != c.per {
				t.Errorf("total %d page %d per_page %d, want %d %d %d", list.Total, list.Page, list.PerPage, n, c.page, c.per)
			}
			var got []string
			for _, p := range list.Profiles {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, c.wantIDs) {
				t.Errorf("ids %v, want %v", got, c.wantIDs)
			}
			if list.Profiles == nil {
				t.Error("profiles is null, want a list")
			}
		})
	}

	t.Run("pages cover everything once", func(t *testing.T) {
		var got []string
		for page := 1; ; page++ {
			var list api.ProfileList
			get(t, url+"/api/profiles?per_page=2&page="+strconv.Itoa(page), http.StatusOK, &list)
			if len(list.Profiles) == 0 {
				break
			}
			for _, p := range list.Profiles {
				got = append(got, p.ID)
			}
		}
		if want := ids(all); !slices.Equal(got, want) {
			t.Errorf("pages gave %v, want %v", got, want)
		}
	})
}

func ids(s []aggregator.Summary) []string {
	var out []string
	for _, p := range s {
		out = append(out, p.ID)
	}
	return out
}

func TestProfile(t *testing.T) {
	e, _ := fed(t)
	url := serve(t, api.Config{Engine: e})
	var withEvidence int
	for _, sm := range e.Profiles() {
		var p api.Profile
		get(t, url+"/api/profiles/"+sm.ID, http.StatusOK, &p)
		want, _ := e.Profile(sm.ID)
		if p.ID != sm.ID || p.Name != sm.Name || !p.LastSeen.Equal(sm.LastSeen) || (p.Truth == nil) != (sm.Truth == "") {
			t.Errorf("profile %s = %s %q %v %v, want %+v", sm.ID, p.ID, p.Name, p.LastSeen, p.Truth, sm)
		}
		if len(p.Identifiers) != sm.Identifiers {
			t.Errorf("profile %s: %d identifiers listed, summary says %d", sm.ID, len(p.Identifiers), sm.Identifiers)
		}
		for i, id := range p.Identifiers {
			w := want.Identifiers[i]
			if id.Kind != w.Kind || id.Value != w.Value || id.Seen != w.Seen || !id.FirstSeen.Equal(w.FirstSeen) || !id.LastSeen.Equal(w.LastSeen) {
				t.Errorf("profile %s identifier %d = %+v, want %+v", sm.ID, i, id, w)
			}
		}
		if len(p.Facts) != sm.Facts || len(p.Links) != len(want.Links) {
			t.Errorf("profile %s: %d facts and %d links, want %d and %d", sm.ID, len(p.Facts), len(p.Links), sm.Facts, len(want.Links))
		}
		if sm.Identifiers > 1 && len(p.Links) == 0 {
			t.Errorf("profile %s joins %d identifiers with no link to explain it", sm.ID, sm.Identifiers)
		}
		for i, l := range p.Links {
			w := want.Links[i]
			if l.A != w.A || l.B != w.B || l.Evidence != string(w.Kind) || l.Count != w.Count || l.Why != w.Why {
				t.Errorf("profile %s link %d = %+v, want %+v", sm.ID, i, l, w)
			}
			if !slices.Contains(graph.EvidenceKinds, graph.EvidenceKind(l.Evidence)) {
				t.Errorf("profile %s link %d: evidence %q is not an evidence kind", sm.ID, i, l.Evidence)
			}
		}
		for i, f := range p.Facts {
			w := want.Facts[i]
			if f.Name != w.Name || f.Display != w.Display || f.Evidence.Why != w.Evidence.Why || f.Evidence.Count != w.Evidence.Count {
				t.Errorf("profile %s fact %d = %+v, want %+v", sm.ID, i, f, w)
			}
			if f.Evidence.Why != "" && f.Evidence.Count > 0 && len(f.Evidence.EventIDs) > 0 {
				withEvidence++
			}
		}
	}
	if withEvidence == 0 {
		t.Error("no fact of any profile came with evidence (why, count, event ids)")
	}

	t.Run("field names", func(t *testing.T) {
		sm := e.Profiles()[0]
		var p map[string]json.RawMessage
		get(t, url+"/api/profiles/"+sm.ID, http.StatusOK, &p)
		if got, want := keys(p), []string{"facts", "id", "identifiers", "last_seen", "links", "name", "splits", "truth"}; !slices.Equal(got, want) {
			t.Errorf("profile fields %v, want %v", got, want)
		}
		var body struct {
			Facts       []map[string]json.RawMessage `json:"facts"`
			Identifiers []map[string]json.RawMessage `json:"identifiers"`
			Links       []map[string]json.RawMessage `json:"links"`
		}
		get(t, url+"/api/profiles/"+sm.ID, http.StatusOK, &body)
		for _, c := range []struct {
			what string
			objs []map[string]json.RawMessage
			want []string
		}{
			{"fact", body.Facts, []string{"confidence", "display", "evidence", "first_seen", "last_seen", "name", "value"}},
			{"identifier", body.Identifiers, []string{"first_seen", "kind", "last_seen", "seen", "value"}},
			{"link", body.Links, []string{"a", "b", "count", "event_ids", "evidence", "first_seen", "last_seen", "score", "why"}},
		} {
			for _, o := range c.objs {
				if got := keys(o); !slices.Equal(got, c.want) {
					t.Errorf("%s fields %v, want %v", c.what, got, c.want)
					break
				}
			}
		}
	})
}

func TestAccuracy(t *testing.T) {
	e, s := fresh(t)
	url := serve(t, api.Config{Engine: e})

	var before api.Accuracy
	get(t, url+"/api/accuracy", http.StatusOK, &before)
	if before.Persons != 0 || before.Pairwise != (api.PRF{}) || before.BCubed != (api.PRF{}) {
		t.Errorf("before any truth: %+v, want 0 persons and zero scores", before)
	}

	for _, tr := range s.Truth {
		e.SetTruth(tr)
	}
	var after api.Accuracy
	get(t, url+"/api/accuracy", http.StatusOK, &after)
	want := e.Accuracy()
	if after.Persons != len(s.Truth) {
		t.Errorf("persons %d, want %d", after.Persons, len(s.Truth))
	}
	if after.Pairwise.Precision <= 0 || after.BCubed.Recall <= 0 {
		t.Errorf("after the truth: %+v, want scores above zero", after)
	}
	check := func(name string, got api.PRF, w score.PRF) {
		t.Helper()
		if got.Precision != w.Precision || got.Recall != w.Recall || got.F1 != w.F1 {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	}
	check("pairwise", after.Pairwise, want.Pairwise)
	check("bcubed", after.BCubed, want.BCubed)
	for _, k := range graph.EvidenceKinds {
		got, ok := after.ByEvidence[string(k)]
		if !ok {
			t.Errorf("by_evidence has no %s", k)
		}
		check("by_evidence "+string(k), got, want.ByEvidence[string(k)])
	}
	for p := 1; p <= 6; p++ {
		k := strconv.Itoa(p)
		if got, ok := after.Unicity[k]; !ok || got != want.Unicity[k] {
			t.Errorf("unicity %s = %v (present %v), want %v", k, got, ok, want.Unicity[k])
		}
	}

	var raw map[string]json.RawMessage
	get(t, url+"/api/accuracy", http.StatusOK, &raw)
	if got, want := keys(raw), []string{"bcubed", "by_evidence", "pairwise", "persons", "unicity"}; !slices.Equal(got, want) {
		t.Errorf("accuracy fields %v, want %v", got, want)
	}
	var prf map[string]json.RawMessage
	if err := json.Unmarshal(raw["pairwise"], &prf); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(prf), []string{"f1", "precision", "recall"}; !slices.Equal(got, want) {
		t.Errorf("pairwise fields %v, want %v", got, want)
	}
}

func TestErrors(t *testing.T) {
	e, _ := fed(t)
	reg := prometheus.NewRegistry()
	url := serve(t, api.Config{Engine: e, Gatherer: reg})
	cases := []struct {
		name, method, path string
		want               int
		allow              bool // an Allow header is expected
	}{
		{"page zero", "GET", "/api/profiles?page=0", http.StatusBadRequest, false},
		{"page not a number", "GET", "/api/profiles?page=two", http.StatusBadRequest, false},
		{"page overflows", "GET", "/api/profiles?page=99999999999999999999", http.StatusBadRequest, false},
		{"per_page zero", "GET", "/api/profiles?per_page=0", http.StatusBadRequest, false},
		{"per_page negative", "GET", "/api/profiles?per_page=-5", http.StatusBadRequest, false},
		{"per_page too large", "GET", "/api/profiles?per_page=" + strconv.Itoa(api.MaxPerPage+1), http.StatusBadRequest, false},
		{"unknown profile", "GET", "/api/profiles/P-00000000", http.StatusNotFound, false},
		{"unknown endpoint", "GET", "/api/nothing", http.StatusNotFound, false},
		{"root", "GET", "/", http.StatusNotFound, false},
		{"post the listing", "POST", "/api/profiles", http.StatusMethodNotAllowed, true},
		{"delete a profile", "DELETE", "/api/profiles/P-00000000", http.StatusMethodNotAllowed, true},
		{"put accuracy", "PUT", "/api/accuracy", http.StatusMethodNotAllowed, true},
		{"post metrics", "POST", "/metrics", http.StatusMethodNotAllowed, true},
		{"post healthz", "POST", "/healthz", http.StatusMethodNotAllowed, true},
		{"patch readyz", "PATCH", "/readyz", http.StatusMethodNotAllowed, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, h, body := call(t, c.method, url+c.path)
			if code != c.want {
				t.Errorf("%s %s: status %d, want %d", c.method, c.path, code, c.want)
			}
			var e api.Error
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
				t.Errorf("%s %s: body %s, want {\"error\": \"…\"}", c.method, c.path, body)
			}
			if got := h.Get("Allow"); c.allow && got != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", c.method, c.path, got)
			}
		})
	}
}

func TestHead(t *testing.T) {
	e, _ := fed(t)
	url := serve(t, api.Config{Engine: e})
	code, h, body := call(t, http.MethodHead, url+"/api/profiles")
	if code != http.StatusOK || len(body) != 0 || h.Get("Content-Type") != "application/json" {
		t.Errorf("HEAD /api/profiles: %d, %q, %d body bytes; want 200, application/json, none", code, h.Get("Content-Type"), len(body))
	}
}

func TestProbes(t *testing.T) {
	var notReady atomic.Pointer[error]
	url := serve(t, api.Config{
		Engine: aggregator.New(aggregator.DefaultConfig()),
		Ready: func() error {
			if p := notReady.Load(); p != nil {
				return *p
			}
			return nil
		},
	})
	steps := []struct {
		name      string
		err       error
		wantReady int
		wantWhy   string
	}{
		{"ready", nil, http.StatusOK, ""},
		{"replaying the stream", errors.New("replaying: 1200 of 5000 events"), http.StatusServiceUnavailable, "replaying: 1200 of 5000 events"},
		{"ready again", nil, http.StatusOK, ""},
		{"NATS lost", errors.New("no connection to NATS"), http.StatusServiceUnavailable, "no connection to NATS"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.err != nil {
				notReady.Store(&s.err)
			} else {
				notReady.Store(nil)
			}
			var body map[string]string
			get(t, url+"/readyz", s.wantReady, &body)
			if s.wantWhy != "" && !strings.Contains(body["error"], s.wantWhy) {
				t.Errorf("readyz body %v, want the reason %q in error", body, s.wantWhy)
			}
			if s.wantWhy == "" && body["status"] != "ready" {
				t.Errorf("readyz body %v, want status ready", body)
			}
			// Liveness does not depend on readiness: restarting a process
			// that is only catching up would make things worse.
			var health map[string]string
			get(t, url+"/healthz", http.StatusOK, &health)
			if health["status"] != "ok" {
				t.Errorf("healthz body %v", health)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	e, _ := fed(t)
	reg := prometheus.NewRegistry()
	if _, err := promexport.New(reg, e, promexport.Options{}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, api.Config{Engine: e, Gatherer: reg})
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %s, %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	mf, ok := fams["exhaust_profiles"]
	if !ok || len(mf.GetMetric()) != 1 {
		t.Fatalf("no exhaust_profiles in /metrics")
	}
	if got, want := mf.GetMetric()[0].GetGauge().GetValue(), float64(len(e.Profiles())); got != want {
		t.Errorf("exhaust_profiles = %v, want %v", got, want)
	}

	t.Run("no gatherer, no endpoint", func(t *testing.T) {
		url := serve(t, api.Config{Engine: e})
		code, _, _ := call(t, http.MethodGet, url+"/metrics")
		if code != http.StatusNotFound {
			t.Errorf("/metrics without a gatherer: %d, want 404", code)
		}
	})
}

// TestServesWhileApplying reads every endpoint while events are being
// applied: under -race, this is what proves the API only reads.
func TestServesWhileApplying(t *testing.T) {
	s, err := generated()
	if err != nil {
		t.Fatal(err)
	}
	e := aggregator.New(aggregator.DefaultConfig())
	reg := prometheus.NewRegistry()
	if _, err := promexport.New(reg, e, promexport.Options{PersonCap: 5}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, api.Config{Engine: e, Gatherer: reg})
	for _, tr := range s.Truth {
		e.SetTruth(tr)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		// Half the stream is plenty to overlap with the reads.
		for i, ev := range s.Events[:len(s.Events)/2] {
			if _, err := e.Apply(uint64(i+1), ev); err != nil {
				t.Errorf("apply %d: %v", i+1, err)
				return
			}
		}
	})
	reads := 0
	for running := true; running || reads < 3; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		for _, path := range []string{"/api/profiles?per_page=5", "/api/accuracy", "/metrics"} {
			resp, err := http.Get(url + path)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s while applying: %s", path, resp.Status)
			}
		}
		var list api.ProfileList
		get(t, url+"/api/profiles?per_page=1", http.StatusOK, &list)
		for _, p := range list.Profiles {
			// The profile may merge away between the two requests: 404 is a
			// correct answer then, anything else is not.
			code, _, body := call(t, http.MethodGet, url+"/api/profiles/"+p.ID)
			if code != http.StatusOK && code != http.StatusNotFound {
				t.Fatalf("GET a profile while applying: %d %s", code, body)
			}
		}
	}
	wg.Wait()
	var list api.ProfileList
	get(t, url+"/api/profiles", http.StatusOK, &list)
	if list.Total != len(e.Profiles()) || list.Total == 0 {
		t.Errorf("after applying: total %d, want %d", list.Total, len(e.Profiles()))
	}
}

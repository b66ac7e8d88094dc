package dashboards_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// promEnv set to 1 makes TestPanelsShowDataInPrometheus fail, instead of
// skip, when no prometheus binary is installed: CI sets it (.ci/run), so
// the test can never silently stop running there.
const promEnv = "EXHAUST_PROMETHEUS_TESTS"

// scrapeInterval is how often the test's Prometheus scrapes: every second,
// or every two under the race detector, which makes a scrape of the
// aggregator take up to a second (Prometheus's scrape timeout cannot
// exceed the interval).
func scrapeInterval() time.Duration {
	if raceDetector {
		return 2 * time.Second
	}
	return time.Second
}

// The smallest windows a dashboard can ask for are the ones tested:
// Grafana's $__rate_interval is never less than four scrape intervals (the
// datasource's timeInterval), and $__interval never less than one.
func rateInterval() string { return promDuration(4 * scrapeInterval()) }
func interval() string     { return promDuration(scrapeInterval()) }

func promDuration(d time.Duration) string { return strconv.Itoa(int(d/time.Second)) + "s" }

// TestPanelsShowDataInPrometheus is the dashboards' end-to-end test. A real
// Prometheus scrapes, over HTTP, a live aggregator fed by the simulation
// through NATS; once a simulated day has been applied and the simulation
// keeps producing, every query of every panel of the committed dashboards
// is run through Prometheus's HTTP API, so Prometheus's own parser and
// engine evaluate it. A query that does not parse, or returns nothing
// (no series, or only NaN), fails, naming the dashboard, panel and query.
func TestPanelsShowDataInPrometheus(t *testing.T) {
	bin := prometheusBinary(t)
	boards := committed(t)
	start := time.Now()

	agg := startLiveAggregator(t)
	agg.waitFirstDay(t, 60*time.Second)
	t.Logf("day 1 applied after %v (%d messages)", time.Since(start).Round(time.Millisecond), agg.svc.Stats().Handled)
	// Prometheus starts once day 1 is applied: a scrape reads the whole
	// state, and scraping while day 1 pours in would slow both down.
	prom := startPrometheus(t, bin, map[string]string{
		"exhaust": strings.TrimPrefix(agg.URL, "http://"),
		"nats":    strings.TrimPrefix(agg.NATSExporterURL, "http://"),
	})
	// Queries are evaluated at the time of the last successful scrape, so
	// a later scrape that times out (its stale markers) cannot empty them.
	at := prom.waitScrapes(t, 3, 40*time.Second)
	t.Logf("3 scrapes every %v after day 1, at %v", scrapeInterval(), time.Since(start).Round(time.Millisecond))

	// The premise of rate() panels: the pipeline moved while scraped.
	if moved := prom.instant(t, `sum(rate(exhaust_events_consumed_total[`+rateInterval()+`]))`, at); len(moved.values) == 0 || !(moved.values[0] > 0) {
		t.Fatalf("no event consumed during the last %s of scrapes: the simulation must keep producing", rateInterval())
	}

	vars := map[string]string{"__rate_interval": rateInterval(), "__interval": interval()}
	for _, d := range boards {
		for _, v := range d.Templating.List {
			vars[v.Name] = prom.resolve(t, d, v, at)
		}
	}

	for _, d := range boards {
		for _, p := range d.panels() {
			for _, q := range p.Targets {
				t.Run(d.UID+"/"+p.Title+"/"+q.RefID, func(t *testing.T) {
					expr, err := substitute(q.Expr, vars)
					if err != nil {
						t.Fatalf("dashboard %s, panel %q, query %s: %v\nexpr: %s", d.Title, p.Title, q.RefID, err, q.Expr)
					}
					var res result
					if q.Range {
						res = prom.query(t, "query_range", url.Values{
							"query": {expr}, "start": {unix(at.Add(-30 * time.Second))}, "end": {unix(at)}, "step": {interval()},
						})
					} else {
						res = prom.query(t, "query", url.Values{"query": {expr}, "time": {unix(at)}})
					}
					switch {
					case res.err != "":
						t.Errorf("dashboard %s, panel %q, query %s: Prometheus refused it: %s\nexpr: %s", d.Title, p.Title, q.RefID, res.err, expr)
					case !res.hasData():
						t.Errorf("dashboard %s, panel %q, query %s: no data (%d series, all values NaN or none): the panel would be empty\nexpr: %s",
							d.Title, p.Title, q.RefID, res.series, expr)
					}
				})
			}
		}
	}
	t.Logf("every query evaluated, %v in all", time.Since(start).Round(time.Millisecond))
}

// prometheusBinary finds the prometheus binary, or skips the test (fails
// it when promEnv is 1).
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	const debian = "/usr/bin/prometheus" // Debian's package
	if _, err := os.Stat(debian); err == nil {
		return debian
	}
	msg := "no prometheus binary (apt-get install -y prometheus)"
	if os.Getenv(promEnv) == "1" {
		t.Fatal(msg + "; " + promEnv + "=1 requires it")
	}
	t.Skip(msg + "; set " + promEnv + "=1 to make this a failure")
	return ""
}

// substitute replaces the dashboard variables in expr as Grafana does
// ($name, ${name}, ${name:format}, [[name]]) and fails on any left.
func substitute(expr string, vars map[string]string) (string, error) {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	// Longest first: $__interval must not eat the start of $__interval_ms.
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		for _, form := range []string{"${" + n + "}", "${" + n + ":raw}", "[[" + n + "]]", "$" + n} {
			expr = strings.ReplaceAll(expr, form, vars[n])
		}
	}
	if i := strings.IndexAny(expr, "$"); i >= 0 || strings.Contains(expr, "[[") {
		return "", fmt.Errorf("unknown variable left after substitution at %q", expr[max(i, 0):])
	}
	return expr, nil
}

// unix formats t as Prometheus's API takes times.
func unix(t time.Time) string { return strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', 3, 64) }

// promServer is a prometheus process started by the test.
type promServer struct {
	url string
	out *syncBuffer
	cmd *exec.Cmd
}

// startPrometheus runs bin with a temporary configuration and storage,
// scraping the /metrics of each job's target (job name to host:port) every
// second, and waits until it is ready. It is stopped when the test ends.
func startPrometheus(t *testing.T, bin string, targets map[string]string) *promServer {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
`, promDuration(scrapeInterval()))
	for _, job := range slices.Sorted(maps.Keys(targets)) {
		config += fmt.Sprintf(`  - job_name: %q
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, job, targets[job])
	}
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := &promServer{url: "http://" + addr, out: &syncBuffer{}}
	p.cmd = exec.Command(bin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-exited
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited: %v\n%s", err, p.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready on %s after 30 s\n%s", addr, p.out)
		}
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitScrapes waits until Prometheus has scraped the aggregator
// successfully n more times, the last scrape included, and returns the
// time of that last scrape.
func (p *promServer) waitScrapes(t *testing.T, n int, timeout time.Duration) time.Time {
	t.Helper()
	successes := func() float64 {
		r := p.instant(t, `sum_over_time(up{job="exhaust"}[1h])`, time.Now())
		if len(r.values) == 0 {
			return 0
		}
		return r.values[0]
	}
	base := successes()
	deadline := time.Now().Add(timeout)
	for {
		// The sample time of the last scrape, if it succeeded.
		last := p.instant(t, `timestamp(up{job="exhaust"} == 1)`, time.Now())
		if len(last.values) == 1 && successes() >= base+float64(n) {
			return time.UnixMilli(int64(math.Round(last.values[0] * 1e3)))
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus did not scrape the aggregator successfully %d times in %v (last error: %q)\n%s", n, timeout, p.scrapeError(), p.out)
		}
		time.Sleep(100 * time.Millisecond) // polling Prometheus, which has no notification
	}
}

// scrapeError returns the last scrape error of the aggregator's target.
func (p *promServer) scrapeError() string {
	resp, err := http.Get(p.url + "/api/v1/targets")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err.Error()
	}
	var errs []string
	for _, t := range body.Data.ActiveTargets {
		errs = append(errs, t.LastError)
	}
	return strings.Join(errs, "; ")
}

// result is what Prometheus answered to one query.
type result struct {
	err    string    // Prometheus's error, if it refused the query
	series int       // series returned
	values []float64 // every sample value
	labels []map[string]string
}

// hasData reports whether a panel would show something: a sample that is
// a number.
func (r result) hasData() bool {
	for _, v := range r.values {
		if !math.IsNaN(v) {
			return true
		}
	}
	return false
}

// instant evaluates expr at a time; Prometheus must accept it.
func (p *promServer) instant(t *testing.T, expr string, at time.Time) result {
	t.Helper()
	r := p.query(t, "query", url.Values{"query": {expr}, "time": {unix(at)}})
	if r.err != "" {
		t.Fatalf("%s: %s", expr, r.err)
	}
	return r
}

// query calls Prometheus's HTTP API, /api/v1/<endpoint>.
func (p *promServer) query(t *testing.T, endpoint string, params url.Values) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/api/v1/"+endpoint, strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("query Prometheus: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status    string `json:"status"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("Prometheus answered %s with something that is not its JSON: %v", resp.Status, err)
	}
	if body.Status != "success" {
		return result{err: body.ErrorType + ": " + body.Error}
	}
	r, err := decodeResult(body.Data.ResultType, body.Data.Result)
	if err != nil {
		t.Fatalf("decode a %s result: %v", body.Data.ResultType, err)
	}
	return r
}

// decodeResult reads the samples of a query result of any type.
func decodeResult(typ string, raw json.RawMessage) (result, error) {
	var r result
	add := func(pair [2]any) error {
		s, ok := pair[1].(string)
		if !ok {
			return fmt.Errorf("sample value %v is not a string", pair[1])
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		r.values = append(r.values, v)
		return nil
	}
	switch typ {
	case "vector", "matrix":
		var series []struct {
			Metric map[string]string `json:"metric"`
			Value  *[2]any           `json:"value"`
			Values [][2]any          `json:"values"`
		}
		if err := json.Unmarshal(raw, &series); err != nil {
			return r, err
		}
		r.series = len(series)
		for _, s := range series {
			r.labels = append(r.labels, s.Metric)
			if s.Value != nil {
				if err := add(*s.Value); err != nil {
					return r, err
				}
			}
			for _, pair := range s.Values {
				if err := add(pair); err != nil {
					return r, err
				}
			}
		}
	case "scalar":
		var pair [2]any
		if err := json.Unmarshal(raw, &pair); err != nil {
			return r, err
		}
		r.series = 1
		return r, add(pair)
	default:
		return r, errors.New("unexpected result type " + typ)
	}
	return r, nil
}

// resolve returns the value a dashboard variable takes in the test. Its
// query runs through Prometheus and its regex is applied as Grafana does;
// the variable must have options. For the person variable the option is
// the profile the classroom story follows: the one that matches the hero
// of the ground truth with the most identifiers (the hero may be split
// over several profiles after a single day).
func (p *promServer) resolve(t *testing.T, d dashboardJSON, v variableJSON, at time.Time) string {
	t.Helper()
	inner, ok := strings.CutPrefix(v.Query, "query_result(")
	if !ok || !strings.HasSuffix(inner, ")") {
		t.Fatalf("%s: variable %s: query %q is not query_result(…), the only kind this test resolves", d.UID, v.Name, v.Query)
	}
	res := p.instant(t, strings.TrimSuffix(inner, ")"), at)
	re := grafanaRegex(t, v.Regex)
	options := map[string]string{} // value → text
	for i, labels := range res.labels {
		text, value := optionOf(re, grafanaLine(labels, res.values[i], at))
		if value != "" {
			options[value] = text
		}
	}
	if len(options) == 0 {
		t.Fatalf("%s: variable %s has no options: %s returned %d series", d.UID, v.Name, v.Query, res.series)
	}
	if v.Name != "person" {
		t.Fatalf("%s: variable %s: the test knows only how to choose a person", d.UID, v.Name)
	}
	hero := p.instant(t, `sum by (person) (exhaust_profile_identifiers and on (person) exhaust_profile_info{truth="hero"})`, at)
	best, most := "", -1.0
	for i, labels := range hero.labels {
		if id := labels["person"]; hero.values[i] > most || (hero.values[i] == most && id < best) {
			best, most = id, hero.values[i]
		}
	}
	if best == "" {
		t.Fatalf("no profile matches the hero after a day")
	}
	text, ok := options[best]
	if !ok {
		t.Fatalf("%s: the hero's profile %s is not among the %d options of variable %s", d.UID, best, len(options), v.Name)
	}
	t.Logf("%s: $%s = %s (%q, %v identifiers), one of %d options", d.UID, v.Name, best, text, most, len(options))
	return best
}

// grafanaLine writes one series as Grafana's query_result lists it:
// {label="value",…} value timestamp-in-ms, labels sorted.
func grafanaLine(labels map[string]string, v float64, at time.Time) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		if n != "__name__" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + strconv.Quote(labels[n])
	}
	return labels["__name__"] + "{" + strings.Join(parts, ",") + "} " + strconv.FormatFloat(v, 'g', -1, 64) + " " + strconv.FormatInt(at.UnixMilli(), 10)
}

// syncBuffer collects a process's output for error messages.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 {
		return len(p), nil // enough to see why it failed
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

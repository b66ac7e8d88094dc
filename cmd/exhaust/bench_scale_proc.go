package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"exhaust/aggregator"
	"exhaust/natsbus"
	"exhaust/promexport"
)

// scrapeTimeout bounds one scrape of the aggregator's /metrics. A scrape
// after the state changed reads it all again (accuracy, unicity): about a
// minute at 10,000 people, more for bigger cities.
const scrapeTimeout = 30 * time.Minute

// childStopWait bounds how long a child stopped with SIGINT may take to
// save its final snapshot and exit before it is killed.
const childStopWait = 2 * time.Minute

// child is one exhaust command run as its own process, so that its peak
// RSS is its own.
type child struct {
	name   string
	cmd    *exec.Cmd
	tail   *tailWriter
	began  time.Time
	exited chan struct{} // closed once Wait returned

	// Set once exited is closed.
	err     error
	took    time.Duration
	peakRSS uint64 // bytes; 0 where the system does not say
}

// startChild runs exe with args (an exhaust command line), its stdout to
// stdout and its stderr to stderr and to a tail kept for error messages.
func startChild(ctx context.Context, exe, name string, args []string, stdout, stderr io.Writer) (*child, error) {
	c := &child{name: name, tail: &tailWriter{}, exited: make(chan struct{})}
	c.cmd = exec.CommandContext(ctx, exe, args...)
	// Ctrl-C of the bench stops the child as Ctrl-C would, then kills it.
	c.cmd.Cancel = func() error { return c.cmd.Process.Signal(os.Interrupt) }
	c.cmd.WaitDelay = childStopWait
	c.cmd.Stdout = stdout
	c.cmd.Stderr = io.MultiWriter(stderr, c.tail)
	c.began = time.Now()
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start exhaust %s: %w", name, err)
	}
	go func() {
		err := c.cmd.Wait()
		c.took = time.Since(c.began)
		c.peakRSS = peakRSS(c.cmd.ProcessState)
		if err != nil {
			c.err = fmt.Errorf("exhaust %s: %w%s", name, err, c.tail.lastLine())
		}
		close(c.exited)
	}()
	return c, nil
}

// wait waits for the child to exit and returns its error.
func (c *child) wait() error {
	<-c.exited
	return c.err
}

// stop asks the child to stop as Ctrl-C would and waits for it. It may be
// called again once the child exited.
func (c *child) stop() error {
	select {
	case <-c.exited:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		_ = c.cmd.Process.Kill() // no SIGINT on this system
	}
	select {
	case <-c.exited:
	case <-time.After(childStopWait):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	return c.err
}

// tailWriter keeps the last bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 4096

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

// lastLine is the last non-empty line written, as ": line", or "".
func (t *tailWriter) lastLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return ": " + l
	}
	return ""
}

// lockedWriter serialises writes: the bench and its children's stderr
// copiers write to the same output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// httpAddrWatcher reads the aggregator's stdout for the line that names its
// HTTP address ("HTTP     http://127.0.0.1:41234 (…)"): with --http
// 127.0.0.1:0 the port is the child's choice, and a free port picked
// beforehand could be taken in between.
type httpAddrWatcher struct {
	found   chan<- string
	partial []byte
	sent    bool
}

func (h *httpAddrWatcher) Write(p []byte) (int, error) {
	if h.sent {
		return len(p), nil
	}
	h.partial = append(h.partial, p...)
	for {
		i := bytes.IndexByte(h.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(h.partial[:i])
		h.partial = h.partial[i+1:]
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "HTTP" && strings.HasPrefix(f[1], "http://") {
			h.found <- f[1]
			h.sent, h.partial = true, nil
			return len(p), nil
		}
	}
}

// scraper reads the aggregator child's /metrics.
type scraper struct {
	agg    *child
	url    string
	base   string // the aggregator's HTTP root, for its API
	client *http.Client
}

// newScraper waits for the aggregator to name its HTTP address.
func newScraper(ctx context.Context, agg *child, addr <-chan string) (*scraper, error) {
	select {
	case base := <-addr:
		return &scraper{agg: agg, url: base + "/metrics", base: base, client: &http.Client{Timeout: scrapeTimeout}}, nil
	case <-agg.exited:
		return nil, fmt.Errorf("exhaust aggregate exited before serving HTTP: %v", agg.err)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Minute):
		return nil, errors.New("exhaust aggregate did not print its HTTP address within a minute")
	}
}

// scrape is what one scrape of the aggregator says.
type scrape struct {
	at                time.Time // just before the request
	applied, rejected uint64
	rss               uint64
	lag               *dto.Histogram
	// Snapshots: how many were serialised, seconds spent serialising and
	// storing them (exhaust_snapshot_seconds), the last one's size.
	snapshots             uint64
	encodeSecs, storeSecs float64
	snapshotBytes         uint64
	// exhaust_queue_depth by queue (promexport.QueueApplier, QueueSide).
	queues map[string]*dto.Histogram
}

func (s *scraper) scrape(ctx context.Context) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return scrape{}, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	out := scrape{at: time.Now()}
	resp, err := s.client.Do(req)
	if err != nil {
		return out, fmt.Errorf("scrape %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("scrape %s: %s", s.url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return out, fmt.Errorf("scrape %s: %w", s.url, err)
	}
	sum := func(name string) (uint64, bool) {
		f, ok := fams[name]
		if !ok {
			return 0, false
		}
		var v float64
		for _, m := range f.GetMetric() {
			v += m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
		}
		return uint64(v), true
	}
	var ok bool
	if out.applied, ok = sum("exhaust_events_applied_total"); !ok {
		return out, fmt.Errorf("scrape %s: no exhaust_events_applied_total", s.url)
	}
	out.rejected, _ = sum("exhaust_events_rejected_total")
	out.rss, _ = sum("process_resident_memory_bytes")
	if f, ok := fams["exhaust_event_lag_seconds"]; ok && len(f.GetMetric()) == 1 {
		out.lag = f.GetMetric()[0].GetHistogram()
	}
	if out.lag == nil {
		return out, fmt.Errorf("scrape %s: no exhaust_event_lag_seconds histogram", s.url)
	}
	if f, ok := fams["exhaust_snapshot_seconds"]; ok {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				switch h := m.GetHistogram(); {
				case l.GetName() != "phase":
				case l.GetValue() == "encode":
					out.snapshots, out.encodeSecs = h.GetSampleCount(), h.GetSampleSum()
				case l.GetValue() == "store":
					out.storeSecs = h.GetSampleSum()
				}
			}
		}
	}
	out.snapshotBytes, _ = sum("exhaust_snapshot_bytes")
	out.queues = map[string]*dto.Histogram{}
	for _, m := range fams["exhaust_queue_depth"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "queue" {
				out.queues[l.GetValue()] = m.GetHistogram()
			}
		}
	}
	return out, nil
}

// ackProgress is how far the aggregator's durable consumer has acked.
type ackProgress struct {
	at    time.Time // just before the request
	acked uint64    // stream sequence of the ack floor
}

// waitAcked polls the aggregator's durable consumer every every until its
// ack floor reaches last, appending every poll to samples if it is not
// nil. The aggregator acks a message once it is applied (or rejected), so
// the ack floor is its progress, read from the server as `nats consumer
// info` reads it: unlike a scrape, it costs the aggregator nothing. It
// fails if the aggregator exits or stops making progress.
func waitAcked(ctx context.Context, js jetstream.JetStream, agg *child, last uint64, every time.Duration, samples *[]ackProgress) error {
	var prev uint64
	progressed := time.Now()
	for {
		p := ackProgress{at: time.Now()}
		info, err := js.Consumer(ctx, natsbus.StreamName, natsbus.DefaultConsumer)
		switch {
		case errors.Is(err, jetstream.ErrConsumerNotFound):
			// Not created yet: the aggregator is starting.
		case err != nil:
			return fmt.Errorf("consumer %s: %w", natsbus.DefaultConsumer, err)
		default:
			p.acked = info.CachedInfo().AckFloor.Stream
		}
		if samples != nil {
			*samples = append(*samples, p)
		}
		if p.acked >= last {
			return nil
		}
		if p.acked != prev {
			prev, progressed = p.acked, p.at
		} else if time.Since(progressed) > scaleStall {
			return fmt.Errorf("exhaust aggregate acked nothing for %v, at sequence %d of %d", scaleStall, p.acked, last)
		}
		select {
		case <-time.After(every):
		case <-agg.exited:
			return fmt.Errorf("exhaust aggregate exited at sequence %d of %d: %v", p.acked, last, agg.err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// bucketDelta is a histogram's observations between two scrapes.
type bucketDelta struct {
	bounds []float64 // finite upper bounds, ascending
	cum    []uint64  // cumulative counts per bound
	count  uint64    // every observation, +Inf included
	sum    float64   // of every observation
}

// histogramDelta subtracts before from after (the same histogram, scraped
// twice).
func histogramDelta(before, after *dto.Histogram) bucketDelta {
	var d bucketDelta
	d.count = after.GetSampleCount() - before.GetSampleCount()
	d.sum = after.GetSampleSum() - before.GetSampleSum()
	prev := map[float64]uint64{}
	for _, b := range before.GetBucket() {
		prev[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	for _, b := range after.GetBucket() {
		if math.IsInf(b.GetUpperBound(), +1) {
			continue
		}
		d.bounds = append(d.bounds, b.GetUpperBound())
		d.cum = append(d.cum, b.GetCumulativeCount()-prev[b.GetUpperBound()])
	}
	return d
}

// mean is the mean of the observations, or NaN if there were none.
func (d bucketDelta) mean() float64 {
	if d.count == 0 {
		return math.NaN()
	}
	return d.sum / float64(d.count)
}

// quantile estimates the q-quantile as PromQL's histogram_quantile does:
// the bucket holding the rank, interpolated linearly within it (from 0
// for the first bucket); a rank beyond the last finite bound reads as
// that bound.
func (d bucketDelta) quantile(q float64) float64 {
	if d.count == 0 || len(d.bounds) == 0 {
		return math.NaN()
	}
	rank := q * float64(d.count)
	lower, below := 0.0, uint64(0)
	for i, upper := range d.bounds {
		if float64(d.cum[i]) >= rank {
			in := d.cum[i] - below
			if in == 0 {
				return upper
			}
			return lower + (upper-lower)*(rank-float64(below))/float64(in)
		}
		lower, below = upper, d.cum[i]
	}
	return d.bounds[len(d.bounds)-1]
}

// joinArgs quotes args that need it, to show a command line.
func joinArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			a = fmt.Sprintf("%q", a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// accuracy reads the aggregator's /api/accuracy once the truth it holds
// stops growing: the truth is followed on a stream of its own, so it may
// trail the events a little (and people who left no identifier have none).
// After a minute it takes what it has.
func (s *scraper) accuracy(ctx context.Context) (aggregator.Accuracy, error) {
	var a aggregator.Accuracy
	deadline := time.Now().Add(time.Minute)
	for prev := -1; ; {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/api/accuracy", nil)
		if err != nil {
			return a, err
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return a, fmt.Errorf("accuracy: %w", err)
		}
		a = aggregator.Accuracy{}
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = errors.New(resp.Status)
		}
		if err != nil {
			return a, fmt.Errorf("accuracy: %w", err)
		}
		if (a.Persons > 0 && a.Persons == prev) || time.Now().After(deadline) {
			return a, nil
		}
		prev = a.Persons
		select {
		case <-ctx.Done():
			return a, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// referenceConsumer is the durable name of bench scale's reference reader.
const referenceConsumer = "exhaust-bench-reference"

// referenceLag publishes msgs again (under new message ids, past the
// stream's duplicate window) at rate, reads them with a durable pull
// consumer configured as the aggregator's, which only notes each
// message's lag from its stream timestamp in exhaust_event_lag_seconds's
// buckets, and returns that histogram.
func referenceLag(ctx context.Context, js jetstream.JetStream, msgs []streamMsg, rate float64) (bucketDelta, error) {
	stream, err := js.Stream(ctx, natsbus.StreamName)
	if err != nil {
		return bucketDelta{}, fmt.Errorf("reference: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return bucketDelta{}, fmt.Errorf("reference: %w", err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: referenceConsumer, AckPolicy: jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: info.State.LastSeq + 1,
	})
	if err != nil {
		return bucketDelta{}, fmt.Errorf("reference consumer: %w", err)
	}
	defer func() { _ = stream.DeleteConsumer(context.WithoutCancel(ctx), referenceConsumer) }()
	lag := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "reference_lag_seconds", Buckets: promexport.LagBuckets()})
	it, err := cons.Messages(natsbus.PullOptions(natsbus.DefaultBatch)...)
	if err != nil {
		return bucketDelta{}, fmt.Errorf("reference consumer: %w", err)
	}
	// Stopped on the way out, which also ends a reader still waiting.
	defer natsbus.StopIterator(it)
	read := make(chan error, 1)
	go func() {
		for range msgs {
			m, err := it.Next()
			if err != nil {
				read <- fmt.Errorf("reference consumer: %w", err)
				return
			}
			md, err := m.Metadata()
			if err != nil {
				read <- fmt.Errorf("reference consumer: %w", err)
				return
			}
			lag.Observe(time.Since(md.Timestamp).Seconds())
			_ = m.Ack()
		}
		read <- nil
	}()
	again := make([]streamMsg, len(msgs))
	for i, m := range msgs {
		m.id += "-reference"
		again[i] = m
	}
	if _, err := publishPaced(ctx, js, again, rate); err != nil {
		return bucketDelta{}, err
	}
	select {
	case err := <-read:
		if err != nil {
			return bucketDelta{}, err
		}
	case <-time.After(benchWait):
		return bucketDelta{}, fmt.Errorf("reference consumer: not every message read within %v", benchWait)
	}
	var m dto.Metric
	if err := lag.Write(&m); err != nil {
		return bucketDelta{}, err
	}
	return histogramDelta(&dto.Histogram{}, m.GetHistogram()), nil
}

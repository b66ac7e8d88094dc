package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"exhaust/aggregator"
	"exhaust/service"
)

// asMainEnv makes the test binary behave as the exhaust command: bench
// scale runs produce and aggregate as child processes of os.Executable(),
// which under go test is this binary.
const asMainEnv = "GO_EXHAUST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		if len(os.Args) > 1 && os.Args[1] == testServerCommand {
			runTestServer(os.Args[2:]) // exits
		}
		main() // exits
	}
	os.Exit(m.Run())
}

// decodeOne decodes stdout as exactly one JSON object, strictly: a field
// the report does not have, or anything after the object, fails.
func decodeOne(t *testing.T, stdout string, into any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON object:\n%s", stdout)
	}
}

// TestBenchScaleJSON runs bench scale on a tiny city with the real child
// processes and checks that its counts agree. No figure of speed is
// checked: timings are never asserted in tests.
func TestBenchScaleJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulation and two child processes: not in -short mode")
	}
	t.Setenv(asMainEnv, "1")
	env := map[string]string{"EXHAUST_PERSONS": "30", "EXHAUST_DAYS": "1"}
	code, stdout, stderr := runCLI(t, t.Context(), env, "bench", "scale", "--json",
		"--rate", "500", "--latency-events", "50", "--poll-interval", "50ms")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	// The contract: these names, as numbers.
	var r struct {
		Persons                         int     `json:"persons"`
		Days                            int     `json:"days"`
		Seed                            int64   `json:"seed"`
		Events                          uint64  `json:"events"`
		EventsApplied                   uint64  `json:"events_applied"`
		EventsRejected                  uint64  `json:"events_rejected"`
		ProducerSeconds                 float64 `json:"producer_seconds"`
		ProducerEventsPerSecond         float64 `json:"producer_events_per_second"`
		ProducerPeakRSSBytes            uint64  `json:"producer_peak_rss_bytes"`
		ProducerPeakRSSBytesPerPerson   float64 `json:"producer_peak_rss_bytes_per_person"`
		AggregatorSeconds               float64 `json:"aggregator_seconds"`
		AggregatorEventsPerSecond       float64 `json:"aggregator_events_per_second"`
		AggregatorRSSBytes              uint64  `json:"aggregator_rss_bytes"`
		AggregatorRSSBytesPerPerson     float64 `json:"aggregator_rss_bytes_per_person"`
		AggregatorPeakRSSBytes          uint64  `json:"aggregator_peak_rss_bytes"`
		AggregatorPeakRSSBytesPerPerson float64 `json:"aggregator_peak_rss_bytes_per_person"`
		AccuracyPersons                 int     `json:"accuracy_persons"`
		PairwisePrecision               float64 `json:"pairwise_precision"`
		PairwiseRecall                  float64 `json:"pairwise_recall"`
		PairwiseF1                      float64 `json:"pairwise_f1"`
		LatencyRate                     float64 `json:"latency_rate"`
		LatencyPublishedRate            float64 `json:"latency_published_rate"`
		LatencyEvents                   uint64  `json:"latency_events"`
		LatencySamples                  uint64  `json:"latency_samples"`
		LatencyP50Ms                    float64 `json:"latency_p50_ms"`
		LatencyP99Ms                    float64 `json:"latency_p99_ms"`
		LatencySnapshots                uint64  `json:"latency_snapshots"`
		ReferenceLatencyP50Ms           float64 `json:"reference_latency_p50_ms"`
		ReferenceLatencyP99Ms           float64 `json:"reference_latency_p99_ms"`
		QueueCatchupApplierMean         float64 `json:"queue_catchup_applier_mean"`
		QueueCatchupApplierP99          float64 `json:"queue_catchup_applier_p99"`
		QueueCatchupSideMean            float64 `json:"queue_catchup_side_mean"`
		QueueCatchupSideP99             float64 `json:"queue_catchup_side_p99"`
		QueuePacedApplierMean           float64 `json:"queue_paced_applier_mean"`
		QueuePacedApplierP99            float64 `json:"queue_paced_applier_p99"`
		QueuePacedSideMean              float64 `json:"queue_paced_side_mean"`
		QueuePacedSideP99               float64 `json:"queue_paced_side_p99"`
		Snapshots                       uint64  `json:"snapshots"`
		SnapshotEncodeSecondsMean       float64 `json:"snapshot_encode_seconds_mean"`
		SnapshotStoreSecondsMean        float64 `json:"snapshot_store_seconds_mean"`
		SnapshotBytes                   uint64  `json:"snapshot_bytes"`
	}
	decodeOne(t, stdout, &r)
	if r.Persons != 30 || r.Days != 1 || r.LatencyRate != 500 {
		t.Errorf("persons %d, days %d, rate %v: not what was asked (30, 1, 500)", r.Persons, r.Days, r.LatencyRate)
	}
	if r.Events == 0 || r.EventsApplied != r.Events || r.EventsRejected != 0 {
		t.Errorf("%d events produced, %d applied, %d rejected: want every event applied", r.Events, r.EventsApplied, r.EventsRejected)
	}
	if r.AccuracyPersons < 1 || r.AccuracyPersons > 30 || !(r.PairwisePrecision > 0 && r.PairwiseRecall > 0 && r.PairwiseF1 > 0) {
		t.Errorf("accuracy over %d people's truth: precision %v, recall %v, F1 %v: want some of the 30 people's truth and a city linked",
			r.AccuracyPersons, r.PairwisePrecision, r.PairwiseRecall, r.PairwiseF1)
	}
	if r.LatencyEvents != 50 || r.LatencySamples != r.LatencyEvents {
		t.Errorf("%d latency events stored, %d observed by the aggregator: want 50 of each", r.LatencyEvents, r.LatencySamples)
	}
	if !(r.LatencyP50Ms > 0 && r.LatencyP50Ms <= r.LatencyP99Ms) {
		t.Errorf("latency p50 %v ms, p99 %v ms: want 0 < p50 ≤ p99", r.LatencyP50Ms, r.LatencyP99Ms)
	}
	if !(r.ReferenceLatencyP50Ms > 0 && r.ReferenceLatencyP50Ms <= r.ReferenceLatencyP99Ms) {
		t.Errorf("reference latency p50 %v ms, p99 %v ms: want 0 < p50 ≤ p99", r.ReferenceLatencyP50Ms, r.ReferenceLatencyP99Ms)
	}
	// The applier's queue holds at least the batch it takes, at most its
	// capacity; the side goroutine's at most its own. The mean is
	// exact; the p99 is interpolated in its bucket as histogram_quantile
	// does, from the bucket's lower bound (0 for depths of 1).
	for _, q := range []struct {
		name            string
		mean, p99, most float64
		least           float64
	}{
		{"queue_catchup_applier", r.QueueCatchupApplierMean, r.QueueCatchupApplierP99, service.QueueCapacity, 1},
		{"queue_paced_applier", r.QueuePacedApplierMean, r.QueuePacedApplierP99, service.QueueCapacity, 1},
		{"queue_catchup_side", r.QueueCatchupSideMean, r.QueueCatchupSideP99, aggregator.SideQueueCapacity, 0},
		{"queue_paced_side", r.QueuePacedSideMean, r.QueuePacedSideP99, aggregator.SideQueueCapacity, 0},
	} {
		if !(q.mean >= q.least && q.mean <= q.most && q.p99 >= 0 && q.p99 <= q.most) {
			t.Errorf("%s mean %v, p99 %v: want both in [%v, %v]", q.name, q.mean, q.p99, q.least, q.most)
		}
	}
	for name, v := range map[string]float64{
		"producer_seconds": r.ProducerSeconds, "producer_events_per_second": r.ProducerEventsPerSecond,
		"producer_peak_rss_bytes": float64(r.ProducerPeakRSSBytes), "aggregator_seconds": r.AggregatorSeconds,
		"aggregator_events_per_second": r.AggregatorEventsPerSecond, "aggregator_rss_bytes": float64(r.AggregatorRSSBytes),
		"aggregator_peak_rss_bytes": float64(r.AggregatorPeakRSSBytes), "latency_published_rate": r.LatencyPublishedRate,
	} {
		if !(v > 0) {
			t.Errorf("%s = %v, want > 0", name, v)
		}
	}
	if got, want := r.ProducerPeakRSSBytesPerPerson, float64(r.ProducerPeakRSSBytes)/30; got != want {
		t.Errorf("producer_peak_rss_bytes_per_person = %v, want %v", got, want)
	}
	if got, want := r.AggregatorPeakRSSBytesPerPerson, float64(r.AggregatorPeakRSSBytes)/30; got != want {
		t.Errorf("aggregator_peak_rss_bytes_per_person = %v, want %v", got, want)
	}
	if r.AggregatorRSSBytes > r.AggregatorPeakRSSBytes {
		t.Errorf("aggregator RSS %d after catching up exceeds its peak %d", r.AggregatorRSSBytes, r.AggregatorPeakRSSBytes)
	}
}

func TestBenchScaleBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative rate", []string{"--rate", "-5"}, "--rate must be a positive number"},
		{"zero rate", []string{"--rate", "0"}, "--rate must be a positive number"},
		{"nobody", []string{"--persons", "0"}, "--persons must be at least 1"},
		{"no days", []string{"--days", "0"}, "--days must be at least 1"},
		{"no latency events", []string{"--latency-events", "0"}, "--latency-events must be at least 1"},
		{"no poll interval", []string{"--poll-interval", "0s"}, "--poll-interval must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, context.Background(), nil, append([]string{"bench", "scale", "--json"}, tc.args...)...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want an error containing %q", code, stderr, tc.want)
			}
			if n := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); n != 0 {
				t.Errorf("error is %d lines, want one:\n%s", n+1, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing on an error", stdout)
			}
		})
	}
}

// TestHistogramQuantile checks the estimate against PromQL's
// histogram_quantile on hand-made buckets.
func TestHistogramQuantile(t *testing.T) {
	d := bucketDelta{bounds: []float64{0.001, 0.002, 0.005}, cum: []uint64{50, 90, 99}, count: 100}
	for _, tc := range []struct {
		q, want float64
	}{
		{0.25, 0.0005},                // half of the first bucket, from 0
		{0.5, 0.001},                  // its top
		{0.7, 0.0015},                 // halfway through the second
		{0.99, 0.005},                 // the last finite bucket's top
		{0.999, 0.005},                // in +Inf: the highest finite bound
		{0.95, 0.002 + 0.003*5.0/9.0}, // 5 of the third bucket's 9
	} {
		if got := d.quantile(tc.q); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

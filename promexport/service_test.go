package promexport_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"exhaust/aggregator"
	"exhaust/promexport"
	"exhaust/service"
)

// The Exporter is what the consuming service reports to.
var _ service.Observer = (*promexport.Exporter)(nil)

// TestServiceReasons keeps the rejection reasons in step with the service's:
// every reason it can report starts at zero, so no reason appears only once
// it first happens.
func TestServiceReasons(t *testing.T) {
	if promexport.ReasonAbsurdTime != service.ReasonAbsurdTime || promexport.ReasonUndecodable != service.ReasonUndecodable {
		t.Errorf("reason constants differ from the service's")
	}
	reg := prometheus.NewRegistry()
	if _, err := promexport.New(reg, aggregator.New(aggregator.DefaultConfig()), promexport.Options{}); err != nil {
		t.Fatal(err)
	}
	f := scrape(t, reg)
	for _, r := range service.Reasons {
		if _, ok := f.find("exhaust_events_rejected_total", "reason", r); !ok {
			t.Errorf("no exhaust_events_rejected_total{reason=%q} before any rejection", r)
		}
	}
	if got, want := len(f["exhaust_events_rejected_total"].GetMetric()), len(service.Reasons); got != want {
		t.Errorf("%d reasons exported, the service has %d", got, want)
	}
}

// TestQueueCapacity keeps the applier queue's capacity, the last bucket
// bound of exhaust_queue_depth, in step with the service's.
func TestQueueCapacity(t *testing.T) {
	if promexport.ApplierQueueCapacity != service.QueueCapacity {
		t.Errorf("promexport.ApplierQueueCapacity %d, service.QueueCapacity %d", promexport.ApplierQueueCapacity, service.QueueCapacity)
	}
}

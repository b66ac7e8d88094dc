package producers_test

import (
	"bytes"
	"testing"

	"exhaust/producers"
	_ "exhaust/producers/all" // every producer
	"exhaust/producers/producertest"
)

// TestCollectEncodedMatchesCollect: encoding as events are emitted gives the
// same events, in the same order, byte for byte, as encoding Collect's.
func TestCollectEncodedMatchesCollect(t *testing.T) {
	day := producertest.Day(t, 1)
	for _, p := range producers.All() {
		evs, err := producers.Collect(p, 1, day)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := producers.CollectEncoded(p, 1, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(enc) != len(evs) || len(evs) == 0 {
			t.Fatalf("%s: %d encoded events, %d collected", p.Spec().Name, len(enc), len(evs))
		}
		for i := range evs {
			want, err := evs[i].Encode()
			if err != nil {
				t.Fatal(err)
			}
			if e := enc[i]; !bytes.Equal(e.Payload, want) || e.ID != evs[i].ID || e.Subject != evs[i].Subject() || !e.Time.Equal(evs[i].Time) {
				t.Fatalf("%s event %d differs: %s vs %s", p.Spec().Name, i, e.Payload, want)
			}
		}
	}
}

package graph_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"exhaust/aggregator/graph"
	"exhaust/event"
)

// dayGraph is a synthetic graph the size of a day of persons people: each
// has a dozen identifiers of the built-in kinds, linked by a few links of
// each evidence kind that carry four event ids and a sentence, as the
// linker writes them, and a few linked to nobody. Its random source is
// fixed, so every call builds the same graph.
func dayGraph(persons int) *graph.Graph {
	rng := rand.New(rand.NewPCG(uint64(persons), 7))
	kinds := []event.IDKind{event.IMSI, event.IMEI, event.MSISDN, event.ADID, event.MAC, event.Wristband,
		event.Card, event.Pass, event.Ticket, event.Loyalty, event.Email, event.MAC}
	newUUID := func() string {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(rng.Uint32())
		}
		u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
		return u.String()
	}
	g := graph.New()
	for p := range persons {
		ids := make([]event.ID, len(kinds))
		for i, k := range kinds {
			ids[i] = event.ID{Kind: k, Value: fmt.Sprintf("%s-%06d-%08x", k, p, rng.Uint32())}
			g.Touch(ids[i], t0.Add(time.Duration(rng.IntN(86_400))*time.Second))
		}
		for i := 1; i < len(ids)-2; i++ {
			kind := graph.EvidenceKinds[i%len(graph.EvidenceKinds)]
			at := t0.Add(time.Duration(rng.IntN(86_400)) * time.Second)
			for range 1 + rng.IntN(6) {
				g.Link(graph.Link{A: ids[rng.IntN(i)], B: ids[i], Kind: kind, Score: rng.Float64() * 3, Count: 1,
					EventIDs: []string{newUUID()}, FirstSeen: at, LastSeen: at.Add(time.Duration(rng.IntN(3600)) * time.Second),
					Why: fmt.Sprintf("%s seen near %s 7 of 9 times, on %d days (odds 1.2e%d to 1 against every other phone)", ids[i].Kind, ids[0].Kind, 1+rng.IntN(5), rng.IntN(9))})
			}
		}
	}
	return g
}

// daySize is the people in the day of BenchmarkSave and BenchmarkLoad.
const daySize = 3000

// BenchmarkSave writes a day of daySize people's graph: what the
// aggregator's snapshot pauses the applier for, the graph's part of it.
func BenchmarkSave(b *testing.B) {
	g := dayGraph(daySize)
	var buf bytes.Buffer
	if err := g.Save(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := g.Save(&buf); err != nil {
			b.Fatal(err)
		}
	}
	// After the loop: its first call clears metrics reported before.
	b.ReportMetric(float64(buf.Len()), "part-bytes")
}

// BenchmarkLoad reads back what BenchmarkSave writes.
func BenchmarkLoad(b *testing.B) {
	var buf bytes.Buffer
	if err := dayGraph(daySize).Save(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := graph.New().Load(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "part-bytes")
}

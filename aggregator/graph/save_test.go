package graph_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"exhaust/aggregator/graph"
	"exhaust/aggregator/wire"
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

// part writes a graph part by hand: the header, then what fill writes.
func part(version uint64, fill func(w *wire.Writer)) []byte {
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	for _, c := range []byte("idgraph\x00") {
		b.WriteByte(c) // nothing is buffered yet
	}
	w.Uvarint(version)
	fill(w)
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// nodes writes n nodes, tok_0 to tok_n-1, each seen once at t0.
func nodes(w *wire.Writer, n int) {
	w.Uvarint(uint64(n))
	for i := range n {
		w.ID(id(event.Card, fmt.Sprintf("tok_%d", i)))
		w.Varint(t0.UnixNano())
		w.Varint(0)
		w.Int(1)
	}
}

// savedLink writes a link between nodes a and b of evidence kind kind,
// with nev event ids (UUIDs).
func savedLink(w *wire.Writer, a, b, kind, nev uint64) {
	w.Uvarint(a)
	w.Uvarint(b)
	w.Uvarint(kind)
	w.Int(1)
	w.Float64(1.5)
	w.Varint(t0.UnixNano())
	w.Varint(0)
	w.Uvarint(nev)
	for range nev {
		w.Bool(false)
		w.Float64(0)
		w.Float64(0)
	}
	w.String("why")
}

// TestLoadCorrupt feeds Load parts that are well formed but wrong, or cut
// short: each must give an error and leave the graph as it was.
func TestLoadCorrupt(t *testing.T) {
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"cut in the magic", "no identity graph part", []byte("idgr")},
		{"another magic", "not an identity graph part", append([]byte("idgraph\x01"), 3)},
		{"version 4", "version 4, this build reads version 3", part(4, func(*wire.Writer) {})},
		{"no counts", "unexpected EOF", part(3, func(*wire.Writer) {})},
		{"too many nodes", "count", part(3, func(w *wire.Writer) { w.Uvarint(1 << 40) })},
		{"nodes missing", "node 2: unexpected EOF", part(3, func(w *wire.Writer) {
			w.Uvarint(1 << 20) // a count within bounds, but two nodes only follow
			for i := range 2 {
				w.ID(id(event.Card, fmt.Sprint(i)))
				w.Varint(0)
				w.Varint(0)
				w.Int(1)
			}
		})},
		{"a node twice", `node 1 (card "tok_0") appears twice`, part(3, func(w *wire.Writer) {
			w.Uvarint(2)
			for range 2 {
				w.ID(id(event.Card, "tok_0"))
				w.Varint(0)
				w.Varint(0)
				w.Int(1)
			}
		})},
		{"seen beyond int32", "int32", part(3, func(w *wire.Writer) {
			w.Uvarint(1)
			w.ID(id(event.Card, "tok_0"))
			w.Varint(0)
			w.Varint(0)
			w.Int(1 << 40)
		})},
		{"too many links", "count", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1 << 40) })},
		{"links missing", "link 1: unexpected EOF", part(3, func(w *wire.Writer) {
			nodes(w, 3)
			w.Uvarint(2)
			savedLink(w, 0, 1, 0, 1)
		})},
		{"a missing node", "refers to node 0 or 2 of 2", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1); savedLink(w, 0, 2, 0, 0) })},
		{"a huge node index", "refers to node", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1); savedLink(w, 1<<40, 1, 0, 0) })},
		{"an unknown evidence kind", "count 3 above", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1); savedLink(w, 0, 1, 3, 0) })},
		{"not ordered", "not ordered A < B", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1); savedLink(w, 1, 0, 0, 0) })},
		{"a loop", "not ordered A < B", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1); savedLink(w, 1, 1, 0, 0) })},
		{"too many event ids", "count 5 above", part(3, func(w *wire.Writer) { nodes(w, 2); w.Uvarint(1); savedLink(w, 0, 1, 0, 5) })},
		{"a link twice", "link 1: appears twice", part(3, func(w *wire.Writer) {
			nodes(w, 2)
			w.Uvarint(2)
			savedLink(w, 0, 1, 2, 1)
			savedLink(w, 0, 1, 2, 0)
		})},
		{"a bad boolean", "boolean byte 7", part(3, func(w *wire.Writer) {
			nodes(w, 2)
			w.Uvarint(1)
			w.Uvarint(0)
			w.Uvarint(1)
			w.Uvarint(0)
			w.Int(1)
			w.Float64(1)
			w.Varint(0)
			w.Varint(0)
			w.Uvarint(1)
			w.Uvarint(7) // the first event id's flag: neither 0 (a UUID) nor 1 (a text)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(3)
			var before bytes.Buffer
			if err := g.Save(&before); err != nil {
				t.Fatal(err)
			}
			err := g.Load(bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, want an error containing %q", err, tt.want)
			}
			var after bytes.Buffer
			if err := g.Save(&after); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before.Bytes(), after.Bytes()) {
				t.Error("a failed Load changed the graph")
			}
		})
	}
}

// TestLoadHugeCount checks that a count far beyond the input costs
// nothing up front: Load grows its lists as entries arrive.
func TestLoadHugeCount(t *testing.T) {
	data := part(3, func(w *wire.Writer) {
		w.Uvarint(1<<28 - 1)
		w.ID(id(event.Card, "tok_0"))
	})
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if graph.New().Load(bytes.NewReader(data)) == nil {
				b.Fatal("Load succeeded")
			}
		}
	})
	if n := allocs.AllocedBytesPerOp(); n > 256<<10 {
		t.Errorf("Load of a part claiming 2²⁸ nodes allocated %d bytes", n)
	}
}

// TestSaveLoadEventBits keeps event ids whose halves, read as floats, are
// NaNs, infinities and negative zero: the 16 bytes go through
// wire.Float64 (putRaw8), which must carry them bit for bit.
func TestSaveLoadEventBits(t *testing.T) {
	evs := []string{
		"ffffffff-ffff-ffff-ffff-ffffffffffff", // quiet NaN with every payload bit
		"0100f07f-0000-0000-0000-00000000f87f", // signalling, then quiet NaN (little-endian halves)
		"0000f07f-0000-0000-0000-000000000080", // +Inf, then -0
		"00000000-0000-0000-0000-000000000000",
	}
	g := graph.New()
	g.Link(link(card, pass, graph.SameEvent, t0, evs...))
	h := clone(t, g)
	l, ok := h.LinkBetween(card, pass, graph.SameEvent)
	if !ok || !slices.Equal(l.EventIDs, evs) {
		t.Errorf("event ids after Load: %q, want %q", l.EventIDs, evs)
	}
}

package aggregator

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"exhaust/aggregator/wire"
)

func TestIDSet(t *testing.T) {
	var s idSet
	if s.has(0) || s.has(42) {
		t.Fatal("the empty set holds something")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in := map[uint64]bool{0: true} // stored as 1 (slotKey), which no other key below is
	s.add(0)
	for range 10000 {
		k := rng.Uint64()
		if rng.IntN(4) == 0 {
			k &= 0xff00 // keys alike in their low bits, and repeats
		}
		in[k] = true
		s.add(k)
	}
	if s.n != len(in) {
		t.Errorf("set holds %d keys, want %d", s.n, len(in))
	}
	for k := range in {
		if !s.has(k) {
			t.Fatalf("key %#x added but not found", k)
		}
	}
	for range 10000 {
		if k := rng.Uint64(); !in[k] && s.has(k) {
			t.Fatalf("key %#x found but never added", k)
		}
	}
	if got := len(s.keys()); got != len(in) {
		t.Errorf("keys lists %d, want %d", got, len(in))
	}
}

func TestRecentIDs(t *testing.T) {
	r := newRecentIDs(2 * time.Hour)
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	id := func(i int) string { return fmt.Sprintf("3f2b8c1e-0d4a-4c5e-9a7b-%012x", i) }
	if !r.add(id(1), t0) || r.add(id(1), t0.Add(time.Hour)) {
		t.Fatal("an id seen twice within the horizon is not a duplicate")
	}
	if !r.add("not-a-uuid", t0) || r.add("not-a-uuid", t0) {
		t.Fatal("an id that is not a UUID is not remembered")
	}
	for i := 2; i < 1000; i++ {
		if !r.add(id(i), t0.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("id %d is new but was taken for a duplicate", i)
		}
	}
	var b bytes.Buffer
	if err := r.save(&b); err != nil {
		t.Fatal(err)
	}
	loaded := newRecentIDs(2 * time.Hour)
	if err := loaded.load(&b); err != nil {
		t.Fatal(err)
	}
	for _, rr := range []*recentIDs{r, loaded} {
		if rr.add(id(500), t0) {
			t.Error("an id within the horizon is new again")
		}
		// Four hours later, the first hour is forgotten.
		rr.add(id(5000), t0.Add(4*time.Hour))
		if !rr.add(id(1), t0.Add(4*time.Hour)) {
			t.Error("an id beyond the horizon is still remembered")
		}
	}
}

// recentPart writes a duplicate filter part by hand: the header of
// version, then what fill writes.
func recentPart(version uint64, fill func(w *wire.Writer)) []byte {
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	w.Uint64(magic64(recentMagic))
	w.Uvarint(version)
	fill(w)
	if err := w.Flush(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// key writes k as save writes a key.
func key(w *wire.Writer, k uint64) { w.Uint64(k) }

// TestRecentIDsLoadCorrupt feeds load parts that are not the filter's,
// are cut short or break a set's rules: each must give an error and leave
// the filter as it was.
func TestRecentIDsLoadCorrupt(t *testing.T) {
	// A part of the build before, one gob value.
	var old bytes.Buffer
	if err := gob.NewEncoder(&old).Encode(struct {
		Newest  int64
		Buckets map[int64][]uint64
	}{Newest: 10, Buckets: map[int64][]uint64{10: {1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "no duplicate filter part: unexpected EOF", nil},
		{"a gob part", "not a duplicate filter part of version 2 (parts before were written with gob", old.Bytes()},
		{"version 3", "version 3, this build reads version 2", recentPart(3, func(*wire.Writer) {})},
		{"no newest", "unexpected EOF", recentPart(2, func(*wire.Writer) {})},
		{"too many hours", "count", recentPart(2, func(w *wire.Writer) { w.Varint(10); w.Uvarint(1 << 40) })},
		{"too many keys", "count", recentPart(2, func(w *wire.Writer) { w.Varint(10); w.Uvarint(1); w.Varint(10); w.Uvarint(1 << 40) })},
		{"keys missing", "hour 10, key 2: unexpected EOF", recentPart(2, func(w *wire.Writer) {
			w.Varint(10)
			w.Uvarint(1)
			w.Varint(10)
			w.Uvarint(1 << 20) // within bounds, but two keys only follow
			key(w, 1)
			key(w, 2)
		})},
		{"an hour twice", "hour 9 appears twice", recentPart(2, func(w *wire.Writer) {
			w.Varint(10)
			w.Uvarint(2)
			for range 2 {
				w.Varint(9)
				w.Uvarint(1)
				key(w, 1)
			}
		})},
		{"an hour after the newest", "after the newest (10)", recentPart(2, func(w *wire.Writer) {
			w.Varint(10)
			w.Uvarint(1)
			w.Varint(11)
			w.Uvarint(0)
		})},
		{"a zero key", "key 0x0 is zero", recentPart(2, func(w *wire.Writer) {
			w.Varint(10)
			w.Uvarint(1)
			w.Varint(10)
			w.Uvarint(1)
			key(w, 0)
		})},
		{"a key twice", "key 0xffffffffffffffff is zero or appears twice", recentPart(2, func(w *wire.Writer) {
			w.Varint(10)
			w.Uvarint(1)
			w.Varint(10)
			w.Uvarint(3)
			key(w, math.MaxUint64) // NaN bits, carried exactly
			key(w, 2)
			key(w, math.MaxUint64)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecentIDs(2 * time.Hour)
			t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
			r.add("kept", t0)
			err := r.load(bytes.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("load: %v, want an error containing %q", err, tt.want)
			}
			if r.add("kept", t0) || len(r.buckets) != 1 {
				t.Error("a failed load changed the filter")
			}
		})
	}
}

// TestRecentIDsSaveSame checks that the same filter gives the same bytes,
// and that a loaded one saves to them again.
func TestRecentIDsSaveSame(t *testing.T) {
	r := newRecentIDs(3 * time.Hour)
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i := range 5000 {
		r.add(fmt.Sprintf("id-%d", i), t0.Add(time.Duration(i)*time.Second))
	}
	var a, b, c bytes.Buffer
	if err := r.save(&a); err != nil {
		t.Fatal(err)
	}
	if err := r.save(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two saves of one filter differ")
	}
	loaded := newRecentIDs(3 * time.Hour)
	if err := loaded.load(bytes.NewReader(a.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := loaded.save(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("a loaded filter saves to other bytes")
	}
}

// recentDay is a filter holding what a city of some 5,000 people sends in
// the busiest hours of its day: 200,000 event ids over three hours.
func recentDay() *recentIDs {
	r := newRecentIDs(2 * time.Hour)
	rng := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	for i := range 200_000 {
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
		r.add(id, t0.Add(time.Duration(i)*3*time.Hour/200_000))
	}
	return r
}

// BenchmarkRecentSave writes recentDay: the duplicate filter's share of a
// snapshot's pause.
func BenchmarkRecentSave(b *testing.B) {
	r := recentDay()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.save(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "part-bytes")
}

// BenchmarkRecentLoad reads back what BenchmarkRecentSave writes.
func BenchmarkRecentLoad(b *testing.B) {
	var buf bytes.Buffer
	if err := recentDay().save(&buf); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := newRecentIDs(2 * time.Hour).load(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "part-bytes")
}

// FuzzRecentLoad feeds arbitrary bytes to the duplicate filter's load. It
// must never panic, and a filter that accepted the bytes must answer
// lookups (a probe that never ends would hang here), save, and load again.
func FuzzRecentLoad(f *testing.F) {
	for _, n := range []int{0, 1, 13, 100} {
		r := newRecentIDs(2 * time.Hour)
		t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
		for i := range n {
			r.add(fmt.Sprint(i), t0.Add(time.Duration(i)*2*time.Minute))
		}
		var b bytes.Buffer
		if err := r.save(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newRecentIDs(2 * time.Hour)
		if err := r.load(bytes.NewReader(data)); err != nil {
			return
		}
		for _, b := range r.buckets {
			for k := range uint64(64) {
				b.has(k * 0x9E3779B97F4A7C15)
			}
			b.each(func(k uint64) {
				if !b.has(k) {
					t.Fatalf("key %#x held but not found", k)
				}
			})
		}
		r.add("new", time.Unix(r.newest*3600, 0))
		var b bytes.Buffer
		if err := r.save(&b); err != nil {
			t.Fatalf("loaded, but cannot save again: %v", err)
		}
		if err := newRecentIDs(2 * time.Hour).load(&b); err != nil {
			t.Fatalf("cannot load what it saved: %v", err)
		}
	})
}

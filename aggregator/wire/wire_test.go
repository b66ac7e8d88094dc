package wire_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"exhaust/aggregator/wire"
	"exhaust/event"
)

func TestRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 3*32<<10) // longer than the buffers
	ids := []event.ID{{Kind: "imsi", Value: "208150000000001"}, {Kind: "mac", Value: "aa:bb"}, {Kind: "imsi", Value: "2"}, {Kind: "", Value: ""}}
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	w.Uvarint(math.MaxUint64)
	w.Varint(math.MinInt64)
	w.Int(-3)
	w.Int(math.MaxInt32)
	w.Float64(-0.1)
	w.Uint64(math.MaxUint64 - 1)
	w.Float64(math.Inf(1))
	w.Bool(true)
	w.Bool(false)
	w.String("")
	w.String(long)
	w.Bytes([]byte{0, 1, 2})
	for _, id := range ids {
		w.ID(id)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(&b)
	if v := r.Uvarint(); v != math.MaxUint64 {
		t.Errorf("Uvarint = %d", v)
	}
	if v := r.Varint(); v != math.MinInt64 {
		t.Errorf("Varint = %d", v)
	}
	if v := r.Int(); v != -3 {
		t.Errorf("Int = %d", v)
	}
	if v := r.Int32(); v != math.MaxInt32 {
		t.Errorf("Int32 = %d", v)
	}
	if v := r.Float64(); v != -0.1 {
		t.Errorf("Float64 = %v", v)
	}
	if v := r.Uint64(); v != math.MaxUint64-1 {
		t.Errorf("Uint64 = %d", v)
	}
	if v := r.Float64(); !math.IsInf(v, 1) {
		t.Errorf("Float64 = %v", v)
	}
	if !r.Bool() || r.Bool() {
		t.Error("Bool: want true then false")
	}
	if s := r.String(); s != "" {
		t.Errorf("String = %q", s)
	}
	if s := r.String(); s != long {
		t.Errorf("long String: %d bytes, want %d", len(s), len(long))
	}
	if v := r.Bytes(); !bytes.Equal(v, []byte{0, 1, 2}) {
		t.Errorf("Bytes = %v", v)
	}
	for _, want := range ids {
		if got := r.ID(); got != want {
			t.Errorf("ID = %v, want %v", got, want)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if r.Bool(); !errors.Is(r.Err(), io.ErrUnexpectedEOF) {
		t.Errorf("reading past the end: %v, want an unexpected EOF", r.Err())
	}
}

// TestKindsAreWrittenOnce checks that a kind's text is written once,
// then referred to by number.
func TestKindsAreWrittenOnce(t *testing.T) {
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	for range 100 {
		w.ID(event.ID{Kind: "imsi", Value: "1"})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b.Bytes(), []byte("imsi")); n != 1 {
		t.Errorf("kind written %d times, want once", n)
	}
}

func TestMalformed(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		read func(*wire.Reader)
		want string
	}{
		"count above the most": {[]byte{200, 1}, func(r *wire.Reader) { r.Len(100) }, "count 200 above"},
		"string too long":      {[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, func(r *wire.Reader) { _ = r.String() }, "count"},
		"truncated string":     {[]byte{5, 'a'}, func(r *wire.Reader) { _ = r.String() }, "unexpected EOF"},
		"unknown kind":         {[]byte{3}, func(r *wire.Reader) { _ = r.Kind() }, "kind number 3"},
		"bad boolean":          {[]byte{7}, func(r *wire.Reader) { r.Bool() }, "boolean byte 7"},
		"int32 overflow":       {[]byte{0x80, 0x80, 0x80, 0x80, 0x10}, func(r *wire.Reader) { r.Int32() }, "int32"},
	} {
		r := wire.NewReader(bytes.NewReader(tc.in))
		tc.read(r)
		if err := r.Err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one with %q", name, err, tc.want)
		}
	}
}

// TestFixedReadsDoNotAllocate checks that a part full of floats and
// hashes reads without an allocation a field.
func TestFixedReadsDoNotAllocate(t *testing.T) {
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	for i := range 2000 { // AllocsPerRun calls once more to warm up
		w.Float64(float64(i))
		w.Uint64(uint64(i))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader(bytes.NewReader(b.Bytes()))
	allocs := testing.AllocsPerRun(1, func() {
		for range 1000 {
			r.Float64()
			r.Uint64()
		}
	})
	if allocs > 0 || r.Err() != nil {
		t.Errorf("%v allocations for 2,000 fixed fields (error %v), want none", allocs, r.Err())
	}
}

// TestFirstErrorKept checks that a failed read makes the next ones
// no-ops that return zero values, and keeps the first error.
func TestFirstErrorKept(t *testing.T) {
	r := wire.NewReader(bytes.NewReader([]byte{9}))
	r.Bool()
	first := r.Err()
	if first == nil {
		t.Fatal("no error for a bad boolean")
	}
	if v := r.Uvarint(); v != 0 || r.Err() != first {
		t.Errorf("after an error: %d, %v; want 0 and the first error", v, r.Err())
	}
}

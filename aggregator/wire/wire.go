// Package wire writes and reads the aggregator's snapshot parts in a
// compact binary form: varints, fixed-width floats, length-prefixed
// strings, and identifiers whose kind is written once and then referred to
// by number.
//
// It replaces encoding/gob in the parts' Save and Load. Gob works by
// reflection, and serialising a city's state with it took most of the
// pause a snapshot imposes on the applier (docs/performance.md); a
// hand-written format costs a few nanoseconds a field instead.
//
// Both sides keep the first error and make every later call a no-op, so a
// part's code reads as a straight list of fields and checks Err once at the
// end, as bufio.Scanner's users do.
package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"exhaust/event"
)

// MaxString is the longest string Reader accepts: identifiers, ids and
// sentences are far shorter, and a corrupt length must not allocate
// gigabytes.
const MaxString = 1 << 20

// Writer writes fields to an io.Writer through a buffer of its own.
type Writer struct {
	w     io.Writer
	buf   []byte
	err   error
	kinds map[event.IDKind]uint64 // kind → its number + 1, in order of first use
}

// bufSize is how much Writer holds before it writes: small enough to stay
// in cache, large enough that a write is rare.
const bufSize = 32 << 10

// NewWriter returns a Writer on w. Call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, bufSize), kinds: map[event.IDKind]uint64{}}
}

// room makes room for n more bytes, writing what is held if need be.
func (w *Writer) room(n int) {
	if len(w.buf)+n > cap(w.buf) {
		w.flush()
	}
}

func (w *Writer) flush() {
	if w.err == nil && len(w.buf) > 0 {
		_, w.err = w.w.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

// Uvarint writes v in 1 to 10 bytes.
func (w *Writer) Uvarint(v uint64) {
	w.room(binary.MaxVarintLen64)
	w.buf = binary.AppendUvarint(w.buf, v)
}

// Varint writes v zig-zag encoded, so that small negative numbers are
// short too.
func (w *Writer) Varint(v int64) {
	w.room(binary.MaxVarintLen64)
	w.buf = binary.AppendVarint(w.buf, v)
}

// Int writes v as a Varint.
func (w *Writer) Int(v int) { w.Varint(int64(v)) }

// Uint64 writes v in 8 bytes (little-endian): shorter than a varint for
// a hash or the halves of a UUID, whose high bits are as often set as not.
func (w *Writer) Uint64(v uint64) {
	w.room(8)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, v)
}

// Float64 writes v's 8 bytes, exactly.
func (w *Writer) Float64(v float64) { w.Uint64(math.Float64bits(v)) }

// Bool writes v in a byte.
func (w *Writer) Bool(v bool) {
	w.room(1)
	b := byte(0)
	if v {
		b = 1
	}
	w.buf = append(w.buf, b)
}

// Bytes writes b with its length.
func (w *Writer) Bytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.raw(b)
}

// String writes s with its length.
func (w *Writer) String(s string) {
	w.Uvarint(uint64(len(s)))
	for len(s) > 0 {
		if len(w.buf) == cap(w.buf) {
			w.flush()
		}
		n := copy(w.buf[len(w.buf):cap(w.buf)], s)
		w.buf, s = w.buf[:len(w.buf)+n], s[n:]
	}
}

func (w *Writer) raw(b []byte) {
	for len(b) > 0 {
		if len(w.buf) == cap(w.buf) {
			w.flush()
		}
		n := copy(w.buf[len(w.buf):cap(w.buf)], b)
		w.buf, b = w.buf[:len(w.buf)+n], b[n:]
	}
}

// Kind writes an identifier kind: its text the first time, its number
// afterwards (a city's identifiers are of a dozen kinds).
func (w *Writer) Kind(k event.IDKind) {
	if n, ok := w.kinds[k]; ok {
		w.Uvarint(n)
		return
	}
	w.Uvarint(0)
	w.String(string(k))
	w.kinds[k] = uint64(len(w.kinds) + 1)
}

// ID writes an identifier: its kind (see Kind) and its value.
func (w *Writer) ID(id event.ID) {
	w.Kind(id.Kind)
	w.String(id.Value)
}

// Flush writes what is held and returns the first error met, if any.
func (w *Writer) Flush() error {
	w.flush()
	return w.err
}

// Reader reads what Writer wrote.
type Reader struct {
	r     *bufio.Reader
	err   error
	kinds []event.IDKind
}

// NewReader returns a Reader on r. It reads ahead of what it returns (as
// gob's decoder does), so r must hold one part only, or be a
// *bufio.Reader shared by the parts' Readers in turn.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, bufSize)
	}
	return &Reader{r: br}
}

// Err returns the first error met, with io.EOF reported as unexpected: a
// part's reader knows where its fields end.
func (r *Reader) Err() error { return r.err }

// Fail records a malformed value (the first error is kept).
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *Reader) fail(err error) {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if r.err == nil {
		r.err = err
	}
}

// Uvarint reads what Writer.Uvarint wrote.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.fail(err)
		return 0
	}
	return v
}

// Varint reads what Writer.Varint wrote.
func (r *Reader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(r.r)
	if err != nil {
		r.fail(err)
		return 0
	}
	return v
}

// Int reads what Writer.Int wrote.
func (r *Reader) Int() int {
	v := r.Varint()
	if v != int64(int(v)) {
		r.Fail("integer %d out of range", v)
		return 0
	}
	return int(v)
}

// Int32 reads what Writer.Int wrote of an int32, refusing a larger value.
func (r *Reader) Int32() int32 {
	v := r.Varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		r.Fail("integer %d out of int32's range", v)
		return 0
	}
	return int32(v)
}

// Len reads a count written by Writer.Int or Uvarint and refuses one
// above most: a corrupt count must fail, not allocate.
func (r *Reader) Len(most int) int {
	v := r.Uvarint()
	if v > uint64(most) {
		r.Fail("count %d above the most expected, %d", v, most)
		return 0
	}
	return int(v)
}

// Uint64 reads what Writer.Uint64 wrote. It peeks into the buffer: an
// array of its own would escape through io.ReadFull and cost an
// allocation a field.
func (r *Reader) Uint64() uint64 {
	if r.err != nil {
		return 0
	}
	b, err := r.r.Peek(8)
	if err != nil {
		r.fail(err)
		return 0
	}
	v := binary.LittleEndian.Uint64(b)
	_, _ = r.r.Discard(8)
	return v
}

// Float64 reads what Writer.Float64 wrote.
func (r *Reader) Float64() float64 { return math.Float64frombits(r.Uint64()) }

// Bool reads what Writer.Bool wrote.
func (r *Reader) Bool() bool {
	if r.err != nil {
		return false
	}
	b, err := r.r.ReadByte()
	if err != nil {
		r.fail(err)
		return false
	}
	if b > 1 {
		r.Fail("boolean byte %d", b)
	}
	return b == 1
}

func (r *Reader) full(b []byte) {
	if r.err != nil {
		clear(b)
		return
	}
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.fail(err)
		clear(b)
	}
}

// Bytes reads what Writer.Bytes wrote.
func (r *Reader) Bytes() []byte {
	n := r.Len(MaxString)
	if r.err != nil {
		return nil
	}
	b := make([]byte, n)
	r.full(b)
	return b
}

// String reads what Writer.String wrote.
func (r *Reader) String() string {
	n := r.Len(MaxString)
	if r.err != nil || n == 0 {
		return ""
	}
	// Peek avoids a copy when the string lies within the buffer.
	if b, err := r.r.Peek(n); err == nil {
		s := string(b)
		_, _ = r.r.Discard(n)
		return s
	}
	b := make([]byte, n)
	r.full(b)
	return string(b)
}

// Kind reads what Writer.Kind wrote.
func (r *Reader) Kind() event.IDKind {
	n := r.Uvarint()
	switch {
	case r.err != nil:
		return ""
	case n == 0:
		k := event.IDKind(r.String())
		r.kinds = append(r.kinds, k)
		return k
	case n > uint64(len(r.kinds)):
		r.Fail("identifier kind number %d, %d known", n, len(r.kinds))
		return ""
	}
	return r.kinds[n-1]
}

// ID reads what Writer.ID wrote.
func (r *Reader) ID() event.ID {
	k := r.Kind()
	return event.ID{Kind: k, Value: r.String()}
}

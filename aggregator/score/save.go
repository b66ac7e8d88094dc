package score

import (
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// savedVersion is the version of the Save format; Load refuses others.
// Version 2 writes the traces in binary blocks after a small head (see
// blockSize), where version 1 wrote them all in one gob value.
const savedVersion = 2

// savedTraces heads the Save format: NTraces traces follow, in blocks.
// (Version 1 wrote the traces in this one message, as IMSIs and Points:
// gob skips them, so Load reads an old snapshot as far as its version.)
type savedTraces struct {
	Version   int
	MaxPoints int
	Towers    []string // places (tower ids for Observe) by index
	NTraces   int
}

// blockSize is about how many bytes of traces one gob message holds (a
// block ends after the trace that reaches it, or before one that might
// not fit in twice that): gob's buffer and the block stay that small, where one message for every trace grew buffers
// to the size of the whole part and went through gob's reflection point
// by point.
//
// A block is traces one after the other, by key: the key's length
// (uvarint) and bytes, the number of points (uvarint), then the points
// (64-bit, see point), sorted: the first as a uvarint, each next one as
// its difference from the previous, a uvarint above zero.
const blockSize = 32 << 10

// Save writes the traces to w, deterministically.
func (t *Traces) Save(w io.Writer) error {
	if err := t.save(w); err != nil {
		return fmt.Errorf("save traces: %w", err)
	}
	return nil
}

func (t *Traces) save(w io.Writer) error {
	keys := make([]string, 0, t.Len())
	if t.packed != nil {
		keys = slices.AppendSeq(keys, maps.Keys(t.packed))
	} else {
		keys = slices.AppendSeq(keys, maps.Keys(t.traces))
	}
	slices.Sort(keys)
	enc := gob.NewEncoder(w)
	if err := enc.Encode(savedTraces{Version: savedVersion, MaxPoints: t.MaxPoints, Towers: t.names, NTraces: len(keys)}); err != nil {
		return err
	}
	buf := make([]byte, 0, 2*blockSize)
	for i, k := range keys {
		// A block that might not hold the trace is written first, so that
		// buf grows only for a trace longer than a block.
		if len(buf) > 0 && len(buf)+(2+t.Points(k))*binary.MaxVarintLen64+len(k) > cap(buf) {
			if err := enc.Encode(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		if t.packed != nil {
			tr := t.packed[k]
			buf = binary.AppendUvarint(buf, uint64(len(tr)))
			var last uint64
			for _, q := range tr {
				p := t.unpack(q)
				buf = binary.AppendUvarint(buf, p-last)
				last = p
			}
		} else {
			tr := t.traces[k]
			buf = binary.AppendUvarint(buf, uint64(len(tr)))
			var last uint64
			for _, p := range tr {
				buf = binary.AppendUvarint(buf, p-last)
				last = p
			}
		}
		if len(buf) >= blockSize || i == len(keys)-1 {
			if err := enc.Encode(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return nil
}

// Load replaces the traces with a snapshot written by Save. On error the
// traces are unchanged.
func (t *Traces) Load(r io.Reader) error {
	n, err := load(r)
	if err != nil {
		return fmt.Errorf("load traces: %w", err)
	}
	*t = *n
	return nil
}

func load(r io.Reader) (*Traces, error) {
	dec := gob.NewDecoder(r)
	var s savedTraces
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if s.Version != savedVersion {
		return nil, fmt.Errorf("snapshot version %d, this build reads version %d", s.Version, savedVersion)
	}
	if s.NTraces < 0 {
		return nil, fmt.Errorf("%d traces", s.NTraces)
	}
	n := NewTraces()
	n.MaxPoints = s.MaxPoints
	for i, name := range s.Towers {
		n.towers[name] = uint32(i)
	}
	n.names = s.Towers
	var (
		blk  []byte
		prev string
	)
	for i := range s.NTraces {
		if len(blk) == 0 {
			if err := dec.Decode(&blk); err != nil {
				return nil, fmt.Errorf("trace %d: %w", i, err)
			}
			if len(blk) == 0 {
				return nil, fmt.Errorf("trace %d: an empty block", i)
			}
		}
		var (
			key string
			pts []uint64
			err error
		)
		key, pts, blk, err = readTrace(blk)
		if err != nil {
			return nil, fmt.Errorf("trace %d: %w", i, err)
		}
		if i > 0 && key <= prev {
			return nil, fmt.Errorf("trace %d: keys out of order", i)
		}
		prev = key
		n.set(key, pts)
	}
	if len(blk) > 0 {
		return nil, fmt.Errorf("%d bytes after the last trace", len(blk))
	}
	return n, nil
}

var errShort = errors.New("a trace cut short")

// readTrace reads one trace written by save from the front of b.
func readTrace(b []byte) (key string, pts []uint64, rest []byte, err error) {
	kl, w := binary.Uvarint(b)
	if w <= 0 || kl > uint64(len(b)-w) {
		return "", nil, nil, errShort
	}
	b = b[w:]
	key, b = string(b[:kl]), b[kl:]
	np, w := binary.Uvarint(b)
	if w <= 0 || np > uint64(len(b)-w) { // a point takes a byte at least
		return "", nil, nil, errShort
	}
	b = b[w:]
	pts = make([]uint64, np)
	var last uint64
	for i := range pts {
		d, w := binary.Uvarint(b)
		if w <= 0 {
			return "", nil, nil, errShort
		}
		b = b[w:]
		if i > 0 && (d == 0 || last+d < last) {
			return "", nil, nil, fmt.Errorf("points of key %q not sorted", key)
		}
		last += d
		pts[i] = last
	}
	return key, pts, b, nil
}

package producers

import (
	"bufio"
	"compress/flate"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Merged is a day made by StreamDay, read in time order: a k-way merge of
// every producer's sorted runs, by (time, producer, run, position in the
// run). Each producer's runs hold its events in emission order, run after
// run, so the merge is the stable sort by time of each producer's events
// and their merge with ties to the producer listed first: CollectDay's
// order, exactly.
//
// A Merged is read once, by one goroutine, and must be closed: Close
// releases its temporary files.
type Merged struct {
	spills   []*spiller
	started  bool
	cursors  cursors
	cur      *cursor // the cursor of the current event
	ev       Encoded
	producer int
	err      error
	subjects map[string]string // subjects read back, interned
}

// Len returns the number of events in the day.
func (m *Merged) Len() int {
	n := 0
	for _, s := range m.spills {
		n += s.events
	}
	return n
}

// Runs returns the number of runs the day was spilled in (0 for a day
// held in memory).
func (m *Merged) Runs() int {
	n := 0
	for _, s := range m.spills {
		n += len(s.runs)
	}
	return n
}

// Next advances to the next event of the day, earliest first. It returns
// false at the end of the day or on an error (see Err).
func (m *Merged) Next() bool {
	if m.err != nil {
		return false
	}
	if !m.started {
		m.started = true
		if m.err = m.open(); m.err != nil {
			return false
		}
	} else if c := m.cur; c != nil {
		ok, err := c.next(m)
		switch {
		case err != nil:
			m.err = err
			return false
		case ok:
			heap.Fix(&m.cursors, 0)
		default:
			heap.Pop(&m.cursors)
			c.close()
		}
	}
	m.cur = nil
	if len(m.cursors) == 0 {
		return false
	}
	m.cur = m.cursors[0]
	m.producer = m.cur.producer
	m.ev = Encoded{Time: time.Unix(0, m.cur.t).UTC(), Subject: m.cur.subject, ID: m.cur.id, Payload: m.cur.payload}
	return true
}

// Event returns the current event and the index of its producer in the
// producers given to StreamDay. Its payload is the caller's to keep.
func (m *Merged) Event() (int, Encoded) { return m.producer, m.ev }

// Err returns the error that stopped Next, if any.
func (m *Merged) Err() error { return m.err }

// Close releases the day's buffers and removes its temporary files. It may
// be called at any time, more than once.
func (m *Merged) Close() error {
	for _, c := range m.cursors {
		c.close()
	}
	m.cursors, m.cur = nil, nil
	var errs []error
	for _, s := range m.spills {
		errs = append(errs, s.close())
	}
	if m.err == nil {
		m.err = errClosed
	}
	return errors.Join(errs...)
}

var errClosed = errors.New("producers: day closed")

// open makes a cursor on every run and loads its first event.
func (m *Merged) open() error {
	m.subjects = map[string]string{}
	for _, s := range m.spills {
		for i, r := range s.runs {
			br := bufio.NewReaderSize(io.NewSectionReader(s.file, r.off, r.size), readBuffer)
			fr := flate.NewReader(br)
			c := &cursor{producer: s.index, run: i, left: r.events, fr: fr, r: bufio.NewReaderSize(fr, readBuffer)}
			if err := m.push(c); err != nil {
				return err
			}
		}
		if len(s.recs) > 0 { // the tail held in memory: the last run
			s.sortBuffer()
			if err := m.push(&cursor{producer: s.index, run: len(s.runs), mem: s, left: len(s.recs)}); err != nil {
				return err
			}
		}
	}
	heap.Init(&m.cursors)
	return nil
}

// readBuffer is the buffer of each side of a run's decompressor: a day
// spilled in a thousand runs reads through a thousand of them at once.
const readBuffer = 8 << 10

func (m *Merged) push(c *cursor) error {
	ok, err := c.next(m)
	if err != nil {
		return err
	}
	if ok {
		m.cursors = append(m.cursors, c)
	}
	return nil
}

// cursor reads one run, an event at a time.
type cursor struct {
	producer, run int
	left          int // events not yet read

	// The current event.
	t       int64
	subject string
	id      string
	payload []byte
	scratch []byte

	mem *spiller // a run held in memory: mem.recs from pos
	pos int

	fr io.ReadCloser // a run on disk, decompressed
	r  *bufio.Reader
}

// next loads the cursor's next event; false at the end of its run.
func (c *cursor) next(m *Merged) (bool, error) {
	if c.left == 0 {
		return false, nil
	}
	c.left--
	if c.mem != nil {
		rec := c.mem.recs[c.pos]
		c.pos++
		c.t = rec.t
		subject, rest := cutField(c.mem.frameOf(rec))
		id, rest := cutField(rest)
		c.payload, _ = cutField(rest)
		c.subject, c.id = m.intern(subject), string(id)
		return true, nil
	}
	t, err := binary.ReadUvarint(c.r)
	if err != nil {
		return false, c.corrupt(err)
	}
	c.t = int64(t)
	n, err := binary.ReadUvarint(c.r)
	if err != nil {
		return false, c.corrupt(err)
	}
	c.scratch = slices.Grow(c.scratch[:0], int(n))[:n]
	if _, err := io.ReadFull(c.r, c.scratch); err != nil {
		return false, c.corrupt(err)
	}
	c.subject = m.intern(c.scratch) // a subject is one of a few: not copied each time
	id, err := c.field()
	if err != nil {
		return false, err
	}
	c.id = string(id)
	if c.payload, err = c.field(); err != nil {
		return false, err
	}
	return true, nil
}

// field reads a length-prefixed field of a frame, into a new slice.
func (c *cursor) field() ([]byte, error) {
	n, err := binary.ReadUvarint(c.r)
	if err != nil {
		return nil, c.corrupt(err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, c.corrupt(err)
	}
	return b, nil
}

func (c *cursor) corrupt(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read back run %d of producer %d: %w", c.run, c.producer, err)
}

// cutField splits a length-prefixed field off a frame held in memory.
func cutField(b []byte) (field, rest []byte) {
	n, k := binary.Uvarint(b)
	end := k + int(n)
	return b[k:end:end], b[end:]
}

func (m *Merged) intern(b []byte) string {
	if s, ok := m.subjects[string(b)]; ok {
		return s
	}
	s := string(b)
	m.subjects[s] = s
	return s
}

func (c *cursor) close() {
	if c.fr != nil {
		c.fr.Close()
	}
	c.fr, c.r, c.mem = nil, nil, nil
}

// cursors is a min-heap of cursors by their current event's (time,
// producer, run).
type cursors []*cursor

func (h cursors) Len() int { return len(h) }
func (h cursors) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.t != b.t {
		return a.t < b.t
	}
	if a.producer != b.producer {
		return a.producer < b.producer
	}
	return a.run < b.run
}
func (h cursors) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursors) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursors) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

package aggregator

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A snapshot's parts are framed in chunks: each chunk is its length (4
// bytes, big-endian) and its bytes, and a zero length ends the part. A
// part framed by its whole length would have to be held whole before it
// is written, the linker's and the graph's are most of a city's state, so
// a snapshot would allocate their size again (with a buffer's doublings) and
// copy them once more, on the applier's time.

// chunkSize is the most a chunk holds.
const chunkSize = 64 << 10

// chunkWriter frames what is written to it into chunks on w. Close ends
// the part.
type chunkWriter struct {
	w   io.Writer
	buf []byte // 4 bytes of length, then the chunk's bytes
	err error
}

func newChunkWriter(w io.Writer) *chunkWriter {
	return &chunkWriter{w: w, buf: make([]byte, 4, 4+chunkSize)}
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && c.err == nil {
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf = c.buf[:len(c.buf)+k]
		p, n = p[k:], n+k
		if len(c.buf) == cap(c.buf) {
			c.flush()
		}
	}
	return n, c.err
}

// flush writes the chunk held, if any.
func (c *chunkWriter) flush() {
	if len(c.buf) == 4 || c.err != nil {
		return
	}
	binary.BigEndian.PutUint32(c.buf, uint32(len(c.buf)-4))
	_, c.err = c.w.Write(c.buf)
	c.buf = c.buf[:4]
}

// Close writes what is held and the end of the part.
func (c *chunkWriter) Close() error {
	c.flush()
	if c.err == nil {
		_, c.err = c.w.Write([]byte{0, 0, 0, 0})
	}
	return c.err
}

// chunkReader reads one part's chunks from r, then io.EOF.
type chunkReader struct {
	r    io.Reader
	left uint32 // bytes left in the current chunk
	done bool   // the part's end was read
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		var n [4]byte
		if _, err := io.ReadFull(c.r, n[:]); err != nil {
			return 0, fmt.Errorf("chunk length: %w", noEOF(err))
		}
		if c.left = binary.BigEndian.Uint32(n[:]); c.left == 0 {
			c.done = true
			return 0, io.EOF
		}
		if c.left > chunkSize {
			return 0, fmt.Errorf("chunk of %d bytes, at most %d are written", c.left, chunkSize)
		}
	}
	if uint32(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= uint32(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // within a chunk
	}
	return n, err
}

// noEOF turns a clean end of input where a chunk must follow into an
// unexpected one.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

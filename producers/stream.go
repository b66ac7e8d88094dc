package producers

import (
	"bufio"
	"cmp"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"exhaust/event"
	"exhaust/world"
)

// DefaultMemory is the most bytes of encoded events StreamDay holds in
// memory by default: a classroom's day (30 people, a few megabytes) never
// touches the disk, a city's day spills runs of this order of size.
const DefaultMemory = 32 << 20

// A producer's buffer is a list of chunks rather than one slice: it never
// copies itself to grow, and its chunks are reused from run to run. A
// frame's place is its chunk and offset in one uint32 (see record).
const (
	chunkBits = 20
	chunkSize = 1 << chunkBits
	maxChunks = math.MaxUint32>>chunkBits + 1
	// maxMemory keeps a buffer's chunks countable.
	maxMemory = maxChunks / 2 * chunkSize
)

// StreamOptions tunes StreamDay.
type StreamOptions struct {
	// Memory is the most bytes of encoded events the day holds in memory
	// while it is made; past it, a producer's buffer is sorted and written
	// to a temporary file as a run. 0 means DefaultMemory.
	Memory int
	// Dir holds the temporary files; "" means os.TempDir() (so TMPDIR is
	// honoured).
	Dir string
}

// StreamDay has every producer of ps observe a day, given as its parts in
// population order (world.World.Part; a whole day is a single part), and
// returns the day's events merged in time order: exactly CollectDay's
// stream, ids and bytes included, ties to the producer listed first.
//
// Memory depends on the size of a part and opt.Memory, not on the number
// of events in the day: each producer encodes its events as they are
// emitted into a shared, bounded buffer; a full buffer is sorted by time
// and spilled to a temporary file as a compressed run, and the day is
// read back by a merge of all the runs (Merged). A day that fits in
// opt.Memory never touches the disk.
//
// The parts are observed one after the other (every producer on a part,
// concurrently), each producer carrying its generator and ids from one
// part to the next, so a producer whose Observe treats people one after
// the other (the contract of Producer) emits what it emits for the whole
// day. ctx is checked between parts. The caller must Close the result.
func StreamDay(ctx context.Context, ps []Producer, seed int64, parts iter.Seq[*world.Day], opt StreamOptions) (*Merged, error) {
	if len(ps) > MaxMerged {
		return nil, fmt.Errorf("%d producers, at most %d", len(ps), MaxMerged)
	}
	if opt.Memory <= 0 {
		opt.Memory = DefaultMemory
	}
	opt.Memory = min(opt.Memory, maxMemory)
	if opt.Dir == "" {
		opt.Dir = os.TempDir()
	}
	g := &generation{opt: opt, spills: make([]*spiller, len(ps))}
	for i := range ps {
		g.spills[i] = &spiller{g: g, producer: ps[i].Spec().Name, index: i, subjects: map[string]string{}}
	}
	m := &Merged{spills: g.spills}
	err := g.observe(ctx, ps, seed, parts)
	if err == nil && g.spilled.Load() {
		// A day on disk keeps nothing in memory while it waits its turn:
		// the tails join the runs.
		for _, s := range g.spills {
			if err = s.spill(); err != nil {
				break
			}
			s.release()
		}
		g.free = nil
	}
	if err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// generation is the state shared by the producers making one day.
type generation struct {
	opt     StreamOptions
	spills  []*spiller
	held    atomic.Int64 // bytes buffered by all the producers
	spilled atomic.Bool  // some producer wrote a run

	// free holds the chunks of spilled runs for any producer to reuse:
	// kept by the producer that spilled them, they would add up to more
	// than the memory bound, each producer holding its own high mark.
	freeMu sync.Mutex
	free   [][]byte
}

// chunk returns an empty chunk, reused if one is free.
func (g *generation) chunk() []byte {
	g.freeMu.Lock()
	defer g.freeMu.Unlock()
	if n := len(g.free); n > 0 {
		c := g.free[n-1]
		g.free = g.free[:n-1]
		return c
	}
	return make([]byte, 0, chunkSize)
}

// release gives back a producer's chunks once spilled.
func (g *generation) release(chunks [][]byte) {
	g.freeMu.Lock()
	defer g.freeMu.Unlock()
	for _, c := range chunks {
		if cap(c) == chunkSize {
			g.free = append(g.free, c[:0])
		}
	}
}

// observe runs the producers over the parts in order, in parallel on each
// part. The next part is made while the producers observe this one.
func (g *generation) observe(ctx context.Context, ps []Producer, seed int64, parts iter.Seq[*world.Day]) error {
	next, stop := iter.Pull(parts)
	defer stop()
	ready := make(chan *world.Day, 1)
	pull := func() {
		d, ok := next()
		if !ok {
			d = nil
		}
		ready <- d
	}
	go pull()
	var rngs []*rand.Rand
	for {
		day := <-ready
		if day == nil {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if rngs == nil { // the first part: every producer's streams start
			rngs = make([]*rand.Rand, len(ps))
			for i, p := range ps {
				name := p.Spec().Name
				rngs[i] = rand.New(Seeded(seed, name, day.Index))
				g.spills[i].ids = Seeded(seed, name+"/ids", day.Index)
			}
		}
		go pull()
		errs := make([]error, len(ps))
		var wg sync.WaitGroup
		for i, p := range ps {
			wg.Go(func() {
				s := g.spills[i]
				if err := p.Observe(day, rngs[i], s); err != nil {
					errs[i] = fmt.Errorf("producer %s, day %d: %w", s.producer, day.Index, err)
				} else if s.err != nil {
					errs[i] = fmt.Errorf("producer %s, day %d: %w", s.producer, day.Index, s.err)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			<-ready
			return err
		}
	}
}

// spiller is one producer's Emitter in StreamDay: it encodes each event
// into its buffer and spills the buffer as a sorted run when the day's
// memory is full. Its runs go to one temporary file, one after the other.
type spiller struct {
	g        *generation
	producer string
	index    int
	ids      *rand.ChaCha8
	subjects map[string]string // by kind: built once, not per event
	err      error

	chunks [][]byte // framed events (see appendFrame), in emission order
	recs   []record // one per event buffered
	used   int64    // bytes of frames in chunks
	frame  []byte   // the frame being built
	events int      // emitted so far

	file    *os.File
	name    string // the file's name while it could not be removed
	written int64  // bytes of runs in file
	runs    []run
	w       *flate.Writer
	bw      *bufio.Writer
}

// record is a buffered event: its time and where its frame is, as chunk
// index << chunkBits | offset in the chunk. The place breaks ties: chunks
// fill in emission order, so sorting by (time, place) is the stable sort
// by time CollectDay does.
type record struct {
	t   int64 // Unix nanoseconds
	at  uint32
	len uint32 // of the frame
}

// frameOf returns the frame of r.
func (s *spiller) frameOf(r record) []byte {
	c, off := r.at>>chunkBits, r.at&(chunkSize-1)
	return s.chunks[c][off : off+r.len : off+r.len]
}

// store copies a frame into the chunks and returns its place.
func (s *spiller) store(frame []byte) uint32 {
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+len(frame) > cap(s.chunks[last]) {
		var c []byte
		if len(frame) > chunkSize { // a frame of its own
			c = make([]byte, 0, len(frame))
		} else {
			c = s.g.chunk()
		}
		s.chunks = append(s.chunks, c)
		last++
	}
	at := uint32(last)<<chunkBits | uint32(len(s.chunks[last]))
	s.chunks[last] = append(s.chunks[last], frame...)
	s.used += int64(len(frame))
	return at
}

// run is a sorted run in a producer's file.
type run struct {
	off, size int64
	events    int
}

// Emit encodes an event into the buffer.
func (s *spiller) Emit(kind string, t time.Time, data any) {
	id, err := uuid.NewRandomFromReader(s.ids)
	if err != nil { // ChaCha8 never fails to read
		panic(err)
	}
	s.events++
	if s.err != nil {
		return // the day is lost; the ids are still drawn, as ever
	}
	ev := event.New(id.String(), s.producer, kind, t, data)
	payload, err := ev.Encode()
	if err != nil {
		s.err = errors.Join(s.err, err)
		return
	}
	subject, ok := s.subjects[kind]
	if !ok {
		subject = ev.Subject()
		s.subjects[kind] = subject
	}
	s.frame = appendFrame(s.frame[:0], subject, ev.ID, payload)
	s.recs = append(s.recs, record{t: ev.Time.UnixNano(), at: s.store(s.frame), len: uint32(len(s.frame))})
	// What a buffered event costs: its frame and its record.
	held := s.g.held.Add(int64(len(s.frame)) + recordSize)
	// Spill when the day's memory is full, if this buffer is a fair share
	// of it: a small producer does not cut tiny runs while a large one
	// holds the memory (the large one spills at its next event).
	limit := int64(s.g.opt.Memory)
	if held > limit && s.bytes() >= limit/int64(2*len(s.g.spills)) || s.bytes() >= limit || len(s.chunks) == maxChunks {
		s.err = s.spill()
	}
}

// recordSize is the memory of a record.
const recordSize = 16

// bytes is what the buffer holds.
func (s *spiller) bytes() int64 { return s.used + recordSize*int64(len(s.recs)) }

// appendFrame appends an event's frame: its subject, id and payload, each
// preceded by its length.
func appendFrame(b []byte, subject, id string, payload []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(subject)))
	b = append(b, subject...)
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.AppendUvarint(b, uint64(len(payload)))
	return append(b, payload...)
}

// sortBuffer puts the buffer's records in time order, emission order
// among equal times.
func (s *spiller) sortBuffer() {
	slices.SortFunc(s.recs, func(a, b record) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.at, b.at)
	})
}

// spill writes the buffer as a sorted run at the end of the producer's
// file, compressed (a city's day is tens of gigabytes of JSON), and empties
// the buffer. Each record is its time, then its frame.
func (s *spiller) spill() error {
	if len(s.recs) == 0 {
		return nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.g.opt.Dir, "exhaust-"+s.producer+"-*.runs")
		if err != nil {
			return fmt.Errorf("spill the day's events: %w", err)
		}
		s.file = f
		// Removed at once: the open file lives on, and no crash can leave
		// it behind. Where an open file cannot be removed, Close does it.
		if os.Remove(f.Name()) != nil {
			s.name = f.Name()
		}
		s.bw = bufio.NewWriterSize(f, 1<<16)
		s.w, err = flate.NewWriter(s.bw, flate.BestSpeed)
		if err != nil {
			return err
		}
	} else {
		s.w.Reset(s.bw)
	}
	s.sortBuffer()
	var tb [binary.MaxVarintLen64]byte
	for _, r := range s.recs {
		n := binary.PutUvarint(tb[:], uint64(r.t))
		if _, err := s.w.Write(tb[:n]); err != nil {
			return fmt.Errorf("spill the day's events: %w", err)
		}
		if _, err := s.w.Write(s.frameOf(r)); err != nil {
			return fmt.Errorf("spill the day's events: %w", err)
		}
	}
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("spill the day's events: %w", err)
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("spill the day's events: %w", err)
	}
	end, err := s.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("spill the day's events: %w", err)
	}
	s.runs = append(s.runs, run{off: s.written, size: end - s.written, events: len(s.recs)})
	s.written = end
	s.g.held.Add(-s.bytes())
	s.g.spilled.Store(true)
	s.g.release(s.chunks)
	clear(s.chunks)
	s.chunks, s.recs, s.used = s.chunks[:0], s.recs[:0], 0
	return nil
}

// close releases the producer's buffer and file.
func (s *spiller) close() error {
	s.release()
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if s.name != "" {
		err = errors.Join(err, os.Remove(s.name))
	}
	s.file, s.name, s.w, s.bw = nil, "", nil, nil
	return err
}

// release lets go of the buffer.
func (s *spiller) release() { s.chunks, s.recs, s.frame, s.used = nil, nil, nil, 0 }

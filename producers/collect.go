package producers

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"exhaust/event"
	"exhaust/world"
)

// Seeded returns the generator for one (seed, stream, day). Every producer and
// day gets its own stream, so selecting a subset of producers or replaying one
// day gives exactly the same events as the full run.
func Seeded(seed int64, stream string, day int) *rand.ChaCha8 {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(stream))
	binary.BigEndian.PutUint64(b[:], uint64(day))
	h.Write(b[:])
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.NewChaCha8(key)
}

// collector is the Emitter used by Collect.
type collector struct {
	producer string
	ids      *rand.ChaCha8
	events   []event.Event
}

func (c *collector) Emit(kind string, t time.Time, data any) {
	id, err := uuid.NewRandomFromReader(c.ids)
	if err != nil { // ChaCha8 never fails to read
		panic(err)
	}
	c.events = append(c.events, event.New(id.String(), c.producer, kind, t, data))
}

// Collect runs producer p over day and returns its events sorted by time
// (stable, so equal times keep emission order). Ids are derived from seed, so
// the same seed, settings and day give the same events, ids included.
func Collect(p Producer, seed int64, day *world.Day) ([]event.Event, error) {
	name := p.Spec().Name
	c := &collector{producer: name, ids: Seeded(seed, name+"/ids", day.Index)}
	rng := rand.New(Seeded(seed, name, day.Index))
	if err := p.Observe(day, rng, c); err != nil {
		return nil, fmt.Errorf("producer %s, day %d: %w", name, day.Index, err)
	}
	return sortByTime(c.events), nil
}

// Encoded is one event as it is published: its time, subject, id and JSON.
type Encoded struct {
	Time    time.Time
	Subject string
	ID      string
	Payload []byte
}

// encoder is the Emitter used by CollectEncoded.
type encoder struct {
	producer string
	ids      *rand.ChaCha8
	out      []Encoded
	err      error
}

func (c *encoder) Emit(kind string, t time.Time, data any) {
	id, err := uuid.NewRandomFromReader(c.ids)
	if err != nil { // ChaCha8 never fails to read
		panic(err)
	}
	ev := event.New(id.String(), c.producer, kind, t, data)
	b, err := ev.Encode()
	if err != nil {
		c.err = errors.Join(c.err, err)
		return
	}
	c.out = append(c.out, Encoded{Time: ev.Time, Subject: ev.Subject(), ID: ev.ID, Payload: b})
}

// CollectEncoded is Collect with each event encoded as it is emitted, so
// that neither the events nor their data are held: only what a publisher
// sends. Same seed, settings and day, same events, ids and bytes as
// encoding Collect's.
func CollectEncoded(p Producer, seed int64, day *world.Day) ([]Encoded, error) {
	name := p.Spec().Name
	c := &encoder{producer: name, ids: Seeded(seed, name+"/ids", day.Index)}
	rng := rand.New(Seeded(seed, name, day.Index))
	if err := p.Observe(day, rng, c); err != nil {
		return nil, fmt.Errorf("producer %s, day %d: %w", name, day.Index, err)
	}
	if c.err != nil {
		return nil, fmt.Errorf("producer %s, day %d: %w", name, day.Index, c.err)
	}
	slices.SortStableFunc(c.out, func(a, b Encoded) int { return a.Time.Compare(b.Time) })
	return c.out, nil
}

// sortByTime returns evs in time order, equal times keeping emission order.
// It sorts a permutation rather than the events: an Event is large, and the
// phone producer's output (person after person) is far from sorted.
func sortByTime(evs []event.Event) []event.Event {
	idx := make([]int32, len(evs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return evs[a].Time.Compare(evs[b].Time) })
	out := make([]event.Event, len(evs))
	for i, j := range idx {
		out[i] = evs[j]
	}
	return out
}

// MaxMerged is the most producers CollectDay merges: the merge order
// names a producer in one byte.
const MaxMerged = math.MaxUint8 + 1

// CollectDay has every producer of ps observe day on its own goroutine,
// each encoding its events as it emits them (CollectEncoded), and returns
// them with the order that merges them by time: order[i] is the producer
// of the i-th event of the day, earliest first, ties to the producer
// listed first, so the merge is deterministic. It is the stream the
// runner publishes.
func CollectDay(ps []Producer, seed int64, day *world.Day) ([][]Encoded, []uint8, error) {
	if len(ps) > MaxMerged {
		return nil, nil, fmt.Errorf("%d producers, at most %d", len(ps), MaxMerged)
	}
	perProducer := make([][]Encoded, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			perProducer[i], errs[i] = CollectEncoded(p, seed, day)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	// Each producer's events are already in time order: merge them.
	total := 0
	for _, evs := range perProducer {
		total += len(evs)
	}
	order := make([]uint8, 0, total)
	next := make([]int, len(perProducer))
	for len(order) < total {
		pick := -1
		for i, evs := range perProducer {
			if next[i] < len(evs) && (pick < 0 || evs[next[i]].Time.Before(perProducer[pick][next[pick]].Time)) {
				pick = i
			}
		}
		order = append(order, uint8(pick))
		next[pick]++
	}
	return perProducer, order, nil
}

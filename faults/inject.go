package faults

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"iter"
	"slices"
	"strings"
	"time"

	"exhaust/event"
)

// Event is one event of the time-ordered stream a run emits, as it would
// be published.
type Event struct {
	Producer string    // the producer's name
	Time     time.Time // the event's time; the stream is in this order
	Subject  string
	ID       string // the event's id
	Payload  []byte // the encoded event
}

// Delivery is an event as it is delivered, faults done.
type Delivery struct {
	// Event is what to publish. Its Payload is the original's, except for a
	// corrupted event or a skewed device's (whose Time is then the skewed
	// time too).
	Event
	// At is when the event is delivered, in simulated time: its own time,
	// or later when it is delayed or a duplicate. Deliveries come in At
	// order.
	At time.Time
	// MsgID is the message id to publish with: the event's id, or for a
	// duplicate and a corrupted event that id with DuplicateSuffix or
	// CorruptSuffix (see those).
	MsgID string
	// Fault is what was done to this delivery: Delay for a delayed event,
	// Duplicate for the second copy, Corrupt for a corrupted one, -1 for an
	// event delivered on time as it was (skewed or not: see Skewed).
	Fault Kind
	// Skewed reports that the event's time was shifted by its device's
	// clock offset.
	Skewed bool
}

// DuplicateSuffix ends the message id of a duplicate: the event id plus
// "-dup1". A broker that deduplicates by message id (JetStream's
// Nats-Msg-Id within its duplicate window) would otherwise swallow the
// duplicate before any consumer sees it; the lesson is the consumer's own
// dedup by event id, which a duplicate must reach. It models a sensor that
// resends after a missed acknowledgement with a new message id, or a resend
// that comes after the broker's window: either way the same event, same id
// and bytes, arrives twice.
const DuplicateSuffix = "-dup1"

// CorruptSuffix ends the message id of a corrupted event: the event id
// plus "-corrupt", so that a corrupt message and the clean event of another
// run of the same seed never deduplicate each other, and the dead-letter
// stream's original message id names the event it replaced.
const CorruptSuffix = "-corrupt"

// NoFault is Delivery.Fault of an event delivered on time.
const NoFault Kind = -1

// Day applies a plan to one day's events and records what it did. It is
// used by one goroutine; make one per day with Plan.Day.
type Day struct {
	seed  int64
	day   int
	plan  Plan
	prods map[string]*producerDay // nil entry: a producer without faults
	held  held
	seq   uint64
	// Count, if set, is called each time a fault is done, as it is decided
	// (a delay when the event is held back, not when it is delivered).
	Count func(producer string, k Kind)
}

// producerDay is one producer's faults and report of the day.
type producerDay struct {
	set     Set
	key     uint64 // from (seed, producer, day): the events' draws
	skewKey uint64 // from (seed, producer): the devices' clocks
	report  Report
	devices map[event.ID]bool // skewed devices already listed
}

// Day returns the faults of day for a run with seed.
func (p Plan) Day(seed int64, day int) *Day {
	return &Day{seed: seed, day: day, plan: p, prods: map[string]*producerDay{}}
}

// producer returns the state of a producer, nil if it suffers no fault.
func (d *Day) producer(name string) *producerDay {
	pd, ok := d.prods[name]
	if ok {
		return pd
	}
	set := d.plan.For(name)
	if !set.IsZero() {
		pd = &producerDay{
			set:     set,
			key:     keyOf(d.seed, name, "events", d.day),
			skewKey: keyOf(d.seed, name, "clocks", 0),
			report:  Report{Producer: name, Day: d.day, Seed: d.seed, Faults: set.String()},
			devices: map[event.ID]bool{},
		}
	}
	d.prods[name] = pd
	return pd
}

// Reports returns what the day did to each producer that suffers faults
// and had events, by producer name, once Apply's sequence is done; each is
// whole, one part (Report.Split cuts it).
func (d *Day) Reports() []Report {
	var out []Report
	for _, pd := range d.prods {
		if pd != nil {
			r := pd.report
			r.Part, r.Parts = 0, 1
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Report) int { return strings.Compare(a.Producer, b.Producer) })
	return out
}

// Apply returns events with the day's faults done, in delivery order:
// delayed events and duplicates wait in a buffer ordered by delivery time,
// and come out once the stream has passed it, so a delayed event is
// delivered behind events that happened after it, never more than its
// lateness late. events must be in time order; Apply's sequence is used
// once.
func (d *Day) Apply(events iter.Seq[Event]) iter.Seq[Delivery] {
	return func(yield func(Delivery) bool) {
		for e := range events {
			for len(d.held) > 0 && !d.held[0].At.After(e.Time) {
				if !yield(heap.Pop(&d.held).(heldItem).Delivery) {
					return
				}
			}
			pd := d.producer(e.Producer)
			if pd == nil {
				if !yield(Delivery{Event: e, At: e.Time, MsgID: e.ID, Fault: NoFault}) {
					return
				}
				continue
			}
			if now, ok := d.inject(pd, e); ok && !yield(now) {
				return
			}
		}
		for len(d.held) > 0 {
			if !yield(heap.Pop(&d.held).(heldItem).Delivery) {
				return
			}
		}
	}
}

// inject decides e's faults. It returns the delivery to make now, if any;
// delayed events and duplicates go to the buffer.
func (d *Day) inject(pd *producerDay, e Event) (Delivery, bool) {
	pd.report.Events++
	s := pd.set
	// Every event draws the same numbers in the same order whatever its
	// faults, so changing one fault's rate changes no other fault's
	// choices.
	r := newDraws(pd.key, e.ID)
	uDelay, lag := r.float(), r.next()
	uDup, dupLag := r.float(), r.next()
	uDrop := r.float()
	uCorrupt, variant, extra := r.float(), r.next(), r.next()

	out := Delivery{Event: e, At: e.Time, MsgID: e.ID, Fault: NoFault}
	if rule := s.Rule(Skew); rule.Rate > 0 {
		if id, ok := firstID(e.Payload); ok {
			if off, ok := pd.offset(id, rule); ok {
				if b, t, ok := shiftTime(e.Payload, off); ok {
					out.Payload, out.Time, out.Skewed = b, t, true
					d.count(pd, Skew)
					if !pd.devices[id] {
						pd.devices[id] = true
						pd.report.Skewed = append(pd.report.Skewed, Device{ID: id, OffsetMS: off.Milliseconds()})
					}
				}
			}
		}
	}
	if uDrop < s.Rule(Drop).Rate {
		d.count(pd, Drop)
		pd.report.Dropped = append(pd.report.Dropped, e.ID)
		return Delivery{}, false
	}
	if uCorrupt < s.Rule(Corrupt).Rate {
		c := corruptions[variant%uint64(len(corruptions))]
		out.Payload, out.MsgID, out.Fault = c.apply(out.Payload, extra), e.ID+CorruptSuffix, Corrupt
		d.count(pd, Corrupt)
		pd.report.Corrupted = append(pd.report.Corrupted, Corrupted{ID: e.ID, MsgID: out.MsgID, As: c.name, Reason: c.reason})
		return out, true
	}
	now := true
	if rule := s.Rule(Delay); uDelay < rule.Rate {
		// Late by (0, lateness]: a delayed event is always late.
		out.At = e.Time.Add(time.Duration(1 + lag%uint64(rule.Amount)))
		out.Fault = Delay
		d.count(pd, Delay)
		d.hold(out)
		now = false
	}
	if uDup < s.Rule(Duplicate).Rate {
		dup := out
		dup.At = out.At.Add(time.Duration(dupLag % uint64(DuplicateLag+1)))
		dup.MsgID, dup.Fault = e.ID+DuplicateSuffix, Duplicate
		d.count(pd, Duplicate)
		d.hold(dup)
	}
	return out, now
}

func (d *Day) count(pd *producerDay, k Kind) {
	pd.report.Counts.add(k)
	if d.Count != nil {
		d.Count(pd.report.Producer, k)
	}
}

// hold puts a delivery in the buffer; equal times come out in the order
// held.
func (d *Day) hold(dl Delivery) {
	d.seq++
	heap.Push(&d.held, heldItem{dl, d.seq})
}

// offset returns the clock offset of a device, if its clock is off: a
// Rate share of devices are, each by its own offset, drawn uniformly
// within ±Amount, the same every day.
func (pd *producerDay) offset(id event.ID, rule Rule) (time.Duration, bool) {
	r := newDraws(pd.skewKey, string(id.Kind)+"\x00"+id.Value)
	u, v := r.float(), r.float()
	if u >= rule.Rate {
		return 0, false
	}
	off := time.Duration((2*v - 1) * float64(rule.Amount)).Round(time.Millisecond)
	if off == 0 {
		off = time.Millisecond
	}
	return off, true
}

// firstID returns an event's first identifier: what names its device.
func firstID(payload []byte) (event.ID, bool) {
	var e struct {
		Data struct {
			IDs []event.ID `json:"ids"`
		} `json:"data"`
	}
	if json.Unmarshal(payload, &e) != nil || len(e.Data.IDs) == 0 {
		return event.ID{}, false
	}
	return e.Data.IDs[0], true
}

// shiftTime returns the event payload with its time moved by off, all
// else unchanged.
func shiftTime(payload []byte, off time.Duration) ([]byte, time.Time, bool) {
	var raw json.RawMessage
	e := event.Event{Data: &raw}
	if json.Unmarshal(payload, &e) != nil {
		return nil, time.Time{}, false
	}
	e.Data, e.Time = raw, e.Time.Add(off)
	b, err := e.Encode()
	if err != nil {
		return nil, time.Time{}, false
	}
	return b, e.Time, true
}

// keyOf derives a 64-bit key from the run's seed and a stream's name.
func keyOf(seed int64, producer, stream string, day int) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte("faults/" + producer + "/" + stream))
	binary.BigEndian.PutUint64(b[:], uint64(day))
	h.Write(b[:])
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// draws is a SplitMix64 sequence keyed by a stream key and a name (an
// event id, a device): cheap to start for every event, and well mixed.
type draws struct{ x uint64 }

func newDraws(key uint64, name string) draws {
	h := fnv.New64a()
	h.Write([]byte(name))
	return draws{x: key ^ mix(h.Sum64())}
}

func (r *draws) next() uint64 {
	r.x += 0x9e3779b97f4a7c15
	return mix(r.x)
}

// float returns a number in [0, 1).
func (r *draws) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// mix is SplitMix64's finaliser.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// held is the buffer of delayed events and duplicates, a min-heap by
// delivery time then order held.
type held []heldItem

type heldItem struct {
	Delivery
	seq uint64
}

func (h held) Len() int { return len(h) }
func (h held) Less(i, j int) bool {
	if c := h[i].At.Compare(h[j].At); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h held) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *held) Push(x any)   { *h = append(*h, x.(heldItem)) }
func (h *held) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = heldItem{}
	*h = old[:len(old)-1]
	return x
}

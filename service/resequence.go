package service

import (
	"cmp"
	"slices"
	"time"

	"exhaust/event"
	"exhaust/natsbus"
)

// Putting each publisher's messages back in publication order.
//
// The Engine's state depends on the order of the events, and the stream
// keeps a publisher's order except across a failover of the stream's
// leader on a NATS cluster: a message sent to the leader that went away is
// published again once its ack has timed out, behind later messages the
// new leader stored meanwhile (natsbus.Publisher). Every message of a
// natsbus.Publisher carries its publisher and its number in that
// publisher's order, so the applier can hold a message that came before
// its turn until the ones before it arrive, and apply them all in order.
// Then an aggregator ends with the same state whichever node went down.
//
// A missing number below a later message's settled mark
// (natsbus.PublisherSettledHeader) is not coming: the stream dropped it as
// a duplicate, or the publisher gave up on it. It is not waited for. A gap
// nothing settles (a producer killed with messages in flight) holds the
// publisher's later messages back for at most Config.HoldTimeout; then
// they are applied in their order and the gap is counted. Messages without
// the headers (older producers, raw publishers) are applied in stream
// order, as before.
//
// While messages are held no snapshot is taken: a snapshot covers every
// message up to a stream sequence, and a held one is below that sequence
// without being in the state. The snapshot's header keeps each publisher's
// next number, so a restart holds what the run before it would have held.

const (
	// DefaultHoldTimeout is how long a publisher's messages wait for one
	// missing before them (Config.HoldTimeout): well past the publisher's
	// ack timeout (natsbus.DefaultAckTimeout), after which it publishes
	// the message again, plus a leader election.
	DefaultHoldTimeout = time.Minute
	// maxHeld bounds the messages held, all publishers together. A
	// publisher's window (natsbus.DefaultMaxPending) spans from its oldest
	// message not acknowledged, so a failover holds at most a window of
	// each publisher's messages.
	maxHeld = 16 * natsbus.DefaultMaxPending
	// maxPublishers bounds the publishers whose next number is kept (one
	// per producer process run): the ones heard from least recently are
	// forgotten first.
	maxPublishers = 1024
)

// held is a message waiting for its turn, with what validating it gave.
type held struct {
	m    natsbus.Message
	ev   *event.Event
	err  error
	took time.Duration
	seq  uint64 // its number in its publisher's order
}

// publisherOrder is what the resequencer knows of one publisher.
type publisherOrder struct {
	next  uint64    // the number of the message to apply next
	last  uint64    // stream sequence of its latest message, for forgetting
	held  []held    // messages after a gap, sorted by seq
	since time.Time // when the oldest of held began waiting
}

// resequencer puts each publisher's messages in publication order; see the
// comment above. It is used by the applier alone.
type resequencer struct {
	timeout time.Duration
	pubs    map[string]*publisherOrder
	// The publisher of the last message, and its order: most messages
	// come from the same one as the message before.
	lastName string
	lastP    *publisherOrder
	nheld    int
	gaps     uint64 // gaps given up on
	moved    uint64 // messages applied after being held
}

func newResequencer(timeout time.Duration) *resequencer {
	return &resequencer{timeout: timeout, pubs: map[string]*publisherOrder{}}
}

// admit takes the message m, numbered seq by publisher with the settled
// mark settled (natsbus.PublisherSettledHeader; 0 if none), which
// validated to ev or err in took. It returns what to apply, in this order:
// early, held messages that the settled mark frees; m itself if apply; then
// freed, held messages that m frees. m is held when earlier messages of its
// publisher are missing that may still come. now is read only when
// something is held.
//
// It runs once per message: the usual case, a message in its turn with
// nothing held, allocates nothing.
func (r *resequencer) admit(publisher string, seq, settled uint64, m *natsbus.Message, ev *event.Event, err error, took time.Duration, now func() time.Time) (early []held, apply bool, freed []held) {
	p := r.lastP
	if publisher != r.lastName {
		if p = r.pubs[publisher]; p == nil {
			// The first message heard from this publisher starts its
			// order at its settled mark: the numbers below it are in the
			// stream before it (or never will be), so an aggregator that
			// starts after them (or forgot the publisher) waits for none
			// of them, while the ones from the mark on may still come,
			// behind it, when a failover falls in the publisher's first
			// window. Without a mark, the message itself starts it.
			next := seq
			if settled > 0 && settled < seq {
				next = settled
			}
			p = &publisherOrder{next: next}
			r.pubs[publisher] = p
			r.forget()
		}
		r.lastName, r.lastP = publisher, p
	}
	p.last = m.Seq
	if settled > p.next {
		// Every message numbered below settled is in the stream before m
		// or never will be: the missing ones are not waited for.
		early = r.skipTo(p, settled, now)
	}
	switch {
	case seq < p.next:
		// Late: its gap was given up on.
		return early, true, nil
	case seq > p.next:
		if len(p.held) == 0 {
			p.since = now()
		}
		i, found := slices.BinarySearchFunc(p.held, seq, func(x held, seq uint64) int { return cmp.Compare(x.seq, seq) })
		if found {
			// The same number again (the same message stored twice, past
			// the stream's duplicate window): the one held stands.
			return early, false, nil
		}
		p.held = slices.Insert(p.held, i, held{m: *m, ev: ev, err: err, took: took, seq: seq})
		r.nheld++
		if r.nheld > maxHeld {
			return early, false, r.giveUp(p)
		}
		return early, false, nil
	}
	p.next++
	if len(p.held) == 0 || p.held[0].seq != p.next {
		return early, true, nil
	}
	return early, true, r.skipTo(p, p.next, now)
}

// skipTo moves p's next number up to to, and returns the held messages
// that frees, in order: those numbered below to, then those that follow on
// without a gap.
func (r *resequencer) skipTo(p *publisherOrder, to uint64, now func() time.Time) []held {
	k := 0
	for k < len(p.held) && p.held[k].seq < to {
		k++
	}
	p.next = to
	for k < len(p.held) && p.held[k].seq == p.next {
		p.next++
		k++
	}
	if k == 0 {
		return nil
	}
	out := slices.Clone(p.held[:k])
	r.release(p, k)
	if len(p.held) > 0 {
		p.since = now() // the rest waits for the next gap from now
	}
	return out
}

// expire gives up on the gaps that have held messages back since before
// now-timeout and returns the messages they held, each publisher's in
// order.
func (r *resequencer) expire(now time.Time) []held {
	var out []held
	for _, name := range r.sortedNames() {
		if p := r.pubs[name]; len(p.held) > 0 && now.Sub(p.since) >= r.timeout {
			out = append(out, r.giveUp(p)...)
		}
	}
	return out
}

// giveUp applies a publisher's held messages as if its gaps were filled.
func (r *resequencer) giveUp(p *publisherOrder) []held {
	out := slices.Clone(p.held)
	r.gaps++
	p.next = out[len(out)-1].seq + 1
	r.release(p, len(out))
	return out
}

// release drops the first n held messages of p, counted as moved.
func (r *resequencer) release(p *publisherOrder, n int) {
	clear(p.held[:n])
	p.held = p.held[n:]
	if len(p.held) == 0 {
		p.held = nil
	}
	r.nheld -= n
	r.moved += uint64(n)
}

// holding returns how many messages are held.
func (r *resequencer) holding() int { return r.nheld }

// positions returns each publisher's next number, for a snapshot. Call it
// when nothing is held.
func (r *resequencer) positions() map[string]PublisherPosition {
	if len(r.pubs) == 0 {
		return nil
	}
	out := make(map[string]PublisherPosition, len(r.pubs))
	for name, p := range r.pubs {
		out[name] = PublisherPosition{Next: p.next, LastSeq: p.last}
	}
	return out
}

// restore sets the publishers' next numbers from a snapshot.
func (r *resequencer) restore(pos map[string]PublisherPosition) {
	clear(r.pubs)
	r.nheld = 0
	r.lastName, r.lastP = "", nil
	for name, p := range pos {
		r.pubs[name] = &publisherOrder{next: p.Next, last: p.LastSeq}
	}
}

// forget drops the publishers heard from least recently, holding nothing,
// beyond maxPublishers.
func (r *resequencer) forget() {
	for len(r.pubs) > maxPublishers {
		oldest, seq := "", uint64(0)
		for name, p := range r.pubs {
			if len(p.held) == 0 && p.last != 0 && (oldest == "" || p.last < seq) {
				oldest, seq = name, p.last
			}
		}
		if oldest == "" {
			return
		}
		delete(r.pubs, oldest)
		if oldest == r.lastName {
			r.lastName, r.lastP = "", nil
		}
	}
}

// sortedNames returns the publishers holding messages, sorted, so that
// giving up on several at once applies them in the same order every time.
func (r *resequencer) sortedNames() []string {
	var names []string
	for name, p := range r.pubs {
		if len(p.held) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// PublisherPosition is a publisher's place in a snapshot: the number of
// its next message, and the stream sequence of its latest one.
type PublisherPosition struct {
	Next    uint64 `json:"next"`
	LastSeq uint64 `json:"last_seq"`
}

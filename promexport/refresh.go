package promexport

import (
	"sync"
	"time"

	"exhaust/aggregator"
	"exhaust/shard"
)

// Scraping a big city.
//
// Part of what a scrape reads costs in proportion to the whole state:
// accuracy and unicity are scored over every cluster, and the per-person
// series need the profiles ranked, which derives every profile's facts.
// At 10,000 people that took tens of seconds, all under the Engine's read
// lock, so the applier (which needs the write lock) stood still for as
// long, and a Prometheus scraping every few seconds would have stopped it
// for good. So that part is read apart from the scrape, as a "slow view":
//
//   - the first scrape reads it at once (a scrape never lacks a series);
//   - after a read that took d, the next waits RefreshSpacing×d: reading
//     takes at most 1/(RefreshSpacing+1) of the Engine's time, whatever
//     the city's size and however often Prometheus scrapes;
//   - once due, a scrape starts the next read in the background and
//     serves the previous view meanwhile, one read at a time; unless the
//     last read took less than syncRead: then the scrape waits for it, so
//     a classroom city's scrape is exact.
//
// While a read is running, the Engine's lock may be held for long, and a
// reader queues behind the applier waiting for it: so a scrape then serves
// the newest cheap figures (events, profiles, identifiers, links) any
// scrape or read has seen, rather than wait; never older ones, which would
// make exhaust_events_applied_total go back (a counter reset to
// Prometheus). Otherwise they are read live, which costs microseconds.
//
// Staleness: the slow figures are as old as the last read's start, at most
// about (RefreshSpacing+1)×d plus one scrape interval. A small city's read
// takes milliseconds, so every scrape of it is practically fresh.

// RefreshSpacing is how many times the last slow read's duration a scrape
// waits before starting the next one (see above).
const RefreshSpacing = 10

// syncRead is the longest a slow read may have taken for the next one to
// be made by the scrape itself rather than in the background: well under
// any scrape timeout, and far above a classroom city's few milliseconds.
const syncRead = 100 * time.Millisecond

// view is what one scrape exports of the Engine's state.
type view struct {
	cheap
	acc aggregator.Accuracy
	top []*aggregator.Profile
	// owned is how many profiles this worker owns, slot and live the
	// worker slots it was read with.
	owned int
	slot  int
	live  []int
	// city: this worker exports the city's accuracy figures (acc is read
	// only then).
	city bool
}

// cheap are the figures read live.
type cheap struct {
	stats aggregator.Stats
	seq   uint64
}

// refresher keeps the last slow view and decides when to read it again.
type refresher struct {
	e     *aggregator.Engine
	cap   int
	shard Shard // nil: one aggregator
	now   func() time.Time

	mu      sync.Mutex
	newest  cheap         // the newest cheap figures read
	last    *view         // nil until the first read
	took    time.Duration // how long the last read took
	next    time.Time     // no read before
	running bool
	done    chan struct{} // closed when the running read ends (tests wait on it)
}

func newRefresher(e *aggregator.Engine, cap int, sh Shard) *refresher {
	return &refresher{e: e, cap: cap, shard: sh, now: time.Now}
}

// view returns what a scrape should export now.
func (r *refresher) view() view {
	r.mu.Lock()
	last, running, newest := r.last, r.running, r.newest
	r.mu.Unlock()
	if last == nil {
		return *r.read(nil)
	}
	v := *last
	if running {
		v.cheap = newest
		return v
	}
	// Read before any background read starts, not to queue behind it.
	v.cheap = r.readCheap()
	r.mu.Lock()
	due := !r.running && !r.now().Before(r.next)
	if due {
		r.running = true
		r.done = make(chan struct{})
	}
	done, quick := r.done, r.took < syncRead
	r.mu.Unlock()
	if due && quick {
		return *r.read(done)
	}
	if due {
		go r.read(done)
	}
	return v
}

// read reads the whole view from the Engine, records it and the time the
// next read is due, and closes done (if not nil).
func (r *refresher) read(done chan struct{}) *view {
	start := r.now()
	v := &view{cheap: r.readCheap(), live: []int{0}, city: true}
	var keep func(id string) bool
	if r.shard != nil {
		v.slot, v.live = r.shard.Slot(), r.shard.Live()
		v.city = shard.Owner(shard.CityScoreKey, v.live) == v.slot
		keep = func(id string) bool { return shard.Owner(id, v.live) == v.slot }
	}
	if v.city {
		v.acc = r.e.Accuracy()
	}
	v.top, v.owned = r.e.TopProfilesOf(max(r.cap, 0), keep)
	end := r.now()
	r.mu.Lock()
	r.last, r.took = v, end.Sub(start)
	r.next = end.Add(RefreshSpacing * r.took)
	r.running = false
	r.mu.Unlock()
	if done != nil {
		close(done)
	}
	return v
}

// readCheap reads the cheap figures live and returns the newest seen: two
// scrapes reading at once may finish in either order.
func (r *refresher) readCheap() cheap {
	c := cheap{stats: r.e.Stats(), seq: r.e.Seq()}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.stats.Events >= r.newest.stats.Events && c.seq >= r.newest.seq {
		r.newest = c
	}
	return r.newest
}

package natsbus

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Several aggregators sharing a city.
//
// Every aggregator started with the default consumer claims a numbered
// slot in the WorkerBucket key-value bucket: the lowest whose key is
// absent, with a create (compare-and-set), so two workers starting at once
// never get the same one. It keeps the key alive by updating it, against
// its last revision, every quarter of the bucket's TTL; a worker that dies
// stops doing so, and the server forgets its key after the TTL. Its slot
// is then free for the next worker to start, which takes over its durable
// consumer and snapshot (both named after the slot) where it left them.
//
// The live slots are the keys present; shard.Owner shares the city's
// people among them for /metrics.

// WorkerBucket is the key-value bucket of the aggregator workers' slots.
const WorkerBucket = "EXHAUST_WORKERS"

// WorkerStream is the stream behind WorkerBucket.
const WorkerStream = "KV_" + WorkerBucket

// DefaultWorkerTTL is how long a silent worker keeps its slot: long enough
// for a pause of the process (a snapshot, a garbage collection) not to
// lose it, short enough that its people are exported again soon after it
// dies. It applies when the bucket is created; an existing bucket keeps
// its own.
const DefaultWorkerTTL = 10 * time.Second

// WorkerConsumerInactive is how long a worker slot's durable consumer is
// kept with nobody pulling from it: a group that shrank from five workers
// to three stops showing slots 3 and 4's backlogs an hour later. A worker
// that claims the slot again creates the consumer again from its snapshot.
const WorkerConsumerInactive = time.Hour

// joinTimeout bounds opening the bucket when a worker joins.
const joinTimeout = 10 * time.Second

// MaxWorkers is how many slots there are.
const MaxWorkers = 64

// ErrSlotLost is returned by Worker.Run when another process took this
// worker's slot: the worker was silent for longer than the TTL, and two
// processes must never share a slot's durable consumer.
var ErrSlotLost = errors.New("worker slot taken over by another process while this one was silent for longer than the bucket's TTL: restart to claim a free slot")

// workerKeyPrefix prefixes every slot's key: slot.0, slot.1, …
const workerKeyPrefix = "slot."

// WorkerInfo is what a worker writes in its slot's key, for operators
// (nats kv get EXHAUST_WORKERS slot.0).
type WorkerInfo struct {
	Slot    int       `json:"slot"`
	Host    string    `json:"host,omitempty"`
	HTTP    string    `json:"http,omitempty"`
	Started time.Time `json:"started"`
}

// Worker is a claimed slot.
type Worker struct {
	kv    jetstream.KeyValue
	slot  int
	key   string
	value []byte
	every time.Duration
	log   *slog.Logger

	ttl   time.Duration
	watch jetstream.KeyWatcher // follows the slots' keys (see follow)
	now   func() time.Time

	mu    sync.Mutex
	rev   uint64
	seen  map[int]time.Time // other live slots: when their key last changed, on this process's clock
	heard time.Time         // when the watcher last delivered a change, this worker's heartbeats included
}

// ensureWorkerBucket creates or updates the slots' bucket with replicas
// copies; 0 keeps an existing bucket as it is (a missing one gets one
// copy and ttl).
func ensureWorkerBucket(ctx context.Context, js jetstream.JetStream, replicas int, ttl time.Duration) (jetstream.KeyValue, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:      WorkerBucket,
		Description: "exhaust aggregator workers: one key per live worker's slot, forgotten after the TTL",
		TTL:         ttl,
		History:     1,
		Storage:     jetstream.MemoryStorage, // heartbeats, nothing worth a disk write
		Replicas:    replicas,
	}
	var kv jetstream.KeyValue
	var err error
	if replicas > 0 {
		if s, serr := js.Stream(ctx, WorkerStream); serr == nil {
			cfg.TTL = s.CachedInfo().Config.MaxAge // keep the operator's TTL
		}
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
	} else {
		kv, err = keepReplicas(ctx, js, WorkerStream,
			func(replicas int) (jetstream.KeyValue, error) {
				cfg.Replicas = replicas
				return js.CreateKeyValue(ctx, cfg)
			},
			func(int) (jetstream.KeyValue, error) { return js.KeyValue(ctx, WorkerBucket) })
	}
	if err != nil {
		return nil, fmt.Errorf("open worker bucket %s: %w", WorkerBucket, err)
	}
	return kv, nil
}

// JoinWorkers claims the lowest free slot in WorkerBucket (creating the
// bucket with one replica and DefaultWorkerTTL if it is missing). Run
// keeps it; Leave frees it.
func JoinWorkers(ctx context.Context, js jetstream.JetStream, info WorkerInfo, log *slog.Logger) (*Worker, error) {
	if log == nil {
		log = slog.Default()
	}
	if info.Started.IsZero() {
		info.Started = time.Now().UTC() // it tells this run's value from any other's (see beat)
	}
	bctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	kv, err := ensureWorkerBucket(bctx, js, 0, DefaultWorkerTTL)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// A request the user may not send gets no answer at all.
		return nil, fmt.Errorf("%w (no answer in %s: may this NATS user use the bucket? docs/deploy.md lists the rights)", err, joinTimeout)
	}
	if err != nil {
		return nil, err
	}
	status, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("worker bucket %s: %w", WorkerBucket, err)
	}
	ttl := status.TTL()
	if ttl <= 0 {
		return nil, fmt.Errorf("worker bucket %s has no TTL: a dead worker would keep its slot for ever (delete the bucket, or run exhaust setup)", WorkerBucket)
	}
	w := &Worker{kv: kv, every: ttl / 4, ttl: ttl, log: log, now: time.Now, seen: map[int]time.Time{}}
	if !w.reclaim(ctx, info) {
		if err := w.claim(ctx, info); err != nil {
			return nil, err
		}
	}
	if err := w.follow(ctx); err != nil {
		_ = w.Leave(context.WithoutCancel(ctx))
		return nil, err
	}
	return w, nil
}

// follow watches the slots' keys until Leave (or ctx ends), once their
// current values are in: one consumer for the worker's life, which the
// server pushes every heartbeat and departure to, rather than a listing
// of the bucket at every beat. A worker that died leaves no departure:
// a key that has not changed for a TTL is one the server has forgotten
// (see Live).
func (w *Worker) follow(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	watch, err := w.kv.Watch(context.WithoutCancel(ctx), workerKeyPrefix+"*")
	if err != nil {
		return fmt.Errorf("watch worker slots in %s: %w", WorkerBucket, err)
	}
	w.watch = watch
	initial := make(chan struct{})
	go func() {
		for entry := range watch.Updates() {
			if entry == nil {
				close(initial)
				continue
			}
			w.note(entry)
		}
	}()
	select {
	case <-initial:
		return nil
	case <-wctx.Done():
		_ = watch.Stop()
		return fmt.Errorf("watch worker slots in %s: %w", WorkerBucket, wctx.Err())
	}
}

// note takes one change of a slot's key into the live slots.
func (w *Worker) note(entry jetstream.KeyValueEntry) {
	n, ok := slotOf(entry.Key())
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.heard = w.now()
	if n == w.slot {
		return
	}
	if entry.Operation() == jetstream.KeyValuePut {
		w.seen[n] = w.now()
	} else {
		delete(w.seen, n) // a departure (Leave), or a marker of the server forgetting it
	}
}

// ListWorkers returns the slots WorkerBucket holds, sorted, and the
// bucket's TTL, for operators (exhaust workers): a slot whose worker died
// stays listed until the server forgets it, a TTL after its last
// heartbeat. It creates nothing: a server with no bucket is an error.
func ListWorkers(ctx context.Context, js jetstream.JetStream) ([]WorkerInfo, time.Duration, error) {
	kv, err := js.KeyValue(ctx, WorkerBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, 0, fmt.Errorf("no bucket %s on this server: no aggregator has joined a worker group here (exhaust setup creates it)", WorkerBucket)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("worker bucket %s: %w", WorkerBucket, err)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("worker bucket %s: %w", WorkerBucket, err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", WorkerBucket, err)
	}
	var out []WorkerInfo
	for key := range keys.Keys() {
		slot, ok := slotOf(key)
		if !ok {
			continue
		}
		entry, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // left meanwhile
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read %s %s: %w", WorkerBucket, key, err)
		}
		var info WorkerInfo
		if err := json.Unmarshal(entry.Value(), &info); err != nil {
			return nil, 0, fmt.Errorf("read %s %s: %w", WorkerBucket, key, err)
		}
		info.Slot = slot // the key says which slot, whatever the value says
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b WorkerInfo) int { return cmp.Compare(a.Slot, b.Slot) })
	return out, status.TTL(), nil
}

// slotKey is slot's key in WorkerBucket.
func slotKey(slot int) string { return workerKeyPrefix + strconv.Itoa(slot) }

// slotOf is the slot whose key is key (see slotKey), false if key is no
// slot's.
func slotOf(key string) (int, bool) {
	slot, err := strconv.Atoi(strings.TrimPrefix(key, workerKeyPrefix))
	return slot, err == nil && key == slotKey(slot)
}

// take records slot, its value and its revision as w's.
func (w *Worker) take(slot int, value []byte, rev uint64) {
	w.slot, w.key, w.value, w.rev = slot, slotKey(slot), value, rev
}

// claim takes the lowest free slot, with a create (compare-and-set).
func (w *Worker) claim(ctx context.Context, info WorkerInfo) error {
	for slot := range MaxWorkers {
		info.Slot = slot
		value, err := json.Marshal(info)
		if err != nil {
			return err
		}
		rev, taken, err := w.create(ctx, slotKey(slot), value)
		if err != nil {
			return fmt.Errorf("claim worker slot %d in %s: %w", slot, WorkerBucket, err)
		}
		if taken {
			w.take(slot, value, rev)
			return nil
		}
	}
	return fmt.Errorf("all %d worker slots of %s are taken", MaxWorkers, WorkerBucket)
}

// claimAttempts bounds the creates of one slot whose answer never came.
const claimAttempts = 4

// create creates key with value, reporting false if another process holds
// it. A create can go unanswered while the bucket's stream changes
// leader (a node down, or exhaust setup adding replicas): each attempt
// gets apiTimeout rather than the caller's whole context, and the next
// one first looks whether the unanswered one was stored.
func (w *Worker) create(ctx context.Context, key string, value []byte) (rev uint64, taken bool, err error) {
	for attempt := 1; attempt <= claimAttempts; attempt++ {
		rev, taken, err = w.tryCreate(ctx, key, value)
		if err == nil || ctx.Err() != nil || !unanswered(err) {
			return rev, taken, err
		}
		w.log.Warn("no answer claiming a worker slot, trying again", "key", key, "attempt", attempt, "err", err)
	}
	return 0, false, err
}

// tryCreate is one attempt of create. A key that exists holding value is
// this worker's own, stored by an attempt whose answer was lost: the value
// names this run (its start time), not a namesake's.
func (w *Worker) tryCreate(ctx context.Context, key string, value []byte) (uint64, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	rev, err := w.kv.Create(ctx, key, value)
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err == nil, err
	}
	entry, err := w.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, false, nil // held a moment ago, freed since: the next slot will do
	}
	if err != nil {
		return 0, false, err
	}
	return entry.Revision(), bytes.Equal(entry.Value(), value), nil
}

// unanswered reports a request that got no answer in time, which a
// stream changing leader causes and another attempt may not meet.
func unanswered(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders)
}

// reclaim takes back, at once, the slot of this very process's previous
// run: a key naming this host and this HTTP address, which the dead
// process held and this one now listens on, so no live worker can hold
// it. A worker restarted after a crash thus resumes its own consumer and
// snapshot rather than a new slot's, from scratch. It reports whether it
// took one.
func (w *Worker) reclaim(ctx context.Context, info WorkerInfo) bool {
	if info.Host == "" || info.HTTP == "" || strings.HasSuffix(info.HTTP, ":0") {
		return false
	}
	keys, err := w.kv.ListKeys(ctx)
	if err != nil {
		return false
	}
	for key := range keys.Keys() {
		entry, err := w.kv.Get(ctx, key)
		if err != nil {
			continue
		}
		var old WorkerInfo
		if json.Unmarshal(entry.Value(), &old) != nil || old.Host != info.Host || old.HTTP != info.HTTP || key != slotKey(old.Slot) {
			continue
		}
		info.Slot = old.Slot
		value, err := json.Marshal(info)
		if err != nil {
			continue
		}
		rev, err := w.kv.Update(ctx, key, value, entry.Revision())
		if err != nil {
			continue // changed meanwhile: claim as usual
		}
		w.log.Info("worker slot taken back from this process's previous run", "slot", old.Slot)
		w.take(old.Slot, value, rev)
		return true
	}
	return false
}

// Slot returns the worker's slot.
func (w *Worker) Slot() int { return w.slot }

// Live returns the live slots, sorted, this one included: the slots whose
// key changed within the bucket's TTL before the latest change the watcher
// delivered. Heartbeats change each live key every quarter of it, this
// worker's own too, so a watcher cut off from the server (a disconnect)
// leaves the view as it was rather than emptying it.
func (w *Worker) Live() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	live := []int{w.slot}
	for n, at := range w.seen {
		if w.heard.Sub(at) < w.ttl {
			live = append(live, n)
		}
	}
	slices.Sort(live)
	return live
}

// Run keeps the slot until ctx ends (nil) or the slot is lost
// (ErrSlotLost).
func (w *Worker) Run(ctx context.Context) error {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := w.beat(ctx); err != nil {
			if errors.Is(err, ErrSlotLost) || ctx.Err() != nil {
				return err
			}
			// The server may be failing over: the next beat tries again,
			// and the TTL leaves room for three more.
			w.log.Warn("worker heartbeat", "slot", w.slot, "err", err)
		}
	}
}

// beat renews the slot's key against its last revision. When the key is
// not at that revision: if it holds this worker's own value, a renewal was
// stored but its answer lost (a server going down), and its revision is
// taken; if the server forgot it (the worker was silent too long), it is
// claimed again if still free; if another process holds it, the slot is
// lost.
func (w *Worker) beat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.every)
	defer cancel()
	w.mu.Lock()
	rev := w.rev
	w.mu.Unlock()
	next, err := w.kv.Update(ctx, w.key, w.value, rev)
	if isWrongLastSequence(err) {
		entry, gerr := w.kv.Get(ctx, w.key)
		switch {
		case gerr == nil && bytes.Equal(entry.Value(), w.value):
			// The value names this process's run (its start time), so no
			// other process wrote it.
			next, err = entry.Revision(), nil
		case gerr == nil:
			return ErrSlotLost
		case errors.Is(gerr, jetstream.ErrKeyNotFound):
			next, err = w.kv.Create(ctx, w.key, w.value)
			if errors.Is(err, jetstream.ErrKeyExists) {
				return ErrSlotLost
			}
		default:
			return gerr
		}
	}
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.rev = next
	w.mu.Unlock()
	return nil
}

// isWrongLastSequence reports a compare-and-set that lost: the key is not
// at the revision given. A replicated bucket reports it with another code
// than a single server's.
func isWrongLastSequence(err error) bool {
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Leave frees the slot at once, for the others to take its people over
// without waiting for the TTL. Call it once Run has returned. A slot
// another process holds by then is left to it.
func (w *Worker) Leave(ctx context.Context) error {
	if w.watch != nil {
		_ = w.watch.Stop()
	}
	w.mu.Lock()
	rev := w.rev
	w.mu.Unlock()
	err := w.kv.Delete(ctx, w.key, jetstream.LastRevision(rev))
	if err != nil && !isWrongLastSequence(err) {
		return fmt.Errorf("leave worker slot %d: %w", w.slot, err)
	}
	return nil
}

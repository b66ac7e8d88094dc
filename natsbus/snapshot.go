package natsbus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SnapshotBucket is the JetStream object store bucket that keeps the
// aggregator's snapshots.
const SnapshotBucket = "EXHAUST_SNAPSHOTS"

// SnapshotStream is the stream that holds SnapshotBucket, as JetStream
// names an object store's stream; permissions and stream listings name it.
const SnapshotStream = "OBJ_" + SnapshotBucket

// DefaultSnapshotObject is the object name of the default aggregator's
// snapshot in SnapshotBucket.
const DefaultSnapshotObject = "aggregator"

// snapshotSeqKey is the object metadata key holding the stream sequence a
// snapshot covers.
const snapshotSeqKey = "exhaust-seq"

// SnapshotStore keeps one snapshot (a blob and the stream sequence it
// covers) in a JetStream object store.
//
// The object store suits snapshots: they grow to megabytes, beyond a KV
// value's comfortable size, and a Put is atomic for readers — chunks are
// written first under a fresh id, then one metadata message switches the
// object to them — so a process killed while saving leaves the previous
// snapshot readable. Load verifies the object's SHA-256 digest.
type SnapshotStore struct {
	store jetstream.ObjectStore
	name  string
}

// OpenSnapshotStore opens (creating it with one replica if needed) the
// snapshot bucket and returns a store for the object name
// (DefaultSnapshotObject if empty). An existing bucket keeps its replicas.
func OpenSnapshotStore(ctx context.Context, js jetstream.JetStream, name string) (*SnapshotStore, error) {
	if name == "" {
		name = DefaultSnapshotObject
	}
	store, err := ensureSnapshotBucket(ctx, js, 0)
	if err != nil {
		return nil, err
	}
	return &SnapshotStore{store: store, name: name}, nil
}

// ensureSnapshotBucket creates or updates the snapshot bucket with replicas
// copies; 0 keeps an existing bucket's (a missing one gets one), since
// CreateOrUpdateObjectStore, like CreateOrUpdateStream, would scale it to
// the configuration's (1 when left 0).
func ensureSnapshotBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.ObjectStore, error) {
	cfg := jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "exhaust aggregator snapshots: state and the stream sequence it covers",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
	var store jetstream.ObjectStore
	var err error
	if replicas > 0 {
		store, err = js.CreateOrUpdateObjectStore(ctx, cfg)
	} else {
		store, err = keepReplicas(ctx, js, SnapshotStream,
			func(replicas int) (jetstream.ObjectStore, error) {
				cfg.Replicas = replicas
				return js.CreateObjectStore(ctx, cfg)
			},
			func(replicas int) (jetstream.ObjectStore, error) {
				cfg.Replicas = replicas
				return js.UpdateObjectStore(ctx, cfg)
			})
	}
	if err != nil {
		return nil, fmt.Errorf("open snapshot bucket %s: %w", SnapshotBucket, err)
	}
	return store, nil
}

// Name returns the snapshot's object name.
func (s *SnapshotStore) Name() string { return s.name }

// SaveTimeout bounds a Save of n bytes when its context has no deadline:
// a minute, plus a second for every 8 MiB (the server storing at least
// 8 MiB/s).
//
// Without a deadline the client gives the ack of every chunk the
// JetStream context's default timeout (5 s) from its publish, and
// publishes the chunks without waiting: at 100,000 people a snapshot of
// hundreds of megabytes is thousands of chunks in flight at once, which a
// busy server does not ack within 5 s ("timeout waiting for ack"), and the
// snapshot failed. A deadline for the whole object bounds the save instead.
func SaveTimeout(n int) time.Duration {
	return time.Minute + time.Duration(n>>23)*time.Second
}

// Save stores data as the snapshot covering stream sequences up to seq,
// replacing the previous one. Without a deadline on ctx, it takes at most
// SaveTimeout(len(data)).
func (s *SnapshotStore) Save(ctx context.Context, seq uint64, data []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, SaveTimeout(len(data)))
		defer cancel()
	}
	for wait := saveRetryMin; ; wait = min(2*wait, saveRetryMax) {
		_, err := s.store.Put(ctx, jetstream.ObjectMeta{
			Name:     s.name,
			Metadata: map[string]string{snapshotSeqKey: strconv.FormatUint(seq, 10)},
		}, bytes.NewReader(data))
		if err == nil {
			return nil
		}
		err = fmt.Errorf("save snapshot %s/%s at sequence %d: %w", SnapshotBucket, s.name, seq, err)
		if !tooManyRequests(err) {
			return err
		}
		// A busy server refuses chunks its stream cannot queue (a city's
		// snapshot is thousands of them, published without waiting): the
		// store cleans up what it wrote, and the save is tried again
		// while the deadline allows.
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// saveRetryMin and saveRetryMax bound the pause before saving again after
// the server refused a chunk as too many requests.
const (
	saveRetryMin = 200 * time.Millisecond
	saveRetryMax = 5 * time.Second
)

// tooManyRequests reports whether err is JetStream's "too many requests"
// (HTTP-like code 429): a stream whose ingest queue is full.
func tooManyRequests(err error) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.Code == 429
}

// Load returns the stored snapshot and the stream sequence it covers;
// found is false when there is none.
func (s *SnapshotStore) Load(ctx context.Context) (seq uint64, data []byte, found bool, err error) {
	res, err := s.store.Get(ctx, s.name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("load snapshot %s/%s: %w", SnapshotBucket, s.name, err)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return 0, nil, false, fmt.Errorf("load snapshot %s/%s: %w", SnapshotBucket, s.name, err)
	}
	seq, err = strconv.ParseUint(info.Metadata[snapshotSeqKey], 10, 64)
	if err != nil {
		return 0, nil, false, fmt.Errorf("load snapshot %s/%s: bad %s metadata %q", SnapshotBucket, s.name, snapshotSeqKey, info.Metadata[snapshotSeqKey])
	}
	// Reading to the end checks the digest.
	data, err = io.ReadAll(res)
	if err != nil {
		return 0, nil, false, fmt.Errorf("load snapshot %s/%s: %w", SnapshotBucket, s.name, err)
	}
	return seq, data, true, nil
}

// Delete removes the snapshot; it is not an error if there is none.
func (s *SnapshotStore) Delete(ctx context.Context) error {
	if err := s.store.Delete(ctx, s.name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("delete snapshot %s/%s: %w", SnapshotBucket, s.name, err)
	}
	return nil
}

// SnapshotSeqs returns the stream sequence each snapshot of SnapshotBucket
// covers, by object name, for operators (exhaust workers): none if the
// bucket does not exist or is empty.
func SnapshotSeqs(ctx context.Context, js jetstream.JetStream) (map[string]uint64, error) {
	out := map[string]uint64{}
	store, err := js.ObjectStore(ctx, SnapshotBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot bucket %s: %w", SnapshotBucket, err)
	}
	infos, err := store.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", SnapshotBucket, err)
	}
	for _, info := range infos {
		if seq, err := strconv.ParseUint(info.Metadata[snapshotSeqKey], 10, 64); err == nil {
			out[info.Name] = seq
		}
	}
	return out, nil
}

// Freshest returns, among this store's snapshot and the other objects of
// the bucket that peer accepts, the store of the one covering the latest
// stream sequence: this one if none is newer (or the bucket cannot be
// listed). The aggregator workers of a group hold the same state at the
// same sequence, so a worker whose slot has no snapshot yet, or an old
// one, can start from a peer's instead of from the start of the stream.
func (s *SnapshotStore) Freshest(ctx context.Context, peer func(name string) bool) *SnapshotStore {
	infos, err := s.store.List(ctx)
	if err != nil {
		return s // none (ErrNoObjectsFound), or no answer: the own snapshot's Load says more
	}
	best, bestSeq := s, uint64(0)
	for _, info := range infos {
		if info.Name != s.name && !peer(info.Name) {
			continue
		}
		seq, err := strconv.ParseUint(info.Metadata[snapshotSeqKey], 10, 64)
		if err != nil {
			continue
		}
		// Ties go to the own snapshot: reading it needs nobody else's.
		if seq > bestSeq || (seq == bestSeq && info.Name == s.name) {
			best, bestSeq = &SnapshotStore{store: s.store, name: info.Name}, seq
		}
	}
	return best
}

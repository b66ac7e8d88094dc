package service

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/aggregator"
	"exhaust/natsbus"
)

// snapshotMagic starts every snapshot the service writes; the number is
// the format version.
const snapshotMagic = "exhaust-aggregator-snapshot 1\n"

// SnapshotHeader is the service's part of a snapshot, written before the
// Engine's state.
type SnapshotHeader struct {
	// Seq is the last stream sequence handled (applied or rejected): a
	// restart resumes at Seq+1. It can be above the Engine's own Seq when
	// the last messages were rejected.
	Seq uint64 `json:"seq"`
	// StreamCreated identifies the stream the sequences belong to: a
	// stream deleted and created again restarts its sequences at 1, and
	// such a snapshot must not be used with it.
	StreamCreated time.Time `json:"stream_created"`
	// Latest is the latest event time accepted so far, the reference of
	// the "absurd_time" check (which must give the same answers after a
	// restart).
	Latest time.Time `json:"latest"`
	// Events is how many events were applied, for information.
	Events uint64 `json:"events"`
	// Publishers is where each publisher's order stands: the number of
	// its next message (see resequence.go). Snapshots are taken only
	// when no message waits for an earlier one.
	Publishers map[string]PublisherPosition `json:"publishers,omitempty"`
}

// ErrSnapshotFormat is wrapped by errors about a snapshot this build cannot
// read.
var ErrSnapshotFormat = errors.New("not an aggregator snapshot of this version")

// encodeSnapshot writes h, then the Engine's state, to w.
func encodeSnapshot(w io.Writer, h SnapshotHeader, e *aggregator.Engine) error {
	if _, err := io.WriteString(w, snapshotMagic); err != nil {
		return err
	}
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return err
	}
	return e.Snapshot(w)
}

// decodeSnapshot reads a snapshot's header and returns it with a reader of
// the Engine's state that follows.
func decodeSnapshot(data []byte) (SnapshotHeader, io.Reader, error) {
	var h SnapshotHeader
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return h, nil, ErrSnapshotFormat
	}
	r := bufio.NewReader(bytes.NewReader(data[len(snapshotMagic):]))
	line, err := r.ReadBytes('\n')
	if err != nil {
		return h, nil, fmt.Errorf("%w: no header", ErrSnapshotFormat)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrSnapshotFormat, err)
	}
	return h, r, nil
}

// LoadSnapshot restores the snapshot stored under object in the snapshot
// bucket (natsbus.DefaultSnapshotObject if empty) into e, a new Engine, and
// returns its header. found is false when there is no snapshot. It is what
// Run does at start; tools and tests use it to inspect a saved state.
func LoadSnapshot(ctx context.Context, js jetstream.JetStream, object string, e *aggregator.Engine) (h SnapshotHeader, found bool, err error) {
	store, err := natsbus.OpenSnapshotStore(ctx, js, object)
	if err != nil {
		return h, false, err
	}
	_, data, found, err := store.Load(ctx)
	if err != nil || !found {
		return h, false, err
	}
	h, state, err := decodeSnapshot(data)
	if err == nil {
		err = e.Restore(state)
	}
	if err != nil {
		return h, true, fmt.Errorf("snapshot %s/%s: %w", natsbus.SnapshotBucket, store.Name(), err)
	}
	return h, true, nil
}

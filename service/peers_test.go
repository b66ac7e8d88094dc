package service_test

import (
	"strings"
	"testing"
	"time"

	"exhaust/natsbus"
	"exhaust/service"
)

// TestUnreadablePeerSnapshotFallsBackToTheNextFreshest starts a worker in a
// group whose freshest snapshot disappears between the listing and the
// read (its worker's slot cleaned up, or a save purging the chunks under
// the reader): the worker looks at the group again and starts from the
// next freshest, rather than replaying the stream from the start.
func TestUnreadablePeerSnapshotFallsBackToTheNextFreshest(t *testing.T) {
	js := exhaustStream(t)
	ctx := testCtx(t, 30*time.Second)
	v := newValidator(t)
	g := generate(t, 4, 1)
	third := len(g.events) / 3
	var older, newer, last uint64
	for _, ev := range g.events[:third] {
		older = publishEvent(t, js, ev, ev.ID)
	}
	b := start(t, js, v, func(c *service.Config) { c.Consumer, c.SnapshotObject = "peer-b", "peer-b" })
	b.waitSeq(t, older)
	b.stop(t)
	for _, ev := range g.events[third : 2*third] {
		newer = publishEvent(t, js, ev, ev.ID)
	}
	a := start(t, js, v, func(c *service.Config) { c.Consumer, c.SnapshotObject = "peer-a", "peer-a" })
	a.waitSeq(t, newer)
	a.stop(t)
	for _, ev := range g.events[2*third:] {
		last = publishEvent(t, js, ev, ev.ID)
	}

	gone := false
	peer := func(name string) bool {
		if name == "peer-a" && !gone {
			// Listed, then gone before it is read.
			st, err := natsbus.OpenSnapshotStore(ctx, js, name)
			if err == nil {
				err = st.Delete(ctx)
			}
			if err != nil {
				t.Error(err)
			}
			gone = true
		}
		return strings.HasPrefix(name, "peer-")
	}
	w := start(t, js, v, func(c *service.Config) { c.Consumer, c.SnapshotObject, c.SnapshotPeers = "new", "new", peer })
	w.waitSeq(t, last)
	w.stop(t)
	if !gone {
		t.Fatal("the freshest peer snapshot was never offered")
	}
	if st := w.svc.Stats(); st.Restored != older || st.Handled != last-older {
		t.Errorf("restored %d, handled %d; want restored %d (the next freshest), handled %d", st.Restored, st.Handled, older, last-older)
	}
	sameProfiles(t, w.engine, reference(t, v, g.events))
}

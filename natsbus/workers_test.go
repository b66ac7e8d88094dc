package natsbus_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

// workerBucket creates the workers' bucket with a short TTL, as an
// operator may, so that a silent worker's slot expires within the test.
func workerBucket(t *testing.T, js jetstream.JetStream, ttl time.Duration) jetstream.KeyValue {
	t.Helper()
	return workerBucketR(t, js, ttl, 1)
}

// workerBucketR is workerBucket with replicas copies.
func workerBucketR(t *testing.T, js jetstream.JetStream, ttl time.Duration, replicas int) jetstream.KeyValue {
	t.Helper()
	kv, err := js.CreateKeyValue(testCtx(t, 10*time.Second), jetstream.KeyValueConfig{Bucket: natsbus.WorkerBucket, TTL: ttl, Storage: jetstream.MemoryStorage, Replicas: replicas})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func join(t *testing.T, js jetstream.JetStream) *natsbus.Worker {
	t.Helper()
	w, err := natsbus.JoinWorkers(testCtx(t, 10*time.Second), js, natsbus.WorkerInfo{HTTP: t.Name()}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// run keeps w's slot until the test ends; its result comes on the channel.
func run(t *testing.T, w *natsbus.Worker) (context.CancelFunc, <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return cancel, done
}

func waitLive(t *testing.T, w *natsbus.Worker, want []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(w.Live(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("slot %d sees live slots %v, want %v", w.Slot(), w.Live(), want)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// TestWorkersClaimDistinctSlots: workers joining get the lowest free slots,
// see each other, and a slot left is the next one claimed.
func TestWorkersClaimDistinctSlots(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	workerBucket(t, js, 800*time.Millisecond)
	ws := []*natsbus.Worker{join(t, js), join(t, js), join(t, js)}
	stops := make([]context.CancelFunc, len(ws))
	dones := make([]<-chan error, len(ws))
	for i, w := range ws {
		if w.Slot() != i {
			t.Fatalf("worker %d joined slot %d, want %d", i, w.Slot(), i)
		}
		stops[i], dones[i] = run(t, w)
	}
	for _, w := range ws {
		waitLive(t, w, []int{0, 1, 2})
	}
	stops[1]()
	if err := <-dones[1]; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := ws[1].Leave(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	waitLive(t, ws[0], []int{0, 2})
	if w := join(t, js); w.Slot() != 1 {
		t.Fatalf("a worker joining after slot 1 left got slot %d", w.Slot())
	}
}

// TestSilentWorkerLosesItsSlot: a worker that stops renewing its key (a
// crash) drops out of the others' live slots after the TTL; its slot goes
// to the next worker; and if the silent one wakes up, it is told its slot
// is lost instead of sharing it.
func TestSilentWorkerLosesItsSlot(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		srv := natstest.RunServer(t)
		_, js := natstest.Connect(t, srv)
		workerBucket(t, js, 800*time.Millisecond)
		silentWorkerLosesItsSlot(t, js)
	})
	// A replicated bucket reports a lost compare-and-set with another
	// error code.
	t.Run("three replicas", func(t *testing.T) {
		c := natstest.StartCluster(t, 3)
		js := connectJS(t, c.URLs())
		workerBucketR(t, js, 800*time.Millisecond, 3)
		silentWorkerLosesItsSlot(t, js)
	})
}

func silentWorkerLosesItsSlot(t *testing.T, js jetstream.JetStream) {
	a, silent := join(t, js), join(t, js)
	run(t, a)
	waitLive(t, a, []int{0, 1})
	waitLive(t, a, []int{0}) // silent never runs: its key stops changing
	// The server forgets the key a moment later (its expiry timer).
	kv, err := js.KeyValue(testCtx(t, 5*time.Second), natsbus.WorkerBucket)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the server forgetting the silent worker's key", func() bool {
		_, err := kv.Get(testCtx(t, 5*time.Second), "slot."+strconv.Itoa(silent.Slot()))
		return errors.Is(err, jetstream.ErrKeyNotFound)
	})
	b := join(t, js)
	if b.Slot() != silent.Slot() {
		t.Fatalf("the next worker got slot %d, want the silent one's %d", b.Slot(), silent.Slot())
	}
	run(t, b)
	_, done := run(t, silent)
	select {
	case err := <-done:
		if !errors.Is(err, natsbus.ErrSlotLost) {
			t.Fatalf("the silent worker's Run: %v, want ErrSlotLost", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the silent worker kept running on a slot another one holds")
	}
	waitLive(t, a, []int{0, 1})
}

// TestWorkerOutlivesItsSilence: a worker silent past the TTL whose slot
// nobody took claims it again and runs on.
func TestWorkerOutlivesItsSilence(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	kv := workerBucket(t, js, 500*time.Millisecond)
	w := join(t, js)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := kv.Get(testCtx(t, time.Second), "slot.0"); errors.Is(err, jetstream.ErrKeyNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slot 0's key never expired")
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	cancel, done := run(t, w)
	deadline = time.Now().Add(10 * time.Second)
	for {
		if _, err := kv.Get(testCtx(t, time.Second), "slot.0"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker did not claim its slot again")
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// A bucket without a TTL would keep a dead worker's slot for ever.
func TestJoinWorkersRefusesABucketWithoutTTL(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	workerBucket(t, js, 0)
	if _, err := natsbus.JoinWorkers(testCtx(t, 5*time.Second), js, natsbus.WorkerInfo{}, quiet()); err == nil {
		t.Fatal("joined a bucket without a TTL")
	}
}

// TestRestartedWorkerTakesBackItsSlot: a process that died without leaving
// (its key still alive) and starts again on the same host and HTTP address
// gets its own slot back at once; one on another address does not.
func TestRestartedWorkerTakesBackItsSlot(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	workerBucket(t, js, 4*time.Second) // the joins take milliseconds: nothing expires meanwhile
	joinAs := func(host, addr string) *natsbus.Worker {
		t.Helper()
		w, err := natsbus.JoinWorkers(testCtx(t, 10*time.Second), js, natsbus.WorkerInfo{Host: host, HTTP: addr}, quiet())
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	joinAs("a", "[::]:9090")
	dead := joinAs("b", "[::]:9090") // slot 1, never leaves
	if dead.Slot() != 1 {
		t.Fatalf("second worker in slot %d", dead.Slot())
	}
	if w := joinAs("b", "[::]:9091"); w.Slot() != 2 {
		t.Errorf("a worker of the same host on another port got slot %d, want a new one (2)", w.Slot())
	}
	if w := joinAs("c", "[::]:9090"); w.Slot() != 3 {
		t.Errorf("a worker of another host on the same port got slot %d, want a new one (3)", w.Slot())
	}
	again := joinAs("b", "[::]:9090")
	if again.Slot() != dead.Slot() {
		t.Fatalf("the restarted worker got slot %d, want its own %d back", again.Slot(), dead.Slot())
	}
	// The new run holds it: the old one, were it alive after all, is told.
	_, done := run(t, again)
	_, deadDone := run(t, dead)
	select {
	case err := <-deadDone:
		if !errors.Is(err, natsbus.ErrSlotLost) {
			t.Fatalf("the previous run's Run: %v, want ErrSlotLost", err)
		}
	case err := <-done:
		t.Fatalf("the restarted worker's Run ended: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("two processes kept one slot")
	}
	if w := joinAs("d", "127.0.0.1:0"); w.Slot() != 4 {
		t.Errorf("a worker on a port picked at random got slot %d, want 4", w.Slot())
	}
}

// TestHeartbeatWhoseAnswerWasLost: a renewal the server stored but whose
// answer never came (its node went down) leaves the worker a revision
// behind; the next renewal must see the key holds its own value and go
// on, not give the slot up.
func TestHeartbeatWhoseAnswerWasLost(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	kv := workerBucket(t, js, 2*time.Second)
	w := join(t, js)
	// The lost renewal: the same value, stored one revision on.
	entry, err := kv.Get(testCtx(t, 5*time.Second), "slot.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Update(testCtx(t, 5*time.Second), "slot.0", entry.Value(), entry.Revision()); err != nil {
		t.Fatal(err)
	}
	_, done := run(t, w)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("Run ended after a renewal's answer was lost: %v", err)
		default:
		}
		cur, err := kv.Get(testCtx(t, time.Second), "slot.0")
		if err == nil && cur.Revision() > entry.Revision()+1 {
			return // renewed since, on top of the lost one
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker stopped renewing its slot")
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not synchronisation
	}
}

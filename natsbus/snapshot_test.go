package natsbus_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"exhaust/natsbus"
	"exhaust/natsbus/natstest"
)

func TestSnapshotStoreRoundTrip(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 20*time.Second)
	st, err := natsbus.OpenSnapshotStore(ctx, js, "")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name() != natsbus.DefaultSnapshotObject {
		t.Errorf("Name() = %q, want %q", st.Name(), natsbus.DefaultSnapshotObject)
	}
	if _, _, found, err := st.Load(ctx); err != nil || found {
		t.Fatalf("Load on an empty bucket = found %v, %v; want nothing", found, err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB: several chunks
	tests := []struct {
		name string
		seq  uint64
		data []byte
	}{
		{"small", 42, []byte("state")},
		{"replaced by a larger one", 1_000_000, big},
		{"empty", 7, []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := st.Save(ctx, tc.seq, tc.data); err != nil {
				t.Fatal(err)
			}
			// A fresh store, as after a restart.
			again, err := natsbus.OpenSnapshotStore(ctx, js, natsbus.DefaultSnapshotObject)
			if err != nil {
				t.Fatal(err)
			}
			seq, data, found, err := again.Load(ctx)
			if err != nil || !found {
				t.Fatalf("Load = found %v, %v", found, err)
			}
			if seq != tc.seq || !bytes.Equal(data, tc.data) {
				t.Errorf("Load = seq %d, %d bytes; want seq %d, %d bytes", seq, len(data), tc.seq, len(tc.data))
			}
		})
	}

	// Objects are independent; Delete removes one.
	other, err := natsbus.OpenSnapshotStore(ctx, js, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := other.Load(ctx); found {
		t.Error("another object name sees the default snapshot")
	}
	if err := st.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, found, err := st.Load(ctx); err != nil || found {
		t.Errorf("Load after Delete = found %v, %v", found, err)
	}
	if err := st.Delete(ctx); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

// TestSaveTimeoutGrowsWithTheSnapshot: a save's deadline covers storing
// the snapshot at 8 MiB/s on top of a minute, so a city's hundreds of
// megabytes are not held to a small object's deadline.
func TestSaveTimeoutGrowsWithTheSnapshot(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want time.Duration
	}{
		{"empty", 0, time.Minute},
		{"small", 5 << 20, time.Minute},
		{"10,000 people", 96 << 20, time.Minute + 12*time.Second},
		{"100,000 people", 1 << 30, time.Minute + 128*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := natsbus.SaveTimeout(tt.n); got != tt.want {
				t.Errorf("SaveTimeout(%d) = %s, want %s", tt.n, got, tt.want)
			}
		})
	}
}

// TestFreshestSnapshot: among its own snapshot and the peers it accepts,
// a store finds the one covering the latest sequence; its own on a tie.
func TestFreshestSnapshot(t *testing.T) {
	srv := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv)
	ctx := testCtx(t, 30*time.Second)
	open := func(name string) *natsbus.SnapshotStore {
		t.Helper()
		st, err := natsbus.OpenSnapshotStore(ctx, js, name)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	own := open("own")
	all := func(string) bool { return true }
	if got := own.Freshest(ctx, all).Name(); got != "own" {
		t.Errorf("empty bucket: Freshest = %s, want own", got)
	}
	for name, seq := range map[string]uint64{"own": 5, "peer": 9, "stranger": 12, "tie": 5} {
		if err := open(name).Save(ctx, seq, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		peers []string
		want  string
	}{
		{nil, "own"},
		{[]string{"peer"}, "peer"},
		{[]string{"tie"}, "own"},
		{[]string{"peer", "stranger"}, "stranger"},
	} {
		peer := func(name string) bool { return slices.Contains(tc.peers, name) }
		if got := own.Freshest(ctx, peer).Name(); got != tc.want {
			t.Errorf("peers %v: Freshest = %s, want %s", tc.peers, got, tc.want)
		}
	}
}

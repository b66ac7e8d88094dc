package natsbus_test

import (
	"bytes"
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

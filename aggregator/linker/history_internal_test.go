package linker

import "testing"

func TestHistPosPacking(t *testing.T) {
	for _, c := range []struct {
		x, y         int
		acc          uint8
		wantX, wantY int
	}{
		{0, 0, 1, 0, 0},
		{-1, 1, 255, -1, 1},
		{2047, -2047, 7, 2047, -2047},
		{5000, -5000, 3, 2047, -2047}, // saturates: far is far
		{-123, 456, 100, -123, 456},
	} {
		x, y, acc := packPos(c.x, c.y, c.acc).unpack()
		if x != c.wantX || y != c.wantY || acc != c.acc {
			t.Errorf("packPos(%d, %d, %d) unpacks to %d, %d, %d; want %d, %d, %d", c.x, c.y, c.acc, x, y, acc, c.wantX, c.wantY, c.acc)
		}
	}
}

func TestHistoryRing(t *testing.T) {
	const n = 3 * histChunk
	h := &history{Last: 9, chunks: make([]*[histChunk]histPos, 3)}
	p := packPos(1, 2, 3)
	h.put(10, n, p)
	h.put(11, n, p)
	if got := h.get(10 % n); got != p {
		t.Fatalf("bin 10 holds %v, want %v", got, p)
	}
	if h.chunks[1] != nil || h.chunks[2] != nil {
		t.Error("a chunk never written was allocated")
	}
	// A day later the old bin is overwritten, and the bins in between
	// read as not located.
	h.put(10+n, n, packPos(4, 5, 6))
	if x, _, _ := h.get(10 % n).unpack(); x != 4 {
		t.Errorf("bin %d reads x=%d, want 4", 10+n, x)
	}
	h.put(12+n, n, packPos(7, 8, 9))
	if got := h.get((11 + n) % n); got != 0 {
		t.Errorf("a bin skipped over reads %v, want not located", got)
	}
	h.put(5, n, p) // older than the ring: ignored
	if h.Last != 12+n {
		t.Errorf("Last = %d, want %d", h.Last, 12+n)
	}
}

package aggregator

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// TestChunksRoundTrip: parts of any size, written in writes of any size,
// read back whole and separately, and a cut anywhere is an error.
func TestChunksRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 7}
	var parts [][]byte
	var framed bytes.Buffer
	for _, n := range sizes {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		parts = append(parts, p)
		c := newChunkWriter(&framed)
		for rest := p; len(rest) > 0; {
			k := min(len(rest), 1+rng.IntN(2*chunkSize))
			if w, err := c.Write(rest[:k]); w != k || err != nil {
				t.Fatalf("Write(%d bytes) = %d, %v", k, w, err)
			}
			rest = rest[k:]
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	all := framed.Bytes()
	r := bytes.NewReader(all)
	for i, want := range parts {
		got, err := io.ReadAll(&chunkReader{r: r})
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("part %d (%d bytes): read %d bytes, %v", i, len(want), len(got), err)
		}
	}
	if r.Len() != 0 {
		t.Errorf("%d bytes left after the last part", r.Len())
	}
	for _, cut := range []int{1, 3, 4 + chunkSize/2, len(all) - 1} {
		r := bytes.NewReader(all[:cut])
		var err error
		for range parts {
			if _, err = io.ReadAll(&chunkReader{r: r}); err != nil {
				break
			}
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("cut at %d of %d bytes: %v, want an unexpected EOF", cut, len(all), err)
		}
	}
}

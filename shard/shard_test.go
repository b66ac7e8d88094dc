package shard

import (
	"fmt"
	"testing"
)

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("P-%08x", i*2654435761)
	}
	return out
}

func TestOwnerSharesEvenly(t *testing.T) {
	live := []int{0, 1, 2}
	count := map[int]int{}
	for _, k := range keys(3000) {
		o := Owner(k, live)
		if o < 0 || o > 2 {
			t.Fatalf("Owner(%q) = %d, not a live slot", k, o)
		}
		count[o]++
	}
	// 1,000 each expected; a binomial's standard deviation is 26.
	for slot, n := range count {
		if n < 850 || n > 1150 {
			t.Errorf("slot %d owns %d of 3,000 keys, want about 1,000 (all: %v)", slot, n, count)
		}
	}
}

func TestOwnerIgnoresOrder(t *testing.T) {
	for _, k := range keys(500) {
		if a, b := Owner(k, []int{0, 3, 7}), Owner(k, []int{7, 0, 3}); a != b {
			t.Fatalf("Owner(%q): %d with one order, %d with another", k, a, b)
		}
	}
}

// A slot leaving hands over its keys only; the others keep theirs.
func TestOwnerMovesOnlyTheLeaversKeys(t *testing.T) {
	moved := 0
	for _, k := range keys(3000) {
		before, after := Owner(k, []int{0, 1, 2}), Owner(k, []int{0, 2})
		switch {
		case before != 1 && after != before:
			t.Fatalf("Owner(%q) moved from %d to %d when slot 1 left", k, before, after)
		case before == 1:
			moved++
			if after != 0 && after != 2 {
				t.Fatalf("Owner(%q) = %d after slot 1 left", k, after)
			}
		}
	}
	if moved == 0 {
		t.Fatal("slot 1 owned nothing")
	}
}

func TestOwnerOfNobody(t *testing.T) {
	if o := Owner("P-1", nil); o != -1 {
		t.Errorf("Owner with no live slot = %d, want -1", o)
	}
	if o := Owner("P-1", []int{4}); o != 4 {
		t.Errorf("Owner with one live slot = %d, want 4", o)
	}
}

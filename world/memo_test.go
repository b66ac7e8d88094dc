package world

import "testing"

func TestMemoKeepsTheRecentInBoundedMemory(t *testing.T) {
	m := memo[int, int]{size: 4}
	for k := range 100 {
		m.put(k, k*k)
		if _, ok := m.get(0); !ok && k < 4 {
			t.Fatalf("after %d puts, 0 is forgotten", k+1)
		}
		if n := len(m.cur) + len(m.old); n > 2*m.size {
			t.Fatalf("after %d puts, %d entries held, want at most %d", k+1, n, 2*m.size)
		}
		if v, ok := m.get(k); !ok || v != k*k {
			t.Fatalf("get(%d) = %d, %v just after put", k, v, ok)
		}
	}
	if _, ok := m.get(50); ok {
		t.Error("50 is still remembered after 49 more puts")
	}
	if v, ok := m.get(0); ok && v != 0 {
		t.Errorf("get(0) = %d, want 0 or nothing", v)
	}
}

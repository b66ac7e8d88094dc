package world

import "sync"

// memo remembers the results of a pure function, in bounded memory: when
// its newer map is full, the older one is dropped and the newer takes its
// place, so it holds at most 2×size entries, the most recently used
// among them. A result found or not is the same result (the function is
// pure), so the bound changes the cost of a world, never its days. Safe
// for concurrent use.
type memo[K comparable, V any] struct {
	size int

	mu       sync.Mutex
	cur, old map[K]V
}

// get returns the value remembered for k, if any.
func (m *memo[K, V]) get(k K) (V, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.cur[k]; ok {
		return v, true
	}
	v, ok := m.old[k]
	if ok {
		m.putLocked(k, v) // used again: kept when old goes
	}
	return v, ok
}

// put remembers v for k.
func (m *memo[K, V]) put(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(k, v)
}

func (m *memo[K, V]) putLocked(k K, v V) {
	if len(m.cur) >= m.size {
		m.old, m.cur = m.cur, nil
	}
	if m.cur == nil {
		m.cur = map[K]V{}
	}
	m.cur[k] = v
}

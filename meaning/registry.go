package meaning

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
)

// The declarations of every registered event type. producers.Register
// declares a producer's kinds when its package is imported; the aggregator
// reads them for every event, from several goroutines, so reads take no
// lock: the table is replaced whole on each (rare, init-time) declaration.
var (
	declMu sync.Mutex
	decls  atomic.Pointer[map[string][]Meaning]
)

// Declare records the meanings of event type typ ("<producer>.<kind>").
// Declaring a type twice panics: a programming error any test run catches.
func Declare(typ string, ms []Meaning) {
	declMu.Lock()
	defer declMu.Unlock()
	next := map[string][]Meaning{}
	if cur := decls.Load(); cur != nil {
		if _, dup := (*cur)[typ]; dup {
			panic(fmt.Sprintf("meaning: type %q declared twice", typ))
		}
		maps.Copy(next, *cur)
	}
	next[typ] = append([]Meaning(nil), ms...)
	decls.Store(&next)
}

// For returns the meanings declared for event type typ (nil for a type no
// imported producer declares). The slice is shared: do not modify it.
func For(typ string) []Meaning {
	if cur := decls.Load(); cur != nil {
		return (*cur)[typ]
	}
	return nil
}

// Find returns the first meaning of type M among ms.
func Find[M Meaning](ms []Meaning) (M, bool) {
	for _, m := range ms {
		if v, ok := m.(M); ok {
			return v, true
		}
	}
	var zero M
	return zero, false
}

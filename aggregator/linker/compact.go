package linker

import (
	"crypto/sha256"

	"github.com/google/uuid"
)

// evRef is an event id in 16 bytes: the UUID itself, or, for the odd id
// that is not a canonical lower-case UUID, a hash of it whose text is kept
// in cooccur.OddEvents. Millions of candidates each name two events; as
// strings they would hold two 36-byte copies each.
type evRef [16]byte

// evRef packs the event id s.
func (l *Linker) evRef(s string) evRef {
	if s == "" {
		return evRef{}
	}
	if u, err := uuid.Parse(s); err == nil && u.String() == s {
		return evRef(u)
	}
	h := sha256.Sum256([]byte(s))
	r := evRef(h[:16])
	if l.co.OddEvents == nil {
		l.co.OddEvents = map[evRef]string{}
	}
	l.co.OddEvents[r] = s
	return r
}

// evText returns the event id r packs.
func (l *Linker) evText(r evRef) string {
	if r == (evRef{}) {
		return ""
	}
	if s, ok := l.co.OddEvents[r]; ok {
		return s
	}
	return uuid.UUID(r).String()
}

// place returns the one copy of the place id p the linker keeps: each
// decoded event brings its own, and candidates would keep them all alive.
func (l *Linker) place(p string) string {
	if p == "" {
		return ""
	}
	if q, ok := l.places[p]; ok {
		return q
	}
	l.places[p] = p
	return p
}

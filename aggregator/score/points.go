package score

import "math"

// How traces hold their points. A point is a place index and a time bin
// (point: 64 bits, the place above the bin). While every place index is
// below 1<<16 and every bin within 1<<16 of a base (7 years of hours
// around the first point), points are packed in 32 bits instead, place
// above bin-base: the same order in half the memory, and a city's traces
// are its largest part after some days. The first point that does not fit
// turns every trace to 64 bits for good. Readers that need the points
// themselves (unicity, Save) see them as 64-bit points (wide).

// pack returns the packed form of point (place, bin), if it fits. The
// first point packed sets the base, half the window before its bin.
func (t *Traces) pack(place uint32, bin int64) (uint32, bool) {
	if !t.hasBase {
		t.base, t.hasBase = max(0, bin-1<<15), true
	}
	d := bin - t.base
	// A bin past 32 bits would not keep point's order (it keeps the
	// bin's low 32 bits only).
	if place >= 1<<16 || d < 0 || d >= 1<<16 || bin > math.MaxUint32 {
		return 0, false
	}
	return place<<16 | uint32(d), true
}

// unpack returns the 64-bit point of packed point q.
func (t *Traces) unpack(q uint32) uint64 {
	return point(q>>16, t.base+int64(q&0xffff))
}

// widen turns every trace to 64-bit points.
func (t *Traces) widen() {
	t.traces = make(map[string][]uint64, len(t.packed))
	for k, tr := range t.packed {
		t.traces[k] = t.unpacked(tr)
	}
	t.packed = nil
}

func (t *Traces) unpacked(tr []uint32) []uint64 {
	w := make([]uint64, len(tr))
	for i, q := range tr {
		w[i] = t.unpack(q)
	}
	return w
}

// wide returns every trace as 64-bit points: the traces themselves, or
// a copy when they are packed.
func (t *Traces) wide() map[string][]uint64 {
	if t.packed == nil {
		return t.traces
	}
	out := make(map[string][]uint64, len(t.packed))
	for k, tr := range t.packed {
		out[k] = t.unpacked(tr)
	}
	return out
}

// set makes pts (64-bit points, sorted) the trace of key, packed if the
// traces are and pts fit.
func (t *Traces) set(key string, pts []uint64) {
	if t.packed != nil {
		q := make([]uint32, len(pts))
		fits := true
		for i, p := range pts {
			if q[i], fits = t.pack(uint32(p>>32), int64(uint32(p))); !fits {
				break
			}
		}
		if fits {
			t.packed[key] = q
			return
		}
		t.widen()
	}
	if pts == nil {
		pts = []uint64{}
	}
	t.traces[key] = pts
}

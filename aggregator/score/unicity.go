package score

import (
	"math/rand/v2"
	"slices"
	"time"

	"exhaust/aggregator/obs"
	"exhaust/meaning"
)

// DefaultMaxPoints bounds a trace: a phone seen every half hour by two or
// three towers collects about 1500 distinct (tower, hour) points a month;
// past the bound new points are dropped, which keeps memory linear in the
// population.
const DefaultMaxPoints = 4096

// Traces holds traces: sets of distinct (place, time bin) points, one set
// per key. The aggregator keeps each SIM's (serving tower, hour) points from
// phone.cell events (Observe); Add builds any other kind, such as a card's
// (shop, day) points. The zero value is not usable; call NewTraces.
type Traces struct {
	// MaxPoints bounds each trace (DefaultMaxPoints by default).
	MaxPoints int
	towers    map[string]uint32 // place -> index in names
	names     []string          // places by index (towers, for Observe)
	// The traces by key (the IMSI, for Observe), their points sorted:
	// packed in 32 bits while they fit, else in 64 (see points.go). One
	// of the two maps is nil.
	packed  map[string][]uint32
	traces  map[string][]uint64
	base    int64 // of packed points' bins
	hasBase bool
}

// NewTraces returns an empty set of traces.
func NewTraces() *Traces {
	return &Traces{MaxPoints: DefaultMaxPoints, towers: map[string]uint32{}, packed: map[string][]uint32{}}
}

// point packs a place (index in names) and a time bin.
func point(place uint32, bin int64) uint64 { return uint64(place)<<32 | uint64(uint32(bin)) }

// HourBin returns the hour of t counted from the Unix epoch, rounded down:
// the time bin of de Montjoye et al.'s antenna × hour traces.
func HourBin(t time.Time) int64 {
	hour := t.Unix() / 3600
	if t.Unix() < 0 && t.Unix()%3600 != 0 {
		hour-- // floor, not truncation
	}
	return hour
}

// Observe adds the point of a record that names the radio emitter serving
// a device (meaning.Radio's Emitter), (emitter, HourBin), to the trace of
// the device's identifier; other records are ignored.
func (t *Traces) Observe(r *obs.Record) {
	m, ok := meaning.Find[meaning.Radio](r.Means)
	if !ok {
		return
	}
	tower := r.Str(m.Emitter)
	if tower == "" {
		return
	}
	id, ok := r.Has(m.Of)
	if !ok {
		return
	}
	t.Add(id.Value, tower, HourBin(r.Time))
}

// Add adds the point (place, bin) to the trace of key, creating the trace:
// place is where (a tower id, a shop), bin when (an hour, a day: any integer
// that fits 32 bits). A point already in the trace, or past MaxPoints, is
// dropped.
func (t *Traces) Add(key, place string, bin int64) {
	pi, ok := t.towers[place]
	if !ok {
		pi = uint32(len(t.names))
		t.towers[place] = pi
		t.names = append(t.names, place)
	}
	if t.packed != nil {
		if q, ok := t.pack(pi, bin); ok {
			t.packed[key] = insert(t.packed[key], q, t.MaxPoints)
			return
		}
		t.widen()
	}
	t.traces[key] = insert(t.traces[key], point(pi, bin), t.MaxPoints)
}

// insert adds p to the sorted trace tr, unless tr holds it already or
// has maxPoints points (maxPoints > 0).
func insert[P uint32 | uint64](tr []P, p P, maxPoints int) []P {
	i, found := slices.BinarySearch(tr, p)
	if found || (maxPoints > 0 && len(tr) >= maxPoints) {
		return tr
	}
	if len(tr) == cap(tr) {
		// Grown by an eighth, not doubled as append would: a trace is
		// kept for good, and doubling leaves a quarter of it spare on
		// average. Inserting moves the points after p anyway, so copying
		// them more often costs little more.
		grown := make([]P, len(tr), len(tr)+max(8, len(tr)/8))
		copy(grown, tr)
		tr = grown
	}
	return slices.Insert(tr, i, p)
}

// Len returns the number of traces.
func (t *Traces) Len() int {
	if t.packed != nil {
		return len(t.packed)
	}
	return len(t.traces)
}

// Points returns the number of points of the trace of key (an IMSI for
// Observe).
func (t *Traces) Points(key string) int {
	if t.packed != nil {
		return len(t.packed[key])
	}
	return len(t.traces[key])
}

// TotalPoints returns the number of points of all traces together.
func (t *Traces) TotalPoints() int {
	n := 0
	for _, tr := range t.packed {
		n += len(tr)
	}
	for _, tr := range t.traces {
		n += len(tr)
	}
	return n
}

// Unicity returns ε_p, the share of traces that p of their own points,
// drawn at random, single out: no other trace holds all p. As in de
// Montjoye et al., only traces with at least p points are drawn (all traces
// make the crowd); each is drawn draws times (at least once), so more draws
// give a smoother figure. It returns 0 when no trace has p points. rng is
// the only source of randomness: a seeded rng gives a reproducible figure.
func (t *Traces) Unicity(p int, draws int, rng *rand.Rand) float64 {
	if p < 1 {
		return 0
	}
	draws = max(draws, 1)
	traces := t.wide()
	keys := make([]string, 0, len(traces))
	for k, tr := range traces {
		if len(tr) >= p {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return 0
	}
	slices.Sort(keys)
	all := make([][]uint64, 0, len(traces))
	for _, k := range keys {
		all = append(all, traces[k])
	}
	// Traces shorter than p still count as the crowd a trace must stand
	// out from: they can hold the drawn points too.
	var short []string
	for k, tr := range traces {
		if len(tr) < p {
			short = append(short, k)
		}
	}
	slices.Sort(short)
	for _, k := range short {
		all = append(all, traces[k])
	}
	postings := map[uint64][]int32{}
	for i, tr := range all {
		for _, pt := range tr {
			postings[pt] = append(postings[pt], int32(i))
		}
	}
	unique := 0
	pick := make([]uint64, p)
	for ti := range keys {
		tr := all[ti]
		for range draws {
			for j, idx := range sample(rng, len(tr), p) {
				pick[j] = tr[idx]
			}
			if singles(all, postings, pick, int32(ti)) {
				unique++
			}
		}
	}
	return float64(unique) / float64(len(keys)*draws)
}

// sample returns k distinct indices below n, drawn uniformly (k ≤ n).
func sample(rng *rand.Rand, n, k int) []int {
	if k*4 >= n {
		return rng.Perm(n)[:k]
	}
	out := make([]int, 0, k)
	for len(out) < k {
		v := rng.IntN(n)
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// singles reports whether trace self is the only one holding every point
// of pick.
func singles(all [][]uint64, postings map[uint64][]int32, pick []uint64, self int32) bool {
	// Scan the rarest point's holders only.
	rarest := postings[pick[0]]
	for _, pt := range pick[1:] {
		if l := postings[pt]; len(l) < len(rarest) {
			rarest = l
		}
	}
	for _, c := range rarest {
		if c == self {
			continue
		}
		holds := true
		for _, pt := range pick {
			if _, ok := slices.BinarySearch(all[c], pt); !ok {
				holds = false
				break
			}
		}
		if holds {
			return false
		}
	}
	return true
}

// UnicityCurve returns ε_1 … ε_maxP at once, with nested draws: each draw
// of a trace is one random order of its points, and ε_p uses the first p of
// them. A trace singled out by p points stays singled out by p+1, so the
// curve never goes down for traces that have maxP points (the classroom's
// are far longer), which separate draws per p would not promise: with a
// few dozen people their noise can make ε_6 fall below ε_5. Denominators
// are as in Unicity: traces with at least p points, draws times each.
func (t *Traces) UnicityCurve(maxP, draws int, rng *rand.Rand) []float64 {
	out := make([]float64, maxP)
	if maxP < 1 || t.Len() == 0 {
		return out
	}
	draws = max(draws, 1)
	traces := t.wide()
	keys := make([]string, 0, len(traces))
	for k := range traces {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	all := make([][]uint64, len(keys))
	for i, k := range keys {
		all[i] = traces[k]
	}
	postings := map[uint64][]int32{}
	for i, tr := range all {
		for _, pt := range tr {
			postings[pt] = append(postings[pt], int32(i))
		}
	}
	unique := make([]int, maxP)
	drawn := make([]int, maxP)
	pick := make([]uint64, 0, maxP)
	for ti, tr := range all {
		n := min(maxP, len(tr))
		for p := range n {
			drawn[p] += draws
		}
		for range draws {
			pick = pick[:0]
			for _, idx := range sample(rng, len(tr), n) {
				pick = append(pick, tr[idx])
			}
			for p := 1; p <= n; p++ {
				if singles(all, postings, pick[:p], int32(ti)) {
					for q := p; q <= n; q++ {
						unique[q-1]++
					}
					break
				}
			}
		}
	}
	for p := range maxP {
		if drawn[p] > 0 {
			out[p] = float64(unique[p]) / float64(drawn[p])
		}
	}
	return out
}

package linker

import "slices"

// The watermark: how far the stream has gone, in event time. Joins resolve
// and co-occurrence bins close behind it (Config.CooccurLag).
//
// It is not the latest event time seen. A device whose clock runs half an
// hour ahead would then push it half an hour forward on its first event,
// and everyone else's events, on time, would arrive behind closed bins and
// lose their co-occurrence: a few wrong clocks would blind the linker to
// the whole city. The watermark follows a high quantile of the recent event
// times instead, the (1 + n/4)-th latest of the last recentN: clocks ahead,
// up to a quarter of the recent events, do not move it, and in a stream in
// time order it stays within a few events of the latest. A record later
// than the watermark is still filed in its bin as usual.

// recentN is how many recent record times the watermark is taken from.
const recentN = 64

// times is the window of recent record times: in arrival order (a ring)
// and sorted.
type times struct {
	Ring   []int64
	Next   int
	Sorted []int64
}

// add adds t and returns the watermark candidate.
func (w *times) add(t int64) int64 {
	if len(w.Ring) < recentN {
		w.Ring = append(w.Ring, t)
	} else {
		old := w.Ring[w.Next]
		w.Ring[w.Next] = t
		w.Next = (w.Next + 1) % recentN
		i, _ := slices.BinarySearch(w.Sorted, old)
		w.Sorted = slices.Delete(w.Sorted, i, i+1)
	}
	i, _ := slices.BinarySearch(w.Sorted, t)
	w.Sorted = slices.Insert(w.Sorted, i, t)
	return w.Sorted[len(w.Sorted)-1-len(w.Sorted)/4]
}

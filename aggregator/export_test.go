package aggregator

// SetWarmChunk sets how many summaries a listing derives per hold of the
// lock, so that tests of a small city go through many chunks.
func SetWarmChunk(n int) (restore func()) {
	old := warmChunk
	warmChunk = n
	return func() { warmChunk = old }
}

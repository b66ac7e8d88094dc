package facts

// RadioModel returns the path-loss model the store has fitted: exponent,
// shadowing (dB), level at 100 m (dBm) and its spread (dB); all zero before
// the first fit.
func (s *Store) RadioModel() (exp, sigmaDB, level, levelSigmaDB float64) {
	return s.radio.Exp, s.radio.SigmaDB, s.radio.Level, s.radio.LevelSigmaDB
}

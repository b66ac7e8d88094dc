package sim

// SetPartPersons sets how many people make a part of a day, so that tests
// cut a small city's days in many parts, and returns the restoring func.
func SetPartPersons(n int) (restore func()) {
	old := partPersons
	partPersons = n
	return func() { partPersons = old }
}

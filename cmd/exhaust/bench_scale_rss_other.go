//go:build !unix

package main

import "os"

// peakRSS is 0 where the system reports no maximum resident set size.
func peakRSS(*os.ProcessState) uint64 { return 0 }

//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSS is the exited process's maximum resident set size in bytes, as
// getrusage reports it: in KiB on Linux and the BSDs, in bytes on macOS.
func peakRSS(ps *os.ProcessState) uint64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru.Maxrss <= 0 {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(ru.Maxrss)
	}
	return uint64(ru.Maxrss) * 1024
}

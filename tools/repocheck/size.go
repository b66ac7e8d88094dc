package repocheck

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MaxSize is the largest tracked file allowed without a reason in
// LargeFiles: documentation images are a few hundred KB.
const MaxSize = 1 << 20 // 1 MiB

// LargeFiles are the tracked files allowed over MaxSize, each with why it
// must be in the repository. Adding one is a decision: say it here.
var LargeFiles = map[string]string{
	// none yet
}

// Problem is one tracked file the checks refuse.
type Problem struct {
	Path string
	Why  string
}

func (p Problem) String() string { return p.Path + ": " + p.Why }

// executableMagic are the first bytes of the executables Go and C
// toolchains write: ELF (Linux), Mach-O (macOS, both byte orders and fat
// binaries) and PE (Windows).
var executableMagic = [][]byte{
	[]byte("\x7fELF"),
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
	[]byte("MZ"),
}

// Check returns the problems of the files at paths (relative to root):
// over MaxSize and not in allowed, or an executable. A path that is not a
// regular file in the work tree (deleted, a symbolic link) is skipped.
func Check(root string, paths []string, allowed map[string]string) ([]Problem, error) {
	var out []Problem
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		fi, err := os.Lstat(full)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if fi.Size() > MaxSize {
			if why, ok := allowed[p]; !ok || why == "" {
				out = append(out, Problem{p, fmt.Sprintf("%d bytes, over the %d-byte limit; keep build outputs out (see .gitignore), or allow it with a reason in tools/repocheck LargeFiles", fi.Size(), MaxSize)})
				continue
			}
		}
		exe, err := isExecutable(full)
		if err != nil {
			return nil, err
		}
		if exe {
			out = append(out, Problem{p, "a compiled executable; build outputs are not tracked (go build -o somewhere outside the repository, or see .gitignore)"})
		}
	}
	return out, nil
}

func isExecutable(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, err
	}
	head = head[:n]
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, m) {
			return true, nil
		}
	}
	return false, nil
}

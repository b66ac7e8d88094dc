package repocheck_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"exhaust/tools/repocheck"
)

// tracked returns the repository's root and its tracked files. Outside a
// git checkout (a source archive) there is nothing to check: it skips.
func tracked(t *testing.T) (string, []string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	root := strings.TrimSpace(string(top))
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var paths []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			paths = append(paths, string(p))
		}
	}
	if len(paths) < 50 {
		t.Fatalf("git ls-files listed %d files: not this repository?", len(paths))
	}
	return root, paths
}

// TestTrackedFiles is the CI check: no tracked file over MaxSize unless
// allowed with a reason, and no compiled executable.
func TestTrackedFiles(t *testing.T) {
	root, paths := tracked(t)
	problems, err := repocheck.Check(root, paths, repocheck.LargeFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	for p, why := range repocheck.LargeFiles {
		if !slices.Contains(paths, p) {
			t.Errorf("LargeFiles allows %s, which is not tracked: remove the entry", p)
		}
		if strings.TrimSpace(why) == "" {
			t.Errorf("LargeFiles allows %s without a reason", p)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("a"), repocheck.MaxSize+1)
	write("docs/small.md", []byte("# a page\n"))
	write("docs/at-limit.png", bytes.Repeat([]byte{0x89}, repocheck.MaxSize))
	write("docs/film.webm", big)
	write("docs/allowed.webm", big)
	write("docs/unexplained.webm", big)
	write("wifi.test", append([]byte("\x7fELF"), make([]byte, 64)...))
	write("tool.exe", append([]byte("MZ"), make([]byte, 64)...))
	write("tiny", []byte("M"))
	paths := []string{"docs/small.md", "docs/at-limit.png", "docs/film.webm", "docs/allowed.webm",
		"docs/unexplained.webm", "wifi.test", "tool.exe", "tiny", "deleted-since.md"}
	allowed := map[string]string{"docs/allowed.webm": "the lesson's video, shown offline", "docs/unexplained.webm": ""}

	problems, err := repocheck.Check(dir, paths, allowed)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Path)
	}
	want := []string{"docs/film.webm", "docs/unexplained.webm", "wifi.test", "tool.exe"}
	if !slices.Equal(got, want) {
		t.Errorf("problems %v, want %v", problems, want)
	}
}

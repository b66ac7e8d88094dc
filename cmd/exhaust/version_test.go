package main

import (
	"bytes"
	"context"
	"runtime/debug"
	"strings"
	"testing"
)

func TestWriteVersion(t *testing.T) {
	git := func(rev, modified, when string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: when}, {Key: "vcs.modified", Value: modified},
		}
	}
	const rev = "8802841c4e5d6f708192a3b4c5d6e7f801234567"
	tests := []struct {
		name    string
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"go build in a clean checkout", "dev", &debug.BuildInfo{
			GoVersion: "go1.26.0", Main: debug.Module{Path: "exhaust", Version: "v0.0.0-20261129100000-8802841c4e5d"},
			Settings: git(rev, "false", "2026-11-29T10:00:00Z"),
		}, "exhaust v0.0.0-20261129100000-8802841c4e5d\n" +
			"commit   " + rev + " (clean)\n" +
			"date     2026-11-29T10:00:00Z (the commit's)\n" +
			"go       go1.26.0 linux/amd64\n"},
		{"uncommitted changes", "dev", &debug.BuildInfo{
			GoVersion: "go1.26.0", Main: debug.Module{Path: "exhaust", Version: "v0.0.0-20261129100000-8802841c4e5d+dirty"},
			Settings: git(rev, "true", "2026-11-29T10:00:00Z"),
		}, "exhaust v0.0.0-20261129100000-8802841c4e5d+dirty\n" +
			"commit   " + rev + " (with uncommitted changes)\n" +
			"date     2026-11-29T10:00:00Z (the commit's)\n" +
			"go       go1.26.0 linux/amd64\n"},
		{"version from ldflags wins", "v1.2.0", &debug.BuildInfo{
			GoVersion: "go1.26.0", Main: debug.Module{Path: "exhaust", Version: "(devel)"},
			Settings: git(rev, "false", "2026-11-29T10:00:00Z"),
		}, "exhaust v1.2.0\n" +
			"commit   " + rev + " (clean)\n" +
			"date     2026-11-29T10:00:00Z (the commit's)\n" +
			"go       go1.26.0 linux/amd64\n"},
		{"no VCS information (go run, go test, a Docker build)", "dev", &debug.BuildInfo{
			GoVersion: "go1.26.0", Main: debug.Module{Path: "exhaust", Version: "(devel)"},
		}, "exhaust dev\n" +
			"commit   unknown (not built by go build in a git checkout)\n" +
			"go       go1.26.0\n"},
		{"no build information", "dev", nil, "exhaust dev\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writeVersion(&b, tc.ldflags, tc.bi)
			if b.String() != tc.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tc.want)
			}
		})
	}
}

// TestVersionCommand runs exhaust version as a user would. The test binary
// records no VCS settings, so only the output's shape is checked here.
func TestVersionCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, context.Background(), nil, "version")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "exhaust ") || len(lines[0]) <= len("exhaust ") {
		t.Errorf("first line %q, want \"exhaust <version>\"", lines[0])
	}
	if !strings.Contains(stdout, "\ncommit   ") || !strings.Contains(stdout, "\ngo       go1.") {
		t.Errorf("output lacks the commit and Go lines:\n%s", stdout)
	}
	if code, _, stderr := runCLI(t, context.Background(), nil, "version", "--short"); code != 2 || !strings.Contains(stderr, "--short") {
		t.Errorf("version --short: exit %d, stderr %q; want 2 and the flag named", code, stderr)
	}
}

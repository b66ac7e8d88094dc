package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

func readDockerfile(t *testing.T) []instruction {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []instruction
	var cur string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(line, `\`); ok {
			cur += rest + " "
			continue
		}
		cur += line
		cmd, args, _ := strings.Cut(cur, " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur = ""
	}
	return out
}

// TestDockerfile checks what the image promises: built with the module's Go,
// a static binary, a minimal non-root final stage running exhaust.
func TestDockerfile(t *testing.T) {
	ins := readDockerfile(t)
	var froms []string
	var user, entrypoint, build string
	var exposed []string
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			froms = append(froms, in.args)
			user = "" // USER is per stage: only the final one matters
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "RUN":
			if strings.Contains(in.args, "go build") {
				build = in.args
			}
		}
	}
	if len(froms) < 2 {
		t.Fatalf("stages %v: want a multi-stage build", froms)
	}
	goMod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(goMod)
	if goVersion == nil || !strings.HasPrefix(froms[0], "golang:"+string(goVersion[1])+" ") {
		t.Errorf("builder %q, want golang:%s (go.mod's)", froms[0], goVersion[1])
	}
	final := froms[len(froms)-1]
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage %q, want distroless/static or scratch", final)
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("final stage runs as %q, want a non-root user", user)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/exhaust", "main.version"} {
		if !strings.Contains(build, want) {
			t.Errorf("go build %q lacks %s", build, want)
		}
	}
	if !regexp.MustCompile(`^\["[^"]*exhaust"\]$`).MatchString(entrypoint) {
		t.Errorf("ENTRYPOINT %s, want exec form running exhaust", entrypoint)
	}
	if !strings.Contains(strings.Join(exposed, " "), "9090") {
		t.Errorf("EXPOSE %v lacks 9090, the aggregator's port in deploy/compose.yaml", exposed)
	}
}

// dockerignored reports whether a .dockerignore pattern, in the simple forms
// deploy uses ("dir", "**/name", "**/*.ext"), excludes path.
func dockerignored(pattern, path string) bool {
	if base, ok := strings.CutPrefix(pattern, "**/"); ok {
		for _, part := range strings.Split(path, "/") {
			if m, _ := filepath.Match(base, part); m {
				return true
			}
		}
		return false
	}
	first, _, _ := strings.Cut(path, "/")
	m, _ := filepath.Match(pattern, first)
	return m
}

// TestDockerignoreKeepsTheBuildInputs checks that .dockerignore excludes no
// file the image build needs: go.mod, go.sum and the Go files (and embedded
// files) of every package of ./cmd/exhaust.
func TestDockerignoreKeepsTheBuildInputs(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			if strings.ContainsAny(line, "!?[") || (strings.Contains(line, "*") && !strings.HasPrefix(line, "**/")) {
				t.Fatalf(".dockerignore pattern %q is beyond what this test understands", line)
			}
			patterns = append(patterns, line)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}
{{end}}{{end}}`, "../cmd/exhaust").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, f); err == nil && !strings.HasPrefix(rel, "..") {
			files = append(files, filepath.ToSlash(rel))
		}
	}
	if len(files) < 10 {
		t.Fatalf("only %d build inputs found: %v", len(files), files)
	}
	for _, f := range files {
		for _, p := range patterns {
			if dockerignored(p, f) {
				t.Errorf(".dockerignore pattern %q excludes %s, which the build needs", p, f)
			}
		}
	}
	// And it does keep the secrets out.
	for _, secret := range []string{"deploy/.env", ".git/config"} {
		excluded := false
		for _, p := range patterns {
			excluded = excluded || dockerignored(p, secret)
		}
		if !excluded {
			t.Errorf("%s would be sent to the image build", secret)
		}
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…" (the
// Dockerfile passes git describe); otherwise the module version the Go
// toolchain recorded is reported.
var version = "dev"

func runVersion(_ context.Context, args []string, env *cliEnv) error {
	fs := newFlagSet("version", "version",
		"Prints the version of this executable, the commit it was built from (and\nwhether the checkout had uncommitted changes), the commit's time and the Go\nversion, as the Go toolchain recorded them in the executable.",
		env.stdout)
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	writeVersion(env.stdout, version, bi)
	return nil
}

// writeVersion prints what bi says about the build, the first line being
// "exhaust <version>": ldflagsVersion when set at build time (not "dev"),
// else the main module's version, else "dev". Commit, its time and whether
// the tree was modified come from the vcs.* settings, which go build
// records in a checkout and go run and go test do not; bi may be nil.
func writeVersion(w io.Writer, ldflagsVersion string, bi *debug.BuildInfo) {
	v := ldflagsVersion
	if (v == "" || v == "dev") && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	fmt.Fprintf(w, "exhaust %s\n", v)
	if bi == nil {
		return
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		state := "clean"
		if settings["vcs.modified"] == "true" {
			state = "with uncommitted changes"
		}
		fmt.Fprintf(w, "commit   %s (%s)\n", rev, state)
	} else {
		fmt.Fprintln(w, "commit   unknown (not built by go build in a git checkout)")
	}
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(w, "date     %s (the commit's)\n", t)
	}
	if bi.GoVersion != "" {
		goos, goarch := settings["GOOS"], settings["GOARCH"]
		fmt.Fprintf(w, "go       %s\n", strings.TrimSpace(bi.GoVersion+" "+strings.Trim(goos+"/"+goarch, "/")))
	}
}

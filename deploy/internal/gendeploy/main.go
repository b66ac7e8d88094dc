// Command gendeploy rewrites the parts of the deploy files and their docs
// that follow from the producer registry (see package fromregistry): the
// compose publishers, the NATS accounts of nats/accounts.conf and the Helm
// values, the password settings, and the docs' lists of producers. go
// generate ./deploy runs it; a test in deploy fails while its output is
// stale.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"exhaust/deploy/internal/fromregistry"
	"exhaust/producers"
	_ "exhaust/producers/all" // registers every producer
)

func main() {
	root := flag.String("root", "..", "the repository root")
	flag.Parse()
	if err := run(*root); err != nil {
		fmt.Fprintln(os.Stderr, "gendeploy:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := fromregistry.Generate(os.DirFS(root), fromregistry.Specs(producers.All()))
	if err != nil {
		return err
	}
	for _, f := range files {
		if !f.Stale() {
			continue
		}
		path := filepath.Join(root, filepath.FromSlash(f.Path))
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, f.New, info.Mode().Perm()); err != nil {
			return err
		}
		fmt.Println("updated", f.Path)
	}
	return nil
}

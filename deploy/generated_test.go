package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"exhaust/deploy/deploytest"
	"exhaust/deploy/internal/fromregistry"
	"exhaust/producers"
)

// TestGeneratedFilesAreCurrent fails while a file's parts that follow from
// the producer registry (compose publishers, NATS accounts, Helm values,
// password settings, the docs' lists) are not what the registry generates:
// a producer was added or removed without go generate ./deploy.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := fromregistry.Generate(os.DirFS(".."), fromregistry.Specs(producers.All()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Stale() {
			t.Errorf("%s is stale (%s): run go generate ./deploy", f.Path, fromregistry.FirstDiff(f.Old, f.New))
		}
	}
	t.Logf("%d files with generated parts, for %d producers", len(files), len(producers.Names()))
}

// TestANewProducerIsDeployed generates the deploy files for the registry
// plus a made-up producer, "parking", and runs the deploy checks on them:
// compose runs it as its own user, nats.conf (with the accounts.conf it
// includes) lets it publish its subjects and nothing else (on a real
// nats-server), the Helm chart runs it with the same accounts, .env.example
// asks for its password, and the docs list it.
// A new producer needs nothing in deploy/ beyond go generate ./deploy.
func TestANewProducerIsDeployed(t *testing.T) {
	specs := append(fromregistry.Specs(producers.All()), producers.Spec{
		Name:    "parking",
		Summary: "A car park's barriers: number plates in and out.",
	})
	files, err := fromregistry.Generate(os.DirFS(".."), specs)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	generated := map[string]string{}
	for _, f := range files {
		path := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, f.New, 0o644); err != nil {
			t.Fatal(err)
		}
		generated[f.Path] = string(f.New)
	}
	// The NATS configurations that include the generated accounts.conf.
	confs, err := filepath.Glob(filepath.Join("nats", "*.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range confs {
		dst := filepath.Join(root, "deploy", c)
		if _, ok := generated["deploy/"+filepath.ToSlash(c)]; ok {
			continue
		}
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(root, "deploy")
	names := append(producers.Names(), "parking")
	users := deploytest.UsersFor(names)

	t.Run("compose", func(t *testing.T) {
		checkComposeServices(t, dir, names)
		checkComposeNATSUsers(t, dir, names, users)
		checkComposeVariables(t, dir)
	})
	t.Run("env example", func(t *testing.T) {
		if required, _ := envExample(t, dir); !required["NATS_PARKING_PASSWORD"] {
			t.Errorf(".env.example does not ask for NATS_PARKING_PASSWORD:\n%s", generated["deploy/.env.example"])
		}
	})
	t.Run("helm", func(t *testing.T) {
		checkHelmProducers(t, dir, names)
		checkHelmNATSAccounts(t, dir, users)
	})
	t.Run("nats permissions", func(t *testing.T) {
		url := deploytest.StartNATSWith(t, filepath.Join(dir, "nats", "nats.conf"), users)
		checkProducersPublishOnlyTheirOwn(t, url, []string{"parking"})
	})
	t.Run("docs", func(t *testing.T) {
		for path, want := range map[string][]string{
			"docs/deploy.md": {
				", `parking`<!-- END generated producer services -->",
				", `parking`<!-- END generated producer users -->",
				"  for u in admin aggregator truth " + strings.Join(names, " ") + "; do\n",
			},
			"docs/architecture.md": {", parking<!-- END generated producer names -->"},
		} {
			for _, w := range want {
				if !strings.Contains(generated[path], w) {
					t.Errorf("%s lacks %q", path, w)
				}
			}
		}
	})
}

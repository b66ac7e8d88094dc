package test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const composeFile = "../../compose.yaml"

// loadCompose loads deploy/compose.yaml with compose-go, the loader of
// docker compose itself: schema validation, interpolation, merge keys.
func loadCompose(t *testing.T, env []string, profiles ...string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithName("exhaust"), cli.WithEnv(env), cli.WithoutEnvironmentResolution, cli.WithProfiles(profiles))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// secrets returns a value for each secret deploy/.env.example requires.
func secrets(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, m := range regexp.MustCompile(`(?m)^([A-Z_]+)=$`).FindAllStringSubmatch(string(b), -1) {
		env = append(env, m[1]+"=pTestValueOf"+strings.ReplaceAll(m[1], "_", ""))
	}
	if len(env) == 0 {
		t.Fatal(".env.example requires no secret")
	}
	return env
}

func TestComposeLoadsWithDockerComposesLoader(t *testing.T) {
	p, err := loadCompose(t, secrets(t))
	if err != nil {
		t.Fatalf("compose-go: %v", err)
	}
	if len(p.Services) < 10 {
		t.Fatalf("%d services", len(p.Services))
	}
	for name, s := range p.Services {
		if s.Image != "exhaust:local" {
			continue
		}
		if s.Build == nil || s.Build.Context != repoRootAbs(t) || s.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s builds from %+v, want the repository root", name, s.Build)
		}
		if !s.ReadOnly || len(s.CapDrop) == 0 {
			t.Errorf("%s: want a read-only root file system and no capabilities", name)
		}
		if pw := s.Environment["EXHAUST_NATS_PASSWORD"]; pw == nil || !strings.HasPrefix(*pw, "pTestValueOf") {
			t.Errorf("%s: EXHAUST_NATS_PASSWORD %v, want it from the environment", name, pw)
		}
	}
	for _, port := range p.Services["grafana"].Ports {
		if port.Published == "3000" && port.HostIP != "127.0.0.1" {
			t.Errorf("Grafana published on %q by default, want 127.0.0.1", port.HostIP)
		}
	}
}

// repoRootAbs is the repository root, as compose resolves the build
// context "..".
func repoRootAbs(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestComposeRefusesToStartWithoutSecrets(t *testing.T) {
	_, err := loadCompose(t, nil)
	if err == nil {
		t.Fatal("compose loads without any secret")
	}
	if !strings.Contains(err.Error(), "required variable") || !strings.Contains(err.Error(), "gen-env.sh") {
		t.Errorf("error %q: want it to name the missing variable and gen-env.sh", err)
	}
}

// TestComposeClusterProfile loads compose.yaml as docker compose would
// without a profile and with --profile cluster: the first runs one NATS
// server and one aggregator, as before the profile existed; the second
// adds two NATS nodes, the setup of three replicas and two aggregators,
// and every dependency is on a service that runs (or is not required).
func TestComposeClusterProfile(t *testing.T) {
	cluster := []string{"aggregate-2", "aggregate-3", "nats-2", "nats-3", "setup-cluster"}
	for _, tt := range []struct {
		profiles []string
		running  func(name string) bool
	}{
		{nil, func(name string) bool { return !slices.Contains(cluster, name) }},
		{[]string{"cluster"}, func(string) bool { return true }},
	} {
		t.Run(fmt.Sprint(tt.profiles), func(t *testing.T) {
			p, err := loadCompose(t, secrets(t), tt.profiles...)
			if err != nil {
				t.Fatalf("compose-go: %v", err)
			}
			for _, name := range cluster {
				_, runs := p.Services[name]
				if runs != tt.running(name) {
					t.Errorf("%s runs: %v", name, runs)
				}
			}
			for name, s := range p.Services {
				for dep, d := range s.DependsOn {
					if _, ok := p.Services[dep]; !ok && d.Required {
						t.Errorf("%s requires %s, which does not run", name, dep)
					}
				}
			}
			aggregators := 0
			for _, s := range p.Services {
				if len(s.Command) > 0 && s.Command[0] == "aggregate" {
					aggregators++
				}
			}
			if want := map[bool]int{false: 1, true: 3}[len(tt.profiles) > 0]; aggregators != want {
				t.Errorf("%d aggregators, want %d", aggregators, want)
			}
		})
	}
}

package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeCommandsAreValid checks every exhaust service of
// deploy/compose.yaml: its command, run with --help, must be accepted
// (known subcommand, known flags, valid values, valid EXHAUST_* values), and
// every EXHAUST_* variable it sets must be a flag of that subcommand, since
// an unknown one would be silently ignored.
func TestComposeCommandsAreValid(t *testing.T) {
	b, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Image       string
			Command     []string
			Environment map[string]string
		}
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	// Compose interpolation: the default, or a stand-in for a secret.
	interp := regexp.MustCompile(`\$\{[A-Z_0-9]+(?::-([^}]*)|:\?[^}]*)?\}`)
	n := 0
	for name, s := range c.Services {
		if s.Image != "exhaust:local" {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			if len(s.Command) == 0 {
				t.Fatal("no command")
			}
			env := map[string]string{}
			for k, v := range s.Environment {
				env[k] = interp.ReplaceAllStringFunc(v, func(ref string) string {
					if m := interp.FindStringSubmatch(ref); m[1] != "" {
						return m[1]
					}
					return "pStandInSecret"
				})
			}
			code, stdout, stderr := runCLI(t, context.Background(), env, append(s.Command, "--help")...)
			if code != 0 {
				t.Fatalf("exhaust %s: exit %d: %s", strings.Join(s.Command, " "), code, stderr)
			}
			for k := range env {
				if strings.HasPrefix(k, "EXHAUST_") && !strings.Contains(stdout, "[$"+k+"]") {
					t.Errorf("%s is not a flag of exhaust %s", k, s.Command[0])
				}
			}
		})
	}
	if n < 3 {
		t.Fatalf("%d exhaust services in compose.yaml", n)
	}
}

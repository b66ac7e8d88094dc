package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"
	"go.yaml.in/yaml/v3"

	"exhaust/deploy/deploytest"
	"exhaust/producers"
)

// TestHelmNATSAccountsMatchCompose checks that the Helm chart configures
// NATS exactly as compose does: the accounts, users and permissions in
// values.yaml (nats.config.merge) are those of deploy/nats/nats.conf, which
// the permission tests run. Passwords are compared as the variables they
// read.
func TestHelmNATSAccountsMatchCompose(t *testing.T) {
	checkHelmNATSAccounts(t, ".", deploytest.Users)
}

// checkHelmNATSAccounts is TestHelmNATSAccountsMatchCompose for the deploy
// directory dir, whose NATS users are users. It sets environment
// variables, so its test cannot be parallel.
func checkHelmNATSAccounts(t *testing.T, dir string, users []deploytest.User) {
	t.Helper()
	for _, u := range users {
		t.Setenv(u.PasswordEnv, "valueOf"+u.PasswordEnv)
	}
	fromConf, err := conf.ParseFile(filepath.Join(dir, "nats", "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile(filepath.Join(dir, "helm", "exhaust", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		NATS struct {
			Config struct {
				Merge map[string]any
			}
		} `yaml:"nats"`
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	// The NATS chart writes "<< $VAR >>" unquoted: a variable reference.
	ref := regexp.MustCompile(`^<< \$([A-Z_]+) >>$`)
	var resolve func(v any) any
	resolve = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				v[k] = resolve(e)
			}
		case []any:
			for i, e := range v {
				v[i] = resolve(e)
			}
		case string:
			if m := ref.FindStringSubmatch(v); m != nil {
				return os.Getenv(m[1])
			}
		}
		return v
	}
	fromHelm := resolve(values.NATS.Config.Merge["accounts"])

	normal := func(v any) any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var out any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := normal(fromConf["accounts"]), normal(fromHelm)
	if want == nil {
		t.Fatal("nats.conf has no accounts")
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("values.yaml nats.config.merge.accounts differ from nats.conf accounts:\nHelm:\n%s\nnats.conf:\n%s", g, w)
	}
	if len(values.NATS.Config.Merge) != 1 {
		t.Errorf("nats.config.merge sets %d keys, want accounts only", len(values.NATS.Config.Merge))
	}
}

// TestHelmRunsEveryProducer checks that the chart runs a publisher for
// every registered producer, as compose does.
func TestHelmRunsEveryProducer(t *testing.T) {
	checkHelmProducers(t, ".", producers.Names())
}

// checkHelmProducers checks that the chart of the deploy directory dir runs
// a publisher for each of producers.
func checkHelmProducers(t *testing.T, dir string, producers []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "helm", "exhaust", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Producers struct{ Names []string }
	}
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	got, want := slices.Sorted(slices.Values(values.Producers.Names)), slices.Sorted(slices.Values(producers))
	if !slices.Equal(got, want) {
		t.Errorf("values.yaml producers.names %v, want the registered producers %v", got, want)
	}
}

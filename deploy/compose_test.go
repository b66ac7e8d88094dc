package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"
	"go.yaml.in/yaml/v3"

	"exhaust/deploy/deploytest"
	"exhaust/producers"
	_ "exhaust/producers/all" // registers every producer
)

// The compose stack, as much of it as the checks below read.
type composeFile struct {
	Name     string
	Services map[string]composeService
	Volumes  map[string]any
}

type composeService struct {
	Image       string
	Build       *struct{ Context, Dockerfile string }
	Command     []string
	Environment map[string]string
	Volumes     []string
	Ports       []string
	DependsOn   yaml.Node `yaml:"depends_on"`
	Healthcheck *struct{ Test []string }
	Restart     string
	Profiles    []string
}

// clusterProfile is the compose profile that runs NATS as a three-node
// cluster with three aggregators.
const clusterProfile = "cluster"

// inProfile reports whether the service runs with profile ("" for the
// services that run without any profile).
func (s composeService) inProfile(profile string) bool {
	if profile == "" {
		return len(s.Profiles) == 0
	}
	return slices.Contains(s.Profiles, profile)
}

// dependsOn returns the service's dependencies and their conditions (""
// for the short list form), each followed by " (optional)" when the
// dependency is not required (it is there with a profile only).
func (s composeService) dependsOn(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch s.DependsOn.Kind {
	case 0:
	case yaml.SequenceNode:
		var names []string
		if err := s.DependsOn.Decode(&names); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			out[n] = ""
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string
			Required  *bool
		}
		if err := s.DependsOn.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for n, d := range m {
			out[n] = d.Condition
			if d.Required != nil && !*d.Required {
				out[n] += " (optional)"
			}
		}
	default:
		t.Fatalf("depends_on of kind %v", s.DependsOn.Kind)
	}
	return out
}

// mount returns the host path mounted at target ("" if none).
func (s composeService) mount(target string) string {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == target {
			return parts[0]
		}
	}
	return ""
}

// flag returns the value of --name (or -name=) in the service's command.
func (s composeService) flag(name string) (string, bool) {
	for i, a := range s.Command {
		for _, dash := range []string{"--", "-"} {
			if v, ok := strings.CutPrefix(a, dash+name+"="); ok {
				return v, true
			}
			if a == dash+name && i+1 < len(s.Command) {
				return s.Command[i+1], true
			}
		}
	}
	return "", false
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// loadCompose reads the compose file of the deploy directory dir.
func loadCompose(t *testing.T, dir string) composeFile {
	t.Helper()
	var c composeFile
	readYAML(t, filepath.Join(dir, "compose.yaml"), &c)
	return c
}

// exhaustServices are the compose services that run the exhaust image.
func exhaustServices(c composeFile) []string {
	var names []string
	for name, s := range c.Services {
		if s.Image == c.Services["setup"].Image {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// servicesIn returns the names of the services that run with profile (""
// for those that run without any), sorted.
func servicesIn(c composeFile, profile string) []string {
	var names []string
	for name, s := range c.Services {
		if s.inProfile(profile) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func TestComposeServices(t *testing.T) {
	if _, err := os.Stat(filepath.Join("..", "Dockerfile")); err != nil {
		t.Error(err)
	}
	checkComposeServices(t, ".", producers.Names())
}

// The services the profile "cluster" adds: two more NATS nodes, the setup
// that gives every stream three replicas, and two more aggregators.
var clusterServices = []string{"aggregate-2", "aggregate-3", "nats-2", "nats-3", "setup-cluster"}

// checkComposeServices checks the services of dir's compose file: without
// a profile the fixed ones and one publisher per producer, each run on the
// exhaust image after setup; the profile "cluster" adds clusterServices.
func checkComposeServices(t *testing.T, dir string, producers []string) {
	t.Helper()
	c := loadCompose(t, dir)
	want := append([]string{"nats", "nats-exporter", "setup", "aggregate", "truth", "prometheus", "grafana"}, producers...)
	sort.Strings(want)
	if got := servicesIn(c, ""); !slices.Equal(got, want) {
		t.Fatalf("services %v, want %v (one publisher per registered producer)", got, want)
	}
	if got := servicesIn(c, clusterProfile); !slices.Equal(got, clusterServices) {
		t.Fatalf("services of the profile %s %v, want %v", clusterProfile, got, clusterServices)
	}
	for name, s := range c.Services {
		if len(s.Profiles) > 0 && !s.inProfile(clusterProfile) {
			t.Errorf("%s runs with the profiles %v: want none, or %s", name, s.Profiles, clusterProfile)
		}
	}

	wantExhaust := append([]string{"setup", "aggregate", "truth", "aggregate-2", "aggregate-3", "setup-cluster"}, producers...)
	sort.Strings(wantExhaust)
	if got := exhaustServices(c); !slices.Equal(got, wantExhaust) {
		t.Fatalf("services on the exhaust image %v, want %v", got, wantExhaust)
	}
	for _, name := range wantExhaust {
		s := c.Services[name]
		t.Run(name, func(t *testing.T) {
			if s.Build == nil || s.Build.Context != ".." || s.Build.Dockerfile != "Dockerfile" {
				t.Errorf("build %+v, want the repository's Dockerfile (context ..)", s.Build)
			}
			// Without a profile, the one server; the profile's own
			// services know every node of the cluster.
			wantNATS := "nats://nats:4222"
			if s.inProfile(clusterProfile) {
				wantNATS = clusterServerList
			}
			if nats, _ := s.flag("nats"); nats != wantNATS {
				t.Errorf("--nats %q, want %s", nats, wantNATS)
			}
			deps := s.dependsOn(t)
			// After setup, and with the profile after the three replicas.
			want := map[string]string{
				"setup":         "service_completed_successfully",
				"setup-cluster": "service_completed_successfully (optional)",
			}
			switch name {
			case "setup":
				want = map[string]string{"nats": "service_healthy"}
			case "setup-cluster":
				want = map[string]string{"setup": "service_completed_successfully", "nats-2": "service_healthy", "nats-3": "service_healthy"}
			}
			if fmt.Sprint(deps) != fmt.Sprint(want) {
				t.Errorf("depends_on %v, want %v", deps, want)
			}
		})
	}
	if c.Services["nats"].Healthcheck == nil {
		t.Error("nats has no healthcheck: setup's service_healthy would never hold")
	}
}

// TestComposeNATSUsers checks that each exhaust service connects as the
// user deploy/nats/nats.conf has for it, with the password the nats service
// gives that user.
func TestComposeNATSUsers(t *testing.T) {
	checkComposeNATSUsers(t, ".", producers.Names(), deploytest.Users)
}

// checkComposeNATSUsers is TestComposeNATSUsers for the deploy directory
// dir, configured for producers and users.
func checkComposeNATSUsers(t *testing.T, dir string, producers []string, users []deploytest.User) {
	t.Helper()
	c := loadCompose(t, dir)
	userOf := map[string]string{
		"setup": "admin", "setup-cluster": "admin",
		"aggregate": "aggregator", "aggregate-2": "aggregator", "aggregate-3": "aggregator",
		"truth": "truth",
	}
	for _, p := range producers {
		userOf[p] = p
	}
	envOf := map[string]string{}
	for _, u := range users {
		envOf[u.Name] = u.PasswordEnv
	}
	nats := c.Services["nats"]
	for _, name := range exhaustServices(c) {
		s := c.Services[name]
		user := s.Environment["EXHAUST_NATS_USER"]
		if user != userOf[name] {
			t.Errorf("%s connects as %q, want %q", name, user, userOf[name])
			continue
		}
		pwVar := envOf[user]
		if pwVar == "" {
			t.Errorf("%s: user %s is not in deploy/nats/nats.conf", name, user)
			continue
		}
		if got, want := referencedVar(s.Environment["EXHAUST_NATS_PASSWORD"]), pwVar; got != want {
			t.Errorf("%s: EXHAUST_NATS_PASSWORD from $%s, want $%s", name, got, want)
		}
		if got := referencedVar(nats.Environment[pwVar]); got != pwVar {
			t.Errorf("nats: %s from $%s, want $%s", pwVar, got, pwVar)
		}
	}

	// The server's variables are exactly those nats.conf reads (in the
	// accounts.conf it includes).
	b, err := os.ReadFile(filepath.Join(dir, "nats", "accounts.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var inConf []string
	for _, m := range regexp.MustCompile(`password:\s*\$([A-Z_]+)`).FindAllStringSubmatch(string(b), -1) {
		inConf = append(inConf, m[1])
	}
	var inCompose []string
	for k := range nats.Environment {
		if k != "NATS_SERVER_NAME" { // the cluster node's name, cluster.conf's
			inCompose = append(inCompose, k)
		}
	}
	sort.Strings(inConf)
	sort.Strings(inCompose)
	if !slices.Equal(inConf, inCompose) || len(inConf) != len(users) {
		t.Errorf("nats.conf reads %v, compose gives nats %v, want %d users", inConf, inCompose, len(users))
	}
	if got := nats.mount("/etc/nats"); got != "./nats" {
		t.Errorf("/etc/nats mounted from %q, want ./nats (nats.conf and the accounts.conf it includes)", got)
	}
	// Without the profile's nodes, nats runs the one server's nats.conf.
	if cmd := strings.Join(nats.Command, " "); !strings.Contains(cmd, "else exec nats-server --config /etc/nats/nats.conf;") {
		t.Errorf("nats runs %q, want the mounted /etc/nats/nats.conf without the profile %s", cmd, clusterProfile)
	}
	// Every node of the cluster knows every user, with the same password.
	for _, node := range []string{"nats-2", "nats-3"} {
		env := c.Services[node].Environment
		for k, v := range nats.Environment {
			if k != "NATS_SERVER_NAME" && env[k] != v {
				t.Errorf("%s: %s=%q, nats has %q", node, k, env[k], v)
			}
		}
		if len(env) != len(nats.Environment) {
			t.Errorf("%s has %d variables, nats %d", node, len(env), len(nats.Environment))
		}
	}
}

// TestComposeNATSImageMatchesTests checks that compose runs the nats-server
// minor version the tests run (go.mod), so the permission tests hold for it.
func TestComposeNATSImageMatchesTests(t *testing.T) {
	c := loadCompose(t, ".")
	for _, node := range []string{"nats-2", "nats-3"} {
		if c.Services[node].Image != c.Services["nats"].Image {
			t.Errorf("%s runs %q, nats %q", node, c.Services[node].Image, c.Services["nats"].Image)
		}
	}
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/nats-io/nats-server/v2 v(\d+\.\d+)\.`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require nats-server")
	}
	if want := "nats:" + string(m[1]) + "-alpine"; c.Services["nats"].Image != want {
		t.Errorf("nats image %q, want %q (the version go.mod tests with)", c.Services["nats"].Image, want)
	}
}

type prometheusConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
	}
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string
		} `yaml:"static_configs"`
		DNSSDConfigs []struct {
			Names []string
			Type  string
			Port  int
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

// targets returns what each job scrapes, host:port, whether a static
// target or a name it looks up.
func (p prometheusConfig) targets() map[string][]string {
	out := map[string][]string{}
	for _, sc := range p.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			out[sc.JobName] = append(out[sc.JobName], st.Targets...)
		}
		for _, d := range sc.DNSSDConfigs {
			for _, n := range d.Names {
				out[sc.JobName] = append(out[sc.JobName], net.JoinHostPort(n, strconv.Itoa(d.Port)))
			}
		}
	}
	return out
}

func TestPrometheusScrapesTheStack(t *testing.T) {
	c := loadCompose(t, ".")
	var p prometheusConfig
	readYAML(t, "prometheus/prometheus.yml", &p)
	prom := c.Services["prometheus"]
	if got := prom.mount("/etc/prometheus/prometheus.yml"); got != "./prometheus/prometheus.yml" {
		t.Errorf("prometheus.yml mounted from %q", got)
	}

	// listens returns the port a service's process listens on, from its
	// command line.
	httpPort := func(s composeService) string {
		addr, _ := s.flag("http")
		_, port, _ := net.SplitHostPort(addr)
		return port
	}
	listens := map[string]func(composeService) string{
		"aggregate":     httpPort,
		"aggregate-2":   httpPort,
		"aggregate-3":   httpPort,
		"nats-exporter": func(s composeService) string { port, _ := s.flag("port"); return port },
		"localhost":     func(composeService) string { return "9090" }, // Prometheus itself
	}
	jobs := map[string][]string{}
	for job, targets := range p.targets() {
		for _, target := range targets {
			host, port, err := net.SplitHostPort(target)
			if err != nil {
				t.Errorf("job %s: target %q: %v", job, target, err)
				continue
			}
			jobs[job] = append(jobs[job], host)
			s, ok := c.Services[host]
			if !ok && host != "localhost" {
				t.Errorf("job %s scrapes %s, which is not a compose service", job, target)
				continue
			}
			listen := listens[host]
			if listen == nil {
				t.Errorf("job %s scrapes %s: no rule for what it listens on", job, host)
				continue
			}
			if got := listen(s); got != port {
				t.Errorf("job %s scrapes %s, but %s listens on port %q", job, target, host, got)
			}
		}
	}
	// Every aggregator, with the profile or without: those of the
	// profile are looked up by name, and no name is no target.
	if got, want := jobs["exhaust"], aggregators(c, clusterProfile); !slices.Equal(got, want) {
		t.Errorf("job exhaust scrapes %v, want every aggregator %v", got, want)
	}
	if fmt.Sprint(jobs["nats"]) != "[nats-exporter]" {
		t.Errorf("jobs %v: want job nats scraping the exporter", jobs)
	}
	exporter := c.Services["nats-exporter"]
	if last := exporter.Command[len(exporter.Command)-1]; last != "http://nats:8222/" {
		t.Errorf("exporter reads %q, want nats's monitoring port http://nats:8222/", last)
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	c := loadCompose(t, ".")
	g := c.Services["grafana"]
	prov := g.mount("/etc/grafana/provisioning")
	if prov != "./grafana/provisioning" {
		t.Fatalf("provisioning mounted from %q", prov)
	}

	var ds struct {
		Datasources []struct {
			Name, UID, Type, URL string
			JSONData             map[string]any `yaml:"jsonData"`
		}
	}
	readYAML(t, filepath.Join(prov, "datasources", "exhaust.yaml"), &ds)
	if len(ds.Datasources) != 1 {
		t.Fatalf("%d datasources, want 1", len(ds.Datasources))
	}
	d := ds.Datasources[0]
	if d.UID != "exhaust-prometheus" || d.Type != "prometheus" {
		t.Errorf("datasource uid %q type %q, want exhaust-prometheus, prometheus", d.UID, d.Type)
	}
	if d.URL != "http://prometheus:9090" {
		t.Errorf("datasource URL %q, want the prometheus service", d.URL)
	}
	var p prometheusConfig
	readYAML(t, "prometheus/prometheus.yml", &p)
	if d.JSONData["timeInterval"] != p.Global.ScrapeInterval {
		t.Errorf("datasource timeInterval %v, Prometheus scrapes every %s", d.JSONData["timeInterval"], p.Global.ScrapeInterval)
	}

	var dash struct {
		Providers []struct {
			Name, Type string
			Options    struct{ Path string }
		}
	}
	readYAML(t, filepath.Join(prov, "dashboards", "exhaust.yaml"), &dash)
	if len(dash.Providers) != 1 || dash.Providers[0].Type != "file" {
		t.Fatalf("dashboard providers %+v, want one of type file", dash.Providers)
	}
	path := dash.Providers[0].Options.Path
	if path != "/var/lib/grafana/dashboards" {
		t.Errorf("dashboards read from %q", path)
	}
	if src := g.mount(path); src != "../dashboards" {
		t.Errorf("%s mounted from %q, want the repository's dashboards/", path, src)
	}

	// Every dashboard the stack loads refers to the provisioned datasource.
	files, _ := filepath.Glob("../dashboards/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d any
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		refs := 0
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if ds, ok := v["datasource"].(map[string]any); ok {
					refs++
					if uid, _ := ds["uid"].(string); uid != "exhaust-prometheus" && !strings.HasPrefix(uid, "$") {
						t.Errorf("%s uses datasource %v, want uid exhaust-prometheus", f, ds)
					}
				}
				for _, e := range v {
					walk(e)
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			}
		}
		walk(d)
		t.Logf("%s: %d datasource references", f, refs)
	}
	t.Logf("%d dashboards in dashboards/", len(files))
}

// envRef matches a compose interpolation: ${VAR}, ${VAR:-default},
// ${VAR:?message}.
var envRef = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\?)([^}]*))?\}`)

// referencedVar returns the variable a value like ${VAR:?…} reads.
func referencedVar(v string) string {
	m := envRef.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	return m[1]
}

// envExample reads the .env.example of the deploy directory dir: required
// settings (VAR=) and documented optional ones (#VAR=default).
func envExample(t *testing.T, dir string) (required map[string]bool, optional map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	required, optional = map[string]bool{}, map[string]string{}
	line := regexp.MustCompile(`^(#?)([A-Z_][A-Z0-9_]*)=(.*)$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		switch {
		case m == nil:
		case m[1] == "":
			if m[3] != "" {
				t.Errorf(".env.example sets %s=%s: a committed value would be a committed secret", m[2], m[3])
			}
			required[m[2]] = true
		default:
			optional[m[2]] = m[3]
		}
	}
	return required, optional
}

func TestComposeVariablesAreDocumented(t *testing.T) {
	checkComposeVariables(t, ".")
}

// checkComposeVariables checks that every variable the compose file of the
// deploy directory dir reads is in its .env.example, and the reverse.
func checkComposeVariables(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	required, optional := envExample(t, dir)
	used := map[string]bool{}
	for _, m := range envRef.FindAllStringSubmatch(string(b), -1) {
		name, op, arg := m[1], m[2], m[3]
		used[name] = true
		switch op {
		case ":?":
			if !required[name] {
				t.Errorf("compose requires ${%s}, which .env.example does not list as a required %s=", name, name)
			}
		case ":-":
			def, ok := optional[name]
			if !ok {
				t.Errorf("compose reads ${%s:-%s}, which .env.example does not document as #%s=", name, arg, name)
			} else if def != arg {
				t.Errorf("${%s} defaults to %q in compose, %q in .env.example", name, arg, def)
			}
		default:
			t.Errorf("${%s} has neither a default (:-) nor a required message (:?)", name)
		}
	}
	for name := range required {
		if !used[name] {
			t.Errorf(".env.example lists %s, which compose does not use", name)
		}
	}
	for name := range optional {
		if !used[name] {
			t.Errorf(".env.example documents %s, which compose does not use", name)
		}
	}
}

// natsString reports whether nats-server reads v, as the value of an
// environment variable, as a string (it parses such values as
// configuration: "1234" is a number, "yes" a boolean).
func natsString(v string) bool {
	m, err := conf.Parse("x = " + v)
	if err != nil {
		return false
	}
	_, ok := m["x"].(string)
	return ok && m["x"] == v
}

func TestGenEnvMakesUsableSecrets(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run gen-env.sh")
	}
	dir := t.TempDir()
	for _, f := range []string{"gen-env.sh", ".env.example"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for run := range 2 {
		out, err := exec.Command(sh, filepath.Join(dir, "gen-env.sh")).CombinedOutput()
		if run == 0 && err != nil {
			t.Fatalf("gen-env.sh: %v\n%s", err, out)
		}
		if run == 1 && err == nil {
			t.Fatalf("gen-env.sh ran again over an existing .env: %s", out)
		}
	}
	info, err := os.Stat(filepath.Join(dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf(".env has mode %v, want it private", perm)
	}
	b, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil {
		t.Fatal(err)
	}
	required, _ := envExample(t, ".")
	seen := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			seen[k] = v
		}
	}
	values := map[string]bool{}
	for name := range required {
		v := seen[name]
		if len(v) < 24 || !natsString(v) {
			t.Errorf("%s=%q: want 24 or more characters that nats-server reads as a string", name, v)
		}
		if values[v] {
			t.Errorf("%s repeats another secret", name)
		}
		values[v] = true
	}
}

func TestNATSReadsPasswordsAsStrings(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"pA3x9Qm2", true},
		{deploytest.Password("phone"), true},
		{"1234", false},
		{"yes", false},
		{"10k", false},
	}
	for _, tt := range tests {
		if got := natsString(tt.value); got != tt.want {
			t.Errorf("natsString(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

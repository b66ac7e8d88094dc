package test

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

const (
	chartDir  = "../exhaust"
	repoRoot  = "../../.."
	release   = "demo"
	namespace = "exhaust"
)

// exhaustBin is the exhaust binary, built from the repository by TestMain,
// to check that every container's command line is one it accepts.
var exhaustBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "exhaust-helm-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exhaustBin = filepath.Join(dir, "exhaust")
	// Built as the Dockerfile builds it, so the test also shows that build
	// gives a static binary (TestImageBinaryIsStatic).
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version=helm-test", "-o", exhaustBin, "./cmd/exhaust")
	build.Dir = repoRoot
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build exhaust: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestImageBinaryIsStatic checks that the Dockerfile's build gives a binary
// that runs on distroless/static: no dynamic loader, no shared libraries.
func TestImageBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(exhaustBin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("exhaust is dynamically linked (program header %v)", p.Type)
		}
	}
	out, err := exec.Command(exhaustBin, "version").Output()
	// The first line is the version; the commit and Go lines follow.
	if first, _, _ := strings.Cut(string(out), "\n"); err != nil || first != "exhaust helm-test" {
		t.Fatalf("exhaust version: %q, %v", out, err)
	}
}

// rendered is the chart rendered: every object (hooks included) and the
// release notes.
type rendered struct {
	objects []*unstructured.Unstructured
	notes   string
}

// render renders the chart as `helm template` would, with vals over the
// chart's values.yaml. The NATS dependency is not vendored (no network in
// tests), so only the chart's own objects come out.
func render(t *testing.T, vals map[string]any) (*rendered, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	inst := action.NewInstall(&action.Configuration{Log: t.Logf})
	inst.ClientOnly, inst.DryRun, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = release, namespace
	rel, err := inst.Run(chrt, vals)
	if err != nil {
		return nil, err
	}
	manifests := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		manifests = append(manifests, h.Manifest)
	}
	r := &rendered{notes: rel.Info.Notes}
	for _, m := range manifests {
		docs := releaseutil.SplitManifests(m)
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Sort(releaseutil.BySplitManifestsOrder(keys))
		for _, k := range keys {
			var obj map[string]any
			if err := yaml.Unmarshal([]byte(docs[k]), &obj); err != nil {
				t.Fatalf("rendered YAML does not parse: %v\n%s", err, docs[k])
			}
			if obj == nil {
				continue
			}
			r.objects = append(r.objects, &unstructured.Unstructured{Object: obj})
		}
	}
	return r, nil
}

func mustRender(t *testing.T, vals map[string]any) *rendered {
	t.Helper()
	r, err := render(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return r
}

// externalNATS are values for the chart without its NATS dependency.
func externalNATS() map[string]any {
	return map[string]any{"nats": map[string]any{"enabled": false}, "natsURL": "nats://nats.example.svc:4222"}
}

func (r *rendered) byKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// typed converts o to its Kubernetes Go type, refusing unknown fields: a
// misspelt or misplaced field fails here, as the API server would refuse it.
func typed[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, &v, true); err != nil {
		t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
	return &v
}

// chartValues reads the chart's values.yaml.
func chartValues(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// users are the NATS users the chart's Secret must hold.
func users(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, p := range chartValues(t)["producers"].(map[string]any)["names"].([]any) {
		out = append(out, p.(string))
	}
	return append([]string{"admin", "aggregator", "truth"}, out...)
}

func TestEveryObjectIsAValidKubernetesObject(t *testing.T) {
	cases := map[string]map[string]any{
		"defaults (bundled NATS)": nil,
		"external NATS":           externalNATS(),
		"everything off": {
			"nats": map[string]any{"enabled": false}, "natsURL": "nats://n:4222",
			"serviceMonitor": map[string]any{"enabled": false}, "dashboards": map[string]any{"enabled": false},
			"datasource": map[string]any{"enabled": false}, "truth": map[string]any{"enabled": false},
			"setup": map[string]any{"enabled": false}, "natsSecret": map[string]any{"create": false},
		},
		"network policies": {"networkPolicy": map[string]any{"enabled": true}},
	}
	for name, vals := range cases {
		t.Run(name, func(t *testing.T) {
			r := mustRender(t, vals)
			if len(r.objects) == 0 {
				t.Fatal("nothing rendered")
			}
			seen := map[string]bool{}
			for _, o := range r.objects {
				id := o.GetKind() + "/" + o.GetName()
				switch {
				case o.GetAPIVersion() == "" || o.GetKind() == "":
					t.Errorf("object without apiVersion or kind: %v", o.Object)
				case len(validation.IsDNS1123Subdomain(o.GetName())) > 0:
					t.Errorf("%s: name is not a DNS subdomain: %v", id, validation.IsDNS1123Subdomain(o.GetName()))
				case seen[id]:
					t.Errorf("%s rendered twice", id)
				}
				seen[id] = true
				if o.GetKind() == "Service" && len(validation.IsDNS1123Label(o.GetName())) > 0 {
					t.Errorf("%s: a Service name must be a DNS label", id)
				}
				if ns := o.GetNamespace(); ns != "" && ns != namespace {
					t.Errorf("%s: hard-coded namespace %q", id, ns)
				}
				if o.GetLabels()["app.kubernetes.io/instance"] != release {
					t.Errorf("%s: no app.kubernetes.io/instance label", id)
				}
				gvk := o.GroupVersionKind()
				if obj, err := scheme.Scheme.New(gvk); err == nil {
					if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, obj, true); err != nil {
						t.Errorf("%s does not convert to %s: %v", id, gvk, err)
					}
				} else if gvk.Group != "monitoring.coreos.com" {
					t.Errorf("%s: unknown kind %s", id, gvk)
				}
			}
		})
	}
}

func TestExternalNATSNeedsAURL(t *testing.T) {
	_, err := render(t, map[string]any{"nats": map[string]any{"enabled": false}})
	if err == nil || !strings.Contains(err.Error(), "natsURL is required") {
		t.Fatalf("render error %v, want natsURL is required", err)
	}
}

func TestWorkloads(t *testing.T) {
	tests := []struct {
		name    string
		vals    map[string]any
		natsURL string
	}{
		{"bundled NATS", nil, "nats://demo-nats:4222"},
		{"external NATS", externalNATS(), "nats://nats.example.svc:4222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, tt.vals)
			secret := renderedSecret(t, r)

			wantDeployments := []string{"demo-exhaust-aggregate", "demo-exhaust-produce-truth"}
			for _, u := range users(t)[3:] {
				wantDeployments = append(wantDeployments, "demo-exhaust-produce-"+u)
			}
			var gotDeployments []string
			for _, o := range r.byKind("Deployment") {
				gotDeployments = append(gotDeployments, o.GetName())
				d := typed[appsv1.Deployment](t, o)
				checkPod(t, o.GetName(), d.Spec.Template.Spec, secret, tt.natsURL, true)
				if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
					t.Errorf("%s: want one replica, recreated (never two publishers or consumers at once)", o.GetName())
				}
				sel, err := metaSelector(d.Spec.Selector.MatchLabels)
				if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
					t.Errorf("%s: selector %v does not match its pods %v", o.GetName(), d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
				}
			}
			sort.Strings(gotDeployments)
			sort.Strings(wantDeployments)
			if !slices.Equal(gotDeployments, wantDeployments) {
				t.Errorf("deployments %v, want %v", gotDeployments, wantDeployments)
			}

			jobs := r.byKind("Job")
			if len(jobs) != 1 {
				t.Fatalf("%d jobs, want the setup job", len(jobs))
			}
			j := typed[batchv1.Job](t, jobs[0])
			if hook := jobs[0].GetAnnotations()["helm.sh/hook"]; hook != "post-install,post-upgrade" {
				t.Errorf("setup job hook %q, want post-install,post-upgrade", hook)
			}
			checkPod(t, jobs[0].GetName(), j.Spec.Template.Spec, secret, tt.natsURL, false)
			if args := j.Spec.Template.Spec.Containers[0].Args; !slices.Contains(args, "--replicas") || args[slices.Index(args, "--replicas")+1] != "3" {
				t.Errorf("setup args %v, want --replicas 3 for the three-node cluster", args)
			}
		})
	}
}

// renderedSecret returns the data of the generated NATS Secret, decoded.
func renderedSecret(t *testing.T, r *rendered) map[string]string {
	t.Helper()
	secrets := r.byKind("Secret")
	if len(secrets) != 1 {
		t.Fatalf("%d secrets, want the NATS passwords", len(secrets))
	}
	s := typed[corev1.Secret](t, secrets[0])
	if s.Name != "exhaust-nats-users" {
		t.Errorf("secret %q, want exhaust-nats-users (the name the NATS chart's env reads)", s.Name)
	}
	out := map[string]string{}
	var keys []string
	password := regexp.MustCompile(`^p[A-Za-z0-9]{31}$`)
	for k, v := range s.Data {
		out[k] = string(v)
		keys = append(keys, k)
		if !password.Match(v) {
			t.Errorf("password of %s %q: want a letter then 31 letters or digits", k, v)
		}
	}
	sort.Strings(keys)
	want := users(t)
	sort.Strings(want)
	if !slices.Equal(keys, want) {
		t.Errorf("secret keys %v, want %v", keys, want)
	}
	return out
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

// checkPod checks a pod template: security, resources, probes, the NATS
// credentials and that exhaust accepts the command line.
func checkPod(t *testing.T, name string, pod corev1.PodSpec, secret map[string]string, natsURL string, probes bool) {
	t.Helper()
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("%s: pod must run as a non-root user", name)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: want the RuntimeDefault seccomp profile", name)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: the service account token is mounted; exhaust never talks to the API server", name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", name, len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Errorf("%s: no container securityContext", name)
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Errorf("%s: privilege escalation allowed", name)
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Errorf("%s: root file system writable", name)
	case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
		t.Errorf("%s: capabilities not dropped", name)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("%s: no %s request", name, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("%s: no %s limit", name, res)
		}
	}
	if probes {
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
		for kind, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			switch {
			case p == nil || p.HTTPGet == nil:
				t.Errorf("%s: no HTTP %s probe", name, kind)
			case !ports[p.HTTPGet.Port.String()]:
				t.Errorf("%s: %s probe on port %q, which the container does not declare", name, kind, p.HTTPGet.Port.String())
			}
		}
		if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: readiness probe on %s, want /readyz", name, c.ReadinessProbe.HTTPGet.Path)
		}
	}

	// The NATS credentials come from the Secret, for an existing key.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	user := env["EXHAUST_NATS_USER"].Value
	pw := env["EXHAUST_NATS_PASSWORD"].ValueFrom
	if user == "" || pw == nil || pw.SecretKeyRef == nil {
		t.Errorf("%s: want EXHAUST_NATS_USER and EXHAUST_NATS_PASSWORD from a Secret", name)
	} else if pw.SecretKeyRef.Name != "exhaust-nats-users" || pw.SecretKeyRef.Key != user || secret[user] == "" {
		t.Errorf("%s: password from %s/%s, want exhaust-nats-users/%s", name, pw.SecretKeyRef.Name, pw.SecretKeyRef.Key, user)
	}
	if i := slices.Index(c.Args, "--nats"); i < 0 || c.Args[i+1] != natsURL {
		t.Errorf("%s: args %v, want --nats %s", name, c.Args, natsURL)
	}
	checkCommand(t, name, c)
}

// checkCommand runs the container's command line with --help: exhaust
// rejects an unknown subcommand or flag, or a bad value, before it gets to
// the help. Every EXHAUST_* variable must be a flag of that subcommand.
func checkCommand(t *testing.T, name string, c corev1.Container) {
	t.Helper()
	cmd := exec.Command(exhaustBin, append(slices.Clone(c.Args), "--help")...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for _, e := range c.Env {
		if e.Value != "" {
			cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s: exhaust %s: %v\n%s", name, strings.Join(c.Args, " "), err, out)
		return
	}
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, "EXHAUST_") && !strings.Contains(string(out), "[$"+e.Name+"]") {
			t.Errorf("%s: %s is not a flag of exhaust %s", name, e.Name, c.Args[0])
		}
	}
}

func TestAggregatorIsScraped(t *testing.T) {
	r := mustRender(t, nil)
	var svc *corev1.Service
	for _, o := range r.byKind("Service") {
		if o.GetName() == "demo-exhaust-aggregate" {
			svc = typed[corev1.Service](t, o)
		}
	}
	if svc == nil {
		t.Fatal("no aggregate Service")
	}
	var pods map[string]string
	for _, o := range r.byKind("Deployment") {
		d := typed[appsv1.Deployment](t, o)
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			if pods != nil {
				t.Fatalf("the aggregate Service selects the pods of more than one Deployment")
			}
			pods = d.Spec.Template.Labels
			if d.Name != "demo-exhaust-aggregate" {
				t.Errorf("the aggregate Service selects %s", d.Name)
			}
		}
	}
	if pods == nil {
		t.Fatal("the aggregate Service selects no Deployment's pods")
	}

	monitors := r.byKind("ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(monitors))
	}
	sm := monitors[0]
	if sm.GetAPIVersion() != "monitoring.coreos.com/v1" {
		t.Errorf("ServiceMonitor apiVersion %s", sm.GetAPIVersion())
	}
	match, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if len(match) == 0 || !labels.SelectorFromSet(match).Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor selector %v does not match the Service's labels %v", match, svc.Labels)
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if len(endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %v", endpoints)
	}
	ep := endpoints[0].(map[string]any)
	if ep["path"] != "/metrics" || ep["port"] != svc.Spec.Ports[0].Name {
		t.Errorf("ServiceMonitor scrapes port %v path %v; the Service's port is %q", ep["port"], ep["path"], svc.Spec.Ports[0].Name)
	}
}

// TestAggregatorReplicas renders the chart with aggregator.replicas=3: one
// Deployment of three pods, each a worker of the group (aggregate with no
// slot flag), behind the one Service that the ServiceMonitor scrapes pod by
// pod; the publishers stay at one pod each.
func TestAggregatorReplicas(t *testing.T) {
	r := mustRender(t, map[string]any{"aggregator": map[string]any{"replicas": 3}})
	secret := renderedSecret(t, r)
	var agg *appsv1.Deployment
	for _, o := range r.byKind("Deployment") {
		d := typed[appsv1.Deployment](t, o)
		want := int32(1)
		if d.Name == "demo-exhaust-aggregate" {
			agg, want = d, 3
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != want {
			t.Errorf("%s: replicas %v, want %d", d.Name, d.Spec.Replicas, want)
		}
	}
	if agg == nil {
		t.Fatal("no aggregate Deployment")
	}
	if agg.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("aggregate strategy %s, want Recreate: a rollout stops the old workers before the new ones claim their slots", agg.Spec.Strategy.Type)
	}
	checkPod(t, agg.Name, agg.Spec.Template.Spec, secret, "nats://demo-nats:4222", true)
	args := agg.Spec.Template.Spec.Containers[0].Args
	if want := []string{"aggregate", "--nats", "nats://demo-nats:4222", "--http", ":9090"}; !slices.Equal(args, want) {
		t.Errorf("aggregate args %v, want %v: no other flag, so that every pod joins the worker group", args, want)
	}
	svc, sm := aggregateService(t, r), serviceMonitor(t, r)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(agg.Spec.Template.Labels)) {
		t.Errorf("the aggregate Service selector %v does not select the aggregator pods %v", svc.Spec.Selector, agg.Spec.Template.Labels)
	}
	match, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if !labels.SelectorFromSet(match).Matches(labels.Set(svc.Labels)) {
		t.Errorf("ServiceMonitor selector %v does not match the aggregate Service %v", match, svc.Labels)
	}
	if !strings.Contains(r.notes, "3 pods") {
		t.Errorf("NOTES do not say there are 3 aggregator pods:\n%s", r.notes)
	}
}

// TestOldAggregateValuesAreRefused checks that the values block renamed
// aggregator is refused in one line that names the new key, rather than
// silently ignored.
func TestOldAggregateValuesAreRefused(t *testing.T) {
	_, err := render(t, map[string]any{"aggregate": map[string]any{"extraArgs": []any{"--person-cap", "50"}}})
	if err == nil {
		t.Fatal("the chart renders with the old key aggregate")
	}
	if msg := err.Error(); !strings.Contains(msg, "aggregate was renamed aggregator") || strings.Contains(strings.TrimSpace(msg), "\n") {
		t.Errorf("error %q: want one line saying aggregate was renamed aggregator", msg)
	}
}

// aggregateService returns the aggregators' Service.
func aggregateService(t *testing.T, r *rendered) *corev1.Service {
	t.Helper()
	for _, o := range r.byKind("Service") {
		if o.GetName() == "demo-exhaust-aggregate" {
			return typed[corev1.Service](t, o)
		}
	}
	t.Fatal("no aggregate Service")
	return nil
}

// serviceMonitor returns the one ServiceMonitor.
func serviceMonitor(t *testing.T, r *rendered) *unstructured.Unstructured {
	t.Helper()
	monitors := r.byKind("ServiceMonitor")
	if len(monitors) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(monitors))
	}
	return monitors[0]
}

func TestDashboardsForGrafanasSidecar(t *testing.T) {
	r := mustRender(t, nil)
	files, err := filepath.Glob(filepath.Join(chartDir, "dashboards", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dashboards, datasources int
	for _, o := range r.byKind("ConfigMap") {
		cm := typed[corev1.ConfigMap](t, o)
		switch {
		case cm.Labels["grafana_dashboard"] == "1":
			dashboards++
			if len(cm.Data) != 1 {
				t.Errorf("%s holds %d files, want one dashboard", cm.Name, len(cm.Data))
			}
			for file, content := range cm.Data {
				want, err := os.ReadFile(filepath.Join(chartDir, "dashboards", file))
				if err != nil {
					t.Errorf("%s: %v", cm.Name, err)
				} else if content != strings.TrimRight(string(want), "\n") {
					t.Errorf("%s: %s differs from the chart's file", cm.Name, file)
				}
				if !json.Valid([]byte(content)) {
					t.Errorf("%s: %s is not JSON", cm.Name, file)
				}
			}
		case cm.Labels["grafana_datasource"] == "1":
			datasources++
			var ds struct {
				Datasources []struct{ UID, Type, URL string }
			}
			if err := yaml.Unmarshal([]byte(cm.Data["exhaust-datasource.yaml"]), &ds); err != nil {
				t.Fatal(err)
			}
			if len(ds.Datasources) != 1 || ds.Datasources[0].UID != "exhaust-prometheus" || ds.Datasources[0].Type != "prometheus" {
				t.Errorf("datasource %+v, want uid exhaust-prometheus", ds.Datasources)
			}
		}
	}
	if dashboards != len(files) {
		t.Errorf("%d dashboard ConfigMaps for %d files in the chart's dashboards/", dashboards, len(files))
	}
	if datasources != 1 {
		t.Errorf("%d datasource ConfigMaps, want 1", datasources)
	}
}

// TestSecretsAreNotValues checks that no password is a value: the chart's
// values.yaml holds none, and NATS reads every password from the Secret the
// clients read.
func TestSecretsAreNotValues(t *testing.T) {
	v := chartValues(t)
	nats := v["nats"].(map[string]any)
	env := nats["container"].(map[string]any)["env"].(map[string]any)
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(nats["config"]); err != nil {
		t.Fatal(err)
	}
	b := []byte(buf.String())
	refs := regexp.MustCompile(`<< \$(NATS_[A-Z]+_PASSWORD) >>`).FindAllStringSubmatch(string(b), -1)
	if len(refs) != len(users(t)) {
		t.Errorf("NATS config reads %d password variables, want %d", len(refs), len(users(t)))
	}
	for _, m := range refs {
		e, ok := env[m[1]].(map[string]any)
		if !ok {
			t.Errorf("NATS reads $%s, which nats.container.env does not set", m[1])
			continue
		}
		ref := e["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
		user := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(m[1], "NATS_"), "_PASSWORD"))
		if ref["name"] != v["natsSecret"].(map[string]any)["name"] || ref["key"] != user {
			t.Errorf("$%s from %v, want the natsSecret's key %s", m[1], ref, user)
		}
	}
	if regexp.MustCompile(`(?i)password:\s*[^<\s]`).Match(b) {
		t.Error("a literal password in the NATS values")
	}
	r := mustRender(t, nil)
	s := renderedSecret(t, r)
	again := renderedSecret(t, mustRender(t, nil))
	for u := range s {
		if s[u] == again[u] {
			t.Errorf("%s's generated password is the same in two renders: not random", u)
		}
	}
}

func TestNotes(t *testing.T) {
	r := mustRender(t, nil)
	for _, want := range []string{"port-forward svc/demo-exhaust-aggregate 9090", "exhaust-nats-users", "nats://demo-nats:4222"} {
		if !strings.Contains(r.notes, want) {
			t.Errorf("NOTES do not mention %q:\n%s", want, r.notes)
		}
	}
}

func TestLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{"defaults": nil, "external NATS": externalNATS()} {
		t.Run(name, func(t *testing.T) {
			kube := chartutil.DefaultCapabilities.KubeVersion
			linter := lint.AllWithKubeVersion(chartDir, vals, namespace, &kube)
			for _, m := range linter.Messages {
				// The NATS chart is fetched by helm dependency update, which
				// needs the network this test does not have.
				if strings.Contains(m.Err.Error(), "missing in charts/ directory") || strings.Contains(m.Err.Error(), "is missing these dependencies") {
					continue
				}
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				}
			}
		})
	}
}

package deploy_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/conf"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"exhaust/deploy/deploytest"
	"exhaust/natsbus"
)

// clusterNodes are the NATS services of the profile "cluster": nats is
// node 1 when the other two run.
var clusterNodes = []string{"nats", "nats-2", "nats-3"}

// clusterServerList is the --nats of the profile's exhaust services: every
// node's client port.
const clusterServerList = "nats://nats:4222,nats://nats-2:4222,nats://nats-3:4222"

// aggregators returns the services that run exhaust aggregate with profile
// (all that run without a profile, and those of profile), sorted.
func aggregators(c composeFile, profile string) []string {
	var out []string
	for name, s := range c.Services {
		if len(s.Command) > 0 && s.Command[0] == "aggregate" && (s.inProfile("") || s.inProfile(profile)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestComposeClusterProfile checks the profile "cluster" of compose.yaml
// as written: three NATS nodes on cluster.conf, each with its own volume
// and name; nats, node 1, turns to cluster.conf only when nats-2 resolves;
// the setup of the profile gives every stream a replica on each node; and
// three aggregators, each a worker of the group, published on ports of
// their own.
func TestComposeClusterProfile(t *testing.T) {
	c := loadCompose(t, ".")

	nats := c.Services["nats"]
	cmd := strings.Join(nats.Command, " ")
	if !strings.Contains(cmd, "if getent hosts nats-2 >/dev/null; then exec nats-server --config /etc/nats/cluster.conf;") {
		t.Errorf("nats runs %q: want cluster.conf when nats-2 resolves", cmd)
	}
	if got, want := fmt.Sprint(nats.dependsOn(t)), fmt.Sprint(map[string]string{
		"nats-2": "service_started (optional)", "nats-3": "service_started (optional)",
	}); got != want {
		t.Errorf("nats depends on %s, want %s: started after the other nodes when the profile runs them, so that their names resolve", got, want)
	}
	volumes := map[string]bool{}
	for _, node := range clusterNodes {
		s := c.Services[node]
		if node != "nats" {
			if cfg, _ := s.flag("config"); cfg != "/etc/nats/cluster.conf" {
				t.Errorf("%s --config %q, want /etc/nats/cluster.conf", node, cfg)
			}
			if !s.inProfile(clusterProfile) || len(s.Profiles) != 1 {
				t.Errorf("%s runs with the profiles %v, want [%s]", node, s.Profiles, clusterProfile)
			}
		}
		if got := s.mount("/etc/nats"); got != "./nats" {
			t.Errorf("%s mounts /etc/nats from %q, want ./nats", node, got)
		}
		data := s.mount("/data")
		if _, declared := c.Volumes[data]; !declared || volumes[data] {
			t.Errorf("%s keeps /data on %q: want a named volume of its own", node, data)
		}
		volumes[data] = true
		if s.Environment["NATS_SERVER_NAME"] != node {
			t.Errorf("%s: NATS_SERVER_NAME %q, want its service name", node, s.Environment["NATS_SERVER_NAME"])
		}
		if s.Healthcheck == nil {
			t.Errorf("%s has no health check: setup-cluster waits for it", node)
		}
	}

	// Each node as it loads cluster.conf.
	for _, node := range clusterNodes {
		t.Run(node, func(t *testing.T) {
			opts := loadClusterNode(t, node)
			if opts.ServerName != node {
				t.Errorf("server_name %q, want %q", opts.ServerName, node)
			}
			if opts.Cluster.Name == "" || opts.Cluster.Port != 6222 {
				t.Errorf("cluster %q on port %d, want a named cluster on 6222", opts.Cluster.Name, opts.Cluster.Port)
			}
			var routes []string
			for _, r := range opts.Routes {
				routes = append(routes, r.Host)
				if r.Scheme != "nats-route" || r.Port() != "6222" {
					t.Errorf("route %s: want nats-route://<node>:6222", r)
				}
			}
			for _, other := range clusterNodes {
				if other != node && !slices.Contains(routes, net.JoinHostPort(other, "6222")) {
					t.Errorf("routes %v do not name %s", routes, other)
				}
			}
			if !opts.JetStream || !strings.HasPrefix(opts.StoreDir, "/data/") {
				t.Errorf("JetStream %v storing in %q, want it on, on the node's /data volume", opts.JetStream, opts.StoreDir)
			}
			if opts.StoreDir == "/data/jetstream" {
				t.Error("the cluster stores in /data/jetstream, the single server's store on the nats volume")
			}
			if opts.Port != 4222 || opts.HTTPPort != 8222 {
				t.Errorf("clients on %d, monitoring on %d; want 4222 (the server list) and 8222 (the health check, the exporter)", opts.Port, opts.HTTPPort)
			}
		})
	}
	// The same accounts, users and permissions as the single server.
	single, cluster := parseConf(t, "nats.conf"), parseConf(t, "cluster.conf")
	if !reflect.DeepEqual(single["accounts"], cluster["accounts"]) || single["accounts"] == nil {
		t.Error("cluster.conf's accounts differ from nats.conf's")
	}

	// The profile's exhaust services know every node; setup gives three
	// replicas, one per node.
	var list []string
	for _, node := range clusterNodes {
		list = append(list, "nats://"+node+":4222")
	}
	if got := strings.Join(list, ","); got != clusterServerList {
		t.Errorf("the nodes' client URLs are %s, the services use %s", got, clusterServerList)
	}
	setup := c.Services["setup-cluster"]
	if replicas, _ := setup.flag("replicas"); replicas != fmt.Sprint(len(clusterNodes)) {
		t.Errorf("setup-cluster --replicas %q, want %d, one per node", replicas, len(clusterNodes))
	}
	if setup.Restart != "no" {
		t.Errorf("setup-cluster restart %q, want no: it runs once", setup.Restart)
	}

	// Three aggregators, each a worker of the group: aggregate --nats
	// <list> --http :9090 and no other flag, on host ports of their own.
	aggs := aggregators(c, clusterProfile)
	if fmt.Sprint(aggs) != "[aggregate aggregate-2 aggregate-3]" {
		t.Fatalf("aggregators with the profile %v, want aggregate, aggregate-2, aggregate-3", aggs)
	}
	hostPorts := map[string]string{}
	for _, name := range aggs {
		s := c.Services[name]
		nats, _ := s.flag("nats")
		if want := []string{"aggregate", "--nats", nats, "--http", ":9090"}; !slices.Equal(s.Command, want) {
			t.Errorf("%s runs %v, want %v: no other flag, so that it joins the worker group", name, s.Command, want)
		}
		if len(s.Ports) != 1 {
			t.Errorf("%s publishes %v, want one port", name, s.Ports)
			continue
		}
		hostPort := publishedPort(s.Ports[0])
		if other, dup := hostPorts[hostPort]; dup {
			t.Errorf("%s and %s both publish host port %s", name, other, hostPort)
		}
		hostPorts[hostPort] = name
	}
	if prom := c.Services["prometheus"]; len(prom.Ports) != 1 || hostPorts[publishedPort(prom.Ports[0])] != "" {
		t.Errorf("Prometheus publishes %v, on an aggregator's host port", prom.Ports)
	}
}

// publishedPort returns the host port of a compose port mapping
// "[address:]host:container", the address maybe ${EXHAUST_BIND:-…}.
func publishedPort(mapping string) string {
	parts := strings.Split(mapping, ":")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

// loadClusterNode loads cluster.conf with nats-server's own parser, as
// the node of compose service node does.
func loadClusterNode(t *testing.T, node string) *server.Options {
	t.Helper()
	for _, u := range deploytest.Users {
		t.Setenv(u.PasswordEnv, deploytest.Password(u.Name))
	}
	t.Setenv("NATS_SERVER_NAME", node)
	opts, err := server.ProcessConfigFile(deploytest.ClusterConfigPath())
	if err != nil {
		t.Fatalf("nats-server cannot load cluster.conf: %v", err)
	}
	return opts
}

// parseConf parses one of deploy/nats/*.conf, includes resolved, as JSON
// values (passwords as the variables' test values).
func parseConf(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, u := range deploytest.Users {
		t.Setenv(u.PasswordEnv, deploytest.Password(u.Name))
	}
	t.Setenv("NATS_SERVER_NAME", "nats")
	m, err := conf.ParseFile(filepath.Join("nats", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClusterConfigRunsAThreeNodeCluster runs three nats-servers from
// cluster.conf, as the profile "cluster" does (on loopback ports): as
// exhaust setup --replicas 3 does, the admin gives every stream and bucket
// a replica on each node; producers publish through one node, and
// aggregators on the others join the worker group and consume.
func TestClusterConfigRunsAThreeNodeCluster(t *testing.T) {
	urls := deploytest.StartCluster(t, deploytest.ClusterConfigPath(), deploytest.Users, clusterNodes)
	ctx := testCtx(t)

	admin := connectAs(t, strings.Join(urls, ","), "admin")
	names, err := natsbus.EnsureAll(ctx, admin.js, natsbus.DefaultStreamConfig(), len(clusterNodes))
	if err != nil {
		t.Fatalf("setup --replicas %d: %v", len(clusterNodes), err)
	}
	for _, name := range names {
		stream := name
		switch name {
		case natsbus.SnapshotBucket:
			stream = "OBJ_" + name
		case natsbus.WorkerBucket:
			stream = natsbus.WorkerStream
		}
		s, err := admin.js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.Replicas != len(clusterNodes) || info.Cluster == nil || len(info.Cluster.Replicas) != len(clusterNodes)-1 {
			t.Errorf("%s: %d replicas configured, cluster %+v; want one on each of the %d nodes", stream, info.Config.Replicas, info.Cluster, len(clusterNodes))
		}
	}

	phone := connectAs(t, urls[0], "phone")
	for i := range 3 {
		if _, err := phone.js.Publish(ctx, "exhaust.phone.cell", []byte(`{}`), jetstream.WithMsgID(fmt.Sprint("cluster-", i))); err != nil {
			t.Fatalf("publish %d through %s: %v", i, clusterNodes[0], err)
		}
	}
	for i, u := range urls[1:] {
		agg := connectAs(t, u, "aggregator")
		w, err := natsbus.JoinWorkers(ctx, agg.js, natsbus.WorkerInfo{Host: clusterNodes[i+1]}, nil)
		if err != nil {
			t.Fatalf("an aggregator on %s joins the workers: %v", clusterNodes[i+1], err)
		}
		durable := natsbus.DefaultConsumer
		if w.Slot() > 0 {
			durable = fmt.Sprint(durable, "-", w.Slot())
		}
		cons, err := natsbus.OpenConsumer(ctx, agg.js, natsbus.ConsumerConfig{Durable: durable}, 0)
		if err != nil {
			t.Fatalf("slot %d opens %s: %v", w.Slot(), durable, err)
		}
		if n, err := cons.Pending(ctx); err != nil || n != 3 {
			t.Errorf("slot %d: %d pending, %v; want the 3 events", w.Slot(), n, err)
		}
	}
}

// TestPrometheusConfigIsValid runs Prometheus's own checker on
// prometheus.yml, when promtool is installed (with Debian's prometheus).
func TestPrometheusConfigIsValid(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("no promtool")
	}
	if out, err := exec.Command(promtool, "check", "config", "--syntax-only", filepath.Join("prometheus", "prometheus.yml")).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}

// Package deploytest starts a real, in-process nats-server configured with
// the deploy stack's deploy/nats/nats.conf (or a three-node cluster with
// deploy/nats/cluster.conf), so tests can check the users and permissions
// that compose and Kubernetes run with.
package deploytest

import (
	"net"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"exhaust/deploy/internal/fromregistry"
	"exhaust/producers"
	_ "exhaust/producers/all" // registers every producer
)

// Users are the NATS users of deploy/nats/nats.conf, each with the
// environment variable that holds its password: admin, aggregator, truth,
// and one per registered producer (the file's producer accounts are
// generated from the registry: go generate ./deploy).
var Users = UsersFor(producers.Names())

// UsersFor returns the NATS users of a configuration with these producers.
func UsersFor(names []string) []User {
	users := []User{NewUser("admin"), NewUser("aggregator"), NewUser("truth")}
	for _, p := range names {
		users = append(users, NewUser(fromregistry.User(p)))
	}
	return users
}

// NewUser returns the user name with its password variable,
// NATS_<NAME>_PASSWORD.
func NewUser(name string) User { return User{name, fromregistry.PasswordEnv(name)} }

// User is a NATS user of the deploy configuration.
type User struct {
	// Name is the user name.
	Name string
	// PasswordEnv is the environment variable the server reads its
	// password from.
	PasswordEnv string
}

// Password returns the password StartNATS gives the user: a fixed, made-up
// value, shaped like the ones deploy/gen-env.sh generates.
func Password(user string) string { return "t3st" + strings.ToUpper(user[:1]) + user[1:] + "Pw" }

// ConfigPath returns the path of deploy/nats/nats.conf.
func ConfigPath() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("deploytest: cannot locate its own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "nats", "nats.conf")
}

// StartNATS starts nats-server with deploy/nats/nats.conf, every password
// set (see Password), on a free loopback port, with JetStream storing into
// tb.TempDir() and monitoring off. It returns the server's URL, without
// credentials, and shuts the server down when the test ends. It sets
// environment variables, so its test cannot be parallel.
func StartNATS(tb testing.TB) string {
	tb.Helper()
	return StartNATSWith(tb, ConfigPath(), Users)
}

// StartNATSWith is StartNATS with another configuration file (one
// generated for other producers), whose users are users.
func StartNATSWith(tb testing.TB, path string, users []User) string {
	tb.Helper()
	for _, u := range users {
		tb.Setenv(u.PasswordEnv, Password(u.Name))
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		tb.Fatalf("load %s: %v", path, err)
	}
	// What the container fixes (addresses, paths) is replaced by what a
	// test can use; accounts, users and permissions stay as configured.
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	opts.HTTPHost, opts.HTTPPort = "", 0
	opts.StoreDir = tb.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("configure nats-server from %s: %v", path, err)
	}
	ns.Start()
	tb.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(10 * time.Second) {
		tb.Fatal("nats-server did not become ready")
	}
	return ns.ClientURL()
}

// ClusterConfigPath returns the path of deploy/nats/cluster.conf, the
// configuration of every node of the compose profile "cluster".
func ClusterConfigPath() string { return filepath.Join(filepath.Dir(ConfigPath()), "cluster.conf") }

// StartCluster starts one nats-server per name, each with the
// configuration file path (cluster.conf) loaded with NATS_SERVER_NAME set
// to its name and every password set (see Password), and waits until the
// JetStream meta group has a leader and every node is current. What the
// containers fix is replaced by what a test can use: clients and routes
// listen on free loopback ports, and each route of the file goes to the
// node whose name is the route's host. JetStream stores into
// tb.TempDir(), monitoring is off. It returns the nodes' client URLs, in
// the order of names, and shuts them down when the test ends. It sets
// environment variables, so its test cannot be parallel.
func StartCluster(tb testing.TB, path string, users []User, names []string) []string {
	tb.Helper()
	for _, u := range users {
		tb.Setenv(u.PasswordEnv, Password(u.Name))
	}
	ports, err := freePorts(len(names))
	if err != nil {
		tb.Fatal(err)
	}
	index := map[string]int{}
	for i, n := range names {
		index[n] = i
	}
	var servers []*server.Server
	tb.Cleanup(func() {
		for _, ns := range servers {
			ns.Shutdown()
			ns.WaitForShutdown()
		}
	})
	var urls []string
	for i, name := range names {
		tb.Setenv("NATS_SERVER_NAME", name)
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			tb.Fatalf("load %s for %s: %v", path, name, err)
		}
		opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
		opts.HTTPHost, opts.HTTPPort = "", 0
		opts.StoreDir = tb.TempDir()
		opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", ports[i]
		for _, r := range opts.Routes {
			j, ok := index[r.Hostname()]
			if !ok {
				tb.Fatalf("%s routes to %s, which is none of the nodes %v", path, r.Host, names)
			}
			r.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[j]))
		}
		opts.NoSigs, opts.NoLog = true, true
		ns, err := server.NewServer(opts)
		if err != nil {
			tb.Fatalf("configure nats-server %s from %s: %v", name, path, err)
		}
		ns.Start()
		servers = append(servers, ns)
		if !ns.ReadyForConnections(10 * time.Second) {
			tb.Fatalf("nats-server %s did not become ready", name)
		}
		urls = append(urls, ns.ClientURL())
	}
	deadline := time.Now().Add(30 * time.Second)
	for !jetStreamReady(servers) {
		if time.Now().After(deadline) {
			tb.Fatalf("no JetStream meta leader with every node of %v current after 30s", names)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	return urls
}

// jetStreamReady reports whether a node leads the JetStream meta group,
// sees every node, and every node is current.
func jetStreamReady(servers []*server.Server) bool {
	var leader *server.Server
	for _, ns := range servers {
		if !ns.JetStreamIsCurrent() {
			return false
		}
		if ns.JetStreamIsLeader() {
			leader = ns
		}
	}
	return leader != nil && len(leader.JetStreamClusterPeers()) == len(servers)
}

// freePorts returns n distinct free loopback ports: routes name the
// nodes' cluster ports, so those must be known before any node starts.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

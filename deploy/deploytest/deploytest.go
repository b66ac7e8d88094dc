// Package deploytest starts a real, in-process nats-server configured with
// the deploy stack's deploy/nats/nats.conf, so tests can check the users and
// permissions that compose and Kubernetes run with.
package deploytest

import (
	"path/filepath"
	"runtime"
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

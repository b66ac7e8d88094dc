package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// clusterReadyTimeout bounds how long StartCluster and Restart wait for the
// JetStream meta group to have a leader and every running node to be
// current. A healthy loopback cluster is ready in about a second; a loaded
// CI machine gets plenty of margin.
const clusterReadyTimeout = 30 * time.Second

// clusterName names the route cluster; all nodes must agree on it.
const clusterName = "exhaust-test"

// Cluster is an in-process nats-server cluster for tests: every node has
// JetStream on a directory of its own, listens for clients and routes on
// free loopback ports, and is routed to every other node. A node can be
// shut down mid-test, as a broken machine would be, and restarted on the
// same ports and store.
type Cluster struct {
	tb    testing.TB
	mu    sync.Mutex
	nodes []*clusterNode
}

// clusterNode is one node: its options are kept to restart it as it was.
type clusterNode struct {
	opts *server.Options
	srv  *server.Server // nil while shut down
}

// StartCluster starts a cluster of n nodes (3 for JetStream replication
// R3), waits until the JetStream meta group has elected a leader and every
// node is current, and shuts it all down when the test ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	if n < 1 {
		tb.Fatalf("StartCluster: %d nodes", n)
	}
	// Routes name the nodes' cluster ports, so those must be known before
	// any node starts: free ports are reserved by listening on port 0 and
	// released just before the nodes bind them. Another process could take
	// one in between; a few attempts make that harmless.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var c *Cluster
		if c, err = startCluster(tb, n); err == nil {
			tb.Cleanup(c.shutdownAll)
			c.WaitReady()
			return c
		}
	}
	tb.Fatalf("start a %d-node NATS cluster: %v", n, err)
	return nil
}

func startCluster(tb testing.TB, n int) (*Cluster, error) {
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(p))})
	}
	c := &Cluster{tb: tb}
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   tb.TempDir(),
			Cluster: server.ClusterOpts{
				Name: clusterName,
				Host: "127.0.0.1",
				Port: ports[i],
			},
			// Every node's own route is in the list too: nats-server
			// ignores a route to itself, and the list's length is how a
			// fresh node sizes the JetStream meta group (quorum 2 of 3).
			Routes:                 routes,
			NoSigs:                 true,
			NoLog:                  true,
			DisableJetStreamBanner: true,
		}
		// The server keeps and completes the options it is given: a copy
		// is kept to restart the node as it was.
		node := &clusterNode{opts: opts.Clone()}
		if node.srv, err = startNode(opts); err != nil {
			c.shutdownAll()
			return nil, fmt.Errorf("node %s: %w", opts.ServerName, err)
		}
		// A restart must come back on the same client port, so that the
		// URLs clients were given still reach it.
		node.opts.Port = node.srv.Addr().(*net.TCPAddr).Port
		c.nodes = append(c.nodes, node)
	}
	return c, nil
}

// startNode starts a server with opts and waits until it accepts clients.
func startNode(opts *server.Options) (*server.Server, error) {
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, err
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("not accepting connections within 10s (port taken?)")
	}
	return ns, nil
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserve a port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Len returns the number of nodes, running or not.
func (c *Cluster) Len() int { return len(c.nodes) }

// URL returns node i's client URL, "nats://127.0.0.1:port". It stays the
// same across a restart.
func (c *Cluster) URL(i int) string {
	return "nats://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(c.nodes[i].opts.Port))
}

// URLs returns every node's client URL, comma-separated, as the --nats
// flags and nats.Connect take them.
func (c *Cluster) URLs() string {
	var urls []string
	for i := range c.nodes {
		urls = append(urls, c.URL(i))
	}
	return strings.Join(urls, ",")
}

// Name returns node i's server name ("n1", "n2"…), as stream cluster info
// reports it.
func (c *Cluster) Name(i int) string { return c.nodes[i].opts.ServerName }

// Server returns node i's nats-server, or nil while it is shut down.
func (c *Cluster) Server(i int) *server.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i].srv
}

// Index returns the index of the node named name, or -1.
func (c *Cluster) Index(name string) int {
	for i, n := range c.nodes {
		if n.opts.ServerName == name {
			return i
		}
	}
	return -1
}

// Shutdown stops node i and waits until it is down; its clients see their
// connections drop and fail over to the other nodes. Its store stays, for
// Restart.
func (c *Cluster) Shutdown(i int) {
	c.tb.Helper()
	c.mu.Lock()
	ns := c.nodes[i].srv
	c.nodes[i].srv = nil
	c.mu.Unlock()
	if ns == nil {
		c.tb.Fatalf("node %s is already shut down", c.Name(i))
	}
	ns.Shutdown()
	ns.WaitForShutdown()
}

// Restart starts node i again, on its ports and store, and waits until the
// cluster is ready with it.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	c.mu.Lock()
	running := c.nodes[i].srv != nil
	c.mu.Unlock()
	if running {
		c.tb.Fatalf("node %s is running", c.Name(i))
	}
	// A copy again: the server keeps and completes the one it is given.
	opts := c.nodes[i].opts.Clone()
	ns, err := startNode(opts)
	if err != nil {
		c.tb.Fatalf("restart node %s: %v", c.Name(i), err)
	}
	c.mu.Lock()
	c.nodes[i].srv = ns
	c.mu.Unlock()
	c.WaitReady()
}

// WaitReady waits until a running node is the JetStream meta leader, sees
// every running node online, and every running node is current with the
// meta group.
func (c *Cluster) WaitReady() {
	c.tb.Helper()
	deadline := time.Now().Add(clusterReadyTimeout)
	for !c.ready() {
		if time.Now().After(deadline) {
			c.tb.Fatalf("NATS cluster: no JetStream meta leader with every running node current after %s", clusterReadyTimeout)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not synchronisation
	}
}

func (c *Cluster) ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var leader *server.Server
	running := 0
	for _, n := range c.nodes {
		if n.srv == nil {
			continue
		}
		running++
		if !n.srv.JetStreamIsCurrent() {
			return false
		}
		if n.srv.JetStreamIsLeader() {
			leader = n.srv
		}
	}
	return leader != nil && len(leader.JetStreamClusterPeers()) == running
}

// shutdownAll stops every running node.
func (c *Cluster) shutdownAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.srv != nil {
			n.srv.Shutdown()
			n.srv.WaitForShutdown()
			n.srv = nil
		}
	}
}

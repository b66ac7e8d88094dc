package natsbus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultListen is the address the embedded server listens on when
// ServerConfig.Listen is empty: the standard NATS port, loopback only, so a
// classroom laptop does not expose its bus to the network by accident.
const DefaultListen = "127.0.0.1:4222"

// readyTimeout bounds how long StartServer waits for the server to accept
// connections; a healthy server is ready in milliseconds.
const readyTimeout = 10 * time.Second

// ServerConfig configures an embedded NATS server.
type ServerConfig struct {
	// Listen is the host:port clients connect to. Port 0 picks a free port.
	// Empty means DefaultListen.
	Listen string
	// DataDir is where JetStream keeps its files. Empty means a temporary
	// directory that Shutdown removes.
	DataDir string
	// Logger receives the server's warnings and errors (notices at debug
	// level). Nil means slog.Default().
	Logger *slog.Logger
}

// Server is an embedded nats-server with JetStream enabled.
type Server struct {
	ns      *server.Server
	url     string
	port    int
	dir     string // JetStream store directory
	tempDir string // removed on Shutdown when StartServer created it
	once    sync.Once
}

// StartServer starts an embedded NATS server with JetStream and returns once
// it accepts connections. A listen failure comes back at once as a one-line
// error naming the address.
func StartServer(cfg ServerConfig) (*Server, error) {
	listen := cfg.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("invalid NATS listen address %q: want host:port (check --nats-listen)", listen)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("invalid NATS listen port in %q (check --nats-listen)", listen)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}

	dir, tempDir := cfg.DataDir, ""
	if dir == "" {
		if dir, err = os.MkdirTemp("", "exhaust-nats-"); err != nil {
			return nil, fmt.Errorf("create NATS data directory: %w", err)
		}
		tempDir = dir
	}
	cleanup := func() {
		if tempDir != "" {
			_ = os.RemoveAll(tempDir)
		}
	}

	opts := &server.Options{
		ServerName: "exhaust",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   dir,
		// The embedding program owns signals (SIGINT cancels its context).
		NoSigs: true,
		// Logging goes through slogLogger below, not the server's own.
		NoLog:                  true,
		DisableJetStreamBanner: true,
	}
	if port == 0 {
		// For nats-server, 0 means "the default port"; -1 means "any free port".
		opts.Port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("configure NATS server: %w", err)
	}
	sl := &slogLogger{log: log.With("component", "nats-server"), fatal: make(chan fatalEvent, 1)}
	ns.SetLogger(sl, false, false)

	// Start is synchronous up to the listen call, so a bind failure has been
	// reported through Fatalf by the time it returns.
	ns.Start()
	select {
	case f := <-sl.fatal:
		ns.Shutdown()
		ns.WaitForShutdown()
		cleanup()
		return nil, f.userError(listen)
	default:
	}
	if !ns.ReadyForConnections(readyTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		cleanup()
		return nil, fmt.Errorf("NATS server did not become ready within %s (listen %s)", readyTimeout, listen)
	}
	addr, ok := ns.Addr().(*net.TCPAddr)
	if !ok {
		ns.Shutdown()
		ns.WaitForShutdown()
		cleanup()
		return nil, fmt.Errorf("NATS server on %s has no TCP address", listen)
	}
	urlHost := host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		// Clients cannot dial "any address"; loopback reaches the listener.
		urlHost = "127.0.0.1"
	}
	s := &Server{
		ns:      ns,
		url:     "nats://" + net.JoinHostPort(urlHost, strconv.Itoa(addr.Port)),
		port:    addr.Port,
		dir:     dir,
		tempDir: tempDir,
	}
	sl.started.Store(true)
	log.Debug("NATS server ready", "url", s.url, "store", dir)
	return s, nil
}

// URL returns the URL clients use to reach the server, e.g. "nats://127.0.0.1:4222".
func (s *Server) URL() string { return s.url }

// Port returns the TCP port the server listens on (the chosen one when the
// configuration asked for port 0).
func (s *Server) Port() int { return s.port }

// StoreDir returns the directory JetStream stores its files in.
func (s *Server) StoreDir() string { return s.dir }

// Shutdown stops the server, waits for it to finish and removes its data
// directory if StartServer created it. It is safe to call more than once.
func (s *Server) Shutdown() {
	s.once.Do(func() {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		if s.tempDir != "" {
			_ = os.RemoveAll(s.tempDir)
		}
	})
}

// fatalEvent is a fatal report from the server, kept to build a user-facing
// error.
type fatalEvent struct {
	msg   string
	cause error // first error among the format arguments, if any
}

// userError turns a fatal report into a one-line error that says what to do.
func (f fatalEvent) userError(listen string) error {
	var opErr *net.OpError
	switch {
	case errors.Is(f.cause, syscall.EADDRINUSE):
		return &AddrInUseError{Addr: listen, Err: f.cause}
	case errors.As(f.cause, &opErr) && opErr.Op == "listen":
		return fmt.Errorf("listen on %s: %v (choose another with --nats-listen, or use --nats URL)", listen, opErr.Err)
	default:
		return fmt.Errorf("NATS server failed to start: %s", f.msg)
	}
}

// slogLogger adapts nats-server's Logger to slog. The server is chatty at
// notice level, so notices go to debug and only warnings and errors show by
// default. Fatal reports are also handed to StartServer, which must not let
// the server's own policy (exit) decide for the embedding program.
type slogLogger struct {
	log     *slog.Logger
	fatal   chan fatalEvent
	started atomic.Bool // StartServer has returned; fatal reports are only logged
}

var _ server.Logger = (*slogLogger)(nil)

func (l *slogLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l *slogLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l *slogLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l *slogLogger) Debugf(string, ...any)           {}
func (l *slogLogger) Tracef(string, ...any)           {}

func (l *slogLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if l.started.Load() {
		l.log.Error(msg)
		return
	}
	// StartServer returns it as an error; logging it too would say it twice.
	l.log.Debug(msg)
	ev := fatalEvent{msg: msg}
	for _, a := range v {
		if err, ok := a.(error); ok {
			ev.cause = err
			break
		}
	}
	select {
	case l.fatal <- ev:
	default: // the first fatal report is the one StartServer explains
	}
}

// AddrInUseError is StartServer's error when another program holds the
// listen address. Its message says what to try; errors.Is(err,
// syscall.EADDRINUSE) holds.
type AddrInUseError struct {
	Addr string // the listen address asked for, host:port
	Err  error  // the bind error
}

func (e *AddrInUseError) Error() string {
	host, _, _ := net.SplitHostPort(e.Addr)
	return fmt.Sprintf("--nats-listen %s: address in use: try --nats-listen %s or another port, or --nats URL",
		e.Addr, net.JoinHostPort(host, "0"))
}

// Unwrap returns the bind error.
func (e *AddrInUseError) Unwrap() error { return e.Err }

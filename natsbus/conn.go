package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

const (
	// connectTimeout bounds the first dial, so a wrong --nats fails in
	// seconds instead of hanging a classroom demo.
	connectTimeout = 2 * time.Second
	// reconnectWait is the pause between reconnect attempts: short enough
	// that a restarted server is picked up quickly, long enough not to spin.
	reconnectWait = 250 * time.Millisecond
	// reconnectBufSize is how much the client buffers while disconnected,
	// for requests made meanwhile (a Publisher's connection buffers nothing,
	// see NoReconnectBuffer).
	reconnectBufSize = 16 << 20
)

// Connect dials the NATS server at url, or the first that answers of a
// comma-separated list (a cluster's servers, as nats.Connect takes them),
// and names the connection name. A malformed URL, or no server answering,
// fails at once with a one-line error. Once connected, the connection reconnects forever and logs
// disconnects and reconnects to log (nil means slog.Default()). opts come
// after exhaust's own options, so they can change them (NoReconnectBuffer).
func Connect(ctx context.Context, url, name string, log *slog.Logger, opts ...nats.Option) (*nats.Conn, error) {
	if log == nil {
		log = slog.Default()
	}
	if _, err := SplitURLs(url); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", redact(url), err)
	}
	timeout := connectTimeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	log = log.With("component", "nats", "conn", name)
	nc, err := nats.Connect(url, append([]nats.Option{
		nats.Name(name),
		nats.Timeout(timeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectBufSize(reconnectBufSize),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS, reconnecting", "err", err)
			} else {
				log.Debug("disconnected from NATS")
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("reconnected to NATS", "url", redact(c.ConnectedUrl()))
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			log.Debug("NATS connection closed")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Error("NATS async error", "subject", sub.Subject, "err", err)
				return
			}
			log.Error("NATS async error", "err", err)
		}),
	}, opts...)...)
	if err != nil {
		if errors.Is(err, nats.ErrNoServers) {
			// The client does not say why no server answered; a plain dial
			// does, and the reason is what the user needs.
			if cause := dialCause(url, timeout); cause != nil {
				err = cause
			}
		}
		return nil, connectError(url, err)
	}
	return nc, nil
}

// urlSchemes are the schemes nats.go dials: plain, TLS and WebSocket.
var urlSchemes = []string{"nats", "tls", "ws", "wss"}

// SplitURLs parses a NATS server URL, or a comma-separated list of them, as
// nats.Connect reads it: spaces around each are ignored, empty ones
// skipped, and a bare host:port means nats://host:port. A malformed one
// comes back as a one-line error that quotes it (its password hidden) and
// says where it is in the list, as nats.go's own parse error does neither.
func SplitURLs(urls string) ([]*url.URL, error) {
	var parts []string
	for p := range strings.SplitSeq(urls, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("no NATS server URL in %q: want nats://host:4222, or a comma-separated list (check --nats)", urls)
	}
	out := make([]*url.URL, 0, len(parts))
	for i, p := range parts {
		raw := p
		if !strings.Contains(raw, "://") {
			raw = "nats://" + raw
		}
		u, err := url.Parse(raw)
		problem := ""
		switch {
		case err != nil:
			problem = err.Error()
			var ue *url.Error
			if errors.As(err, &ue) {
				problem = ue.Err.Error() // the url.Error repeats the URL, password included
			}
		case !slices.Contains(urlSchemes, u.Scheme):
			problem = fmt.Sprintf("scheme %q is not one of %s", u.Scheme, strings.Join(urlSchemes, ", "))
		case u.Hostname() == "":
			problem = "no host"
		case u.Path != "" && u.Path != "/" && (u.Scheme == "nats" || u.Scheme == "tls"):
			// nats.go would ignore it and dial the wrong host: nats//b:4222
			// is host "nats" with path "//b:4222".
			problem = fmt.Sprintf("host %q followed by path %q", u.Host, u.Path)
		}
		if problem != "" {
			where := ""
			if len(parts) > 1 {
				where = fmt.Sprintf(" (server %d of %d)", i+1, len(parts))
			}
			return nil, fmt.Errorf("NATS URL %q%s is not like nats://host:4222: %s (check --nats)", hideUserInfo(p), where, problem)
		}
		out = append(out, u)
	}
	return out, nil
}

// hideUserInfo replaces whatever precedes the host in a URL that may not
// parse (a user, password or token) with xxxxx.
func hideUserInfo(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return s[:start] + "xxxxx" + s[at:]
}

// NoReconnectBuffer makes a connection refuse publishes while it
// reconnects instead of buffering them for the next server. A Publisher
// needs it to keep its messages in order across a server restart: a
// buffered message would reach the restarted server before the older ones
// it publishes again. Requests fail at once too while reconnecting, so
// their callers retry (PublishTruth does).
func NoReconnectBuffer() nats.Option { return nats.ReconnectBufSize(-1) }

// dialCause dials the first server of urls and returns why it failed, or
// nil if it answers (the failure was then above TCP).
func dialCause(urls string, timeout time.Duration) error {
	first, _, _ := strings.Cut(urls, ",")
	u, err := url.Parse(strings.TrimSpace(first))
	if err != nil || u.Host == "" {
		return nil
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), strconv.Itoa(nats.DefaultPort))
	}
	c, err := net.DialTimeout("tcp", host, timeout)
	if err != nil {
		return err
	}
	c.Close()
	return nil
}

// connectError explains a failed first connection in one line.
func connectError(url string, err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot reach NATS at %s: unknown host %s (check --nats)", redact(url), dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot reach NATS at %s: connection refused (start a server or check --nats)", redact(url))
	case errors.Is(err, nats.ErrNoServers), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Errorf("cannot reach NATS at %s: %v (start a server or check --nats)", redact(url), err)
	default:
		return fmt.Errorf("connect to NATS at %s: %w", redact(url), err)
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// redact hides passwords and tokens in NATS URLs before they reach a log or
// an error message.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		if _, hasPass := u.User.Password(); hasPass {
			parts[i] = u.Redacted()
		} else {
			// A bare user part is a token: hide it entirely.
			u.User = url.User("xxxxx")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

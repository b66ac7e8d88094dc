package main

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// listen binds addr, the value of the flag named flagName ("--http"), for
// one of our HTTP servers. A port another program holds comes back as an
// addrInUseError that says what to try.
func listen(flagName, addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &addrInUseError{flag: flagName, addr: addr, err: err}
		}
		return nil, fmt.Errorf("%s %s: %w", flagName, addr, err)
	}
	return l, nil
}

// addrInUseError is a listen that failed because the address is taken:
//
//	--http 127.0.0.1:8080: address in use: try --http 127.0.0.1:0 or another port
type addrInUseError struct {
	flag, addr string
	err        error // wraps syscall.EADDRINUSE
}

func (e *addrInUseError) Error() string {
	host, _, _ := net.SplitHostPort(e.addr)
	return fmt.Sprintf("%s %s: address in use: try %s %s or another port", e.flag, e.addr, e.flag, net.JoinHostPort(host, "0"))
}

func (e *addrInUseError) Unwrap() error { return e.err }

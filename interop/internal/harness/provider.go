package harness

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ProviderSpec describes a Greeter provider process.
type ProviderSpec struct {
	// Label is the provider version replies carry ("v1").
	Label string
	// ServiceVersions and Groups are the Dubbo keys exported, comma
	// separated; empty means the provider's defaults ("<label>," and "").
	ServiceVersions string
	Groups          string
	// Port, when not 0, is the port to listen on (to restart a provider
	// where it was); otherwise a free one is chosen.
	Port int
}

// Provider is a running provider process.
type Provider struct {
	*Process
	Spec ProviderSpec
	Addr string
}

// StartProvider runs the provider binary bin on a free loopback port and
// waits until it serves. A port taken between choosing and binding is
// retried on another port.
func StartProvider(bin string, spec ProviderSpec) (*Provider, error) {
	var lastErr error
	for range 3 {
		port := spec.Port
		if port == 0 {
			var err error
			if port, err = FreePort(); err != nil {
				return nil, err
			}
		}
		args := []string{"-port", strconv.Itoa(port), "-version", spec.Label}
		if spec.ServiceVersions != "" {
			args = append(args, "-service-versions", spec.ServiceVersions)
		}
		if spec.Groups != "" {
			args = append(args, "-groups", spec.Groups)
		}
		p, err := Start("provider "+spec.Label, bin, args...)
		if err != nil {
			return nil, err
		}
		line, err := p.WaitLine(func(l string) bool { return strings.HasPrefix(l, "ready ") }, 30*time.Second)
		if err == nil {
			return &Provider{Process: p, Spec: spec, Addr: strings.TrimPrefix(line, "ready ")}, nil
		}
		p.Kill()
		lastErr = err
		if spec.Port != 0 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, fmt.Errorf("start provider %s: %w", spec.Label, lastErr)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// HostPort splits a host:port address for a bootstrap's socket_address.
func HostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("split address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("split address %q: %w", addr, err)
	}
	return h, port, nil
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Upstream is what a scenario serves and what targets forward to.
type Upstream struct {
	// Protocol names the application protocol ("redis").
	Protocol string
	// Addrs are the 127.0.0.1 host:port addresses of the upstream servers.
	Addrs []string
}

// Endpoint is where the load of one target goes.
type Endpoint struct {
	// Addr is a 127.0.0.1 host:port address.
	Addr string
	// Proc is the proxy whose CPU and memory are measured; nil when the
	// load goes straight to the upstream.
	Proc *Process
}

// Target is one way of serving an Upstream: directly, or through a proxy.
type Target struct {
	// Name identifies the target in flags and reports ("haproxy-tcp").
	Name string
	// Kind says what the target does with the bytes, so that an L7 proxy
	// is never mistaken for an L4 one ("L4 tcp", "L7 redis (RESP2)").
	Kind string
	// Start launches the proxy in front of up, registered with env, and
	// returns once it is ready. An error wrapping ErrSkipped means the
	// target is not configured in this run (for example no -sidewire).
	Start func(ctx context.Context, env *Env, up Upstream) (Endpoint, error)
	// Version describes the proxy's version for reports; may be nil.
	Version func(env *Env) string
}

// ErrSkipped marks a target that this run does not measure, as opposed to
// one that failed.
var ErrSkipped = errors.New("skipped")

var targets = map[string]Target{}

// RegisterTarget adds t to the set scenarios may name. Registering a name
// twice panics: it is a programming error at init time.
func RegisterTarget(t Target) {
	if t.Name == "" || t.Start == nil {
		panic("bench: target needs a Name and a Start")
	}
	if _, dup := targets[t.Name]; dup {
		panic("bench: duplicate target " + t.Name)
	}
	targets[t.Name] = t
}

// LookupTarget returns the registered target called name.
func LookupTarget(name string) (Target, error) {
	t, ok := targets[name]
	if !ok {
		return Target{}, fmt.Errorf("lookup target %q: unknown (known: %v)", name, TargetNames())
	}
	return t, nil
}

// TargetNames lists the registered targets, sorted.
func TargetNames() []string {
	names := make([]string, 0, len(targets))
	for n := range targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Direct is the target name that sends load straight to the upstream; every
// scenario lists it first and reports ratios against it.
const Direct = "direct"

func init() {
	RegisterTarget(Target{
		Name: Direct,
		Kind: "no proxy",
		Start: func(_ context.Context, _ *Env, up Upstream) (Endpoint, error) {
			if len(up.Addrs) == 0 {
				return Endpoint{}, errors.New("start direct: upstream has no address")
			}
			return Endpoint{Addr: up.Addrs[0]}, nil
		},
	})
}

package bench

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Scenario is one comparison: an upstream, the targets put in front of it,
// and the load shapes driven through each.
type Scenario struct {
	// Name identifies the scenario in flags and reports ("redis-tcp").
	Name string
	// Title is a one-line description for reports.
	Title string
	// Targets are the target names compared; the first must be Direct.
	Targets []string
	// CPURef names the target every proxy's CPU per request is compared
	// with (the established proxy of the same kind), and Subject the one
	// the scenario is about; both may be empty.
	CPURef  string
	Subject string
	// Start starts the upstream server(s), registered with env.
	Start func(ctx context.Context, env *Env) (Upstream, error)
	// Probe checks one request through addr end to end before any load,
	// so that a broken path fails fast with a clear error; may be nil.
	Probe func(ctx context.Context, addr string) error
	// Cases returns the load shapes for the run's options.
	Cases func(opts Options) []Case
	// Version describes the upstream and load client for reports; may be nil.
	Version func(env *Env) string
}

// Case is one load shape, run once per operation.
type Case struct {
	// Name identifies the case in reports ("c50-P16").
	Name string
	// Detail spells out its parameters ("-c 50 -P 16 -n 1000000").
	Detail string
	// Ops are measured one at a time, each with its own CPU sample.
	Ops []string
	// Requests is how many requests one run sends.
	Requests int
	// Run drives one bounded load of op at addr.
	Run func(ctx context.Context, env *Env, addr, op string, requests int) (LoadResult, error)
}

// LoadResult is what the load client measured in one run.
type LoadResult struct {
	Requests int
	RPS      float64
	Avg      time.Duration
	P50      time.Duration
	P99      time.Duration
	// ClientCPU is the load client's own CPU time, when known.
	ClientCPU time.Duration
}

var scenarios = map[string]Scenario{}

// RegisterScenario adds s to the set the harness can run. Registering a
// name twice panics.
func RegisterScenario(s Scenario) {
	if s.Name == "" || s.Start == nil || s.Cases == nil || len(s.Targets) == 0 || s.Targets[0] != Direct {
		panic("bench: scenario needs a Name, Start, Cases and Targets starting with " + Direct)
	}
	if _, dup := scenarios[s.Name]; dup {
		panic("bench: duplicate scenario " + s.Name)
	}
	scenarios[s.Name] = s
}

// LookupScenario returns the registered scenario called name.
func LookupScenario(name string) (Scenario, error) {
	s, ok := scenarios[name]
	if !ok {
		return Scenario{}, fmt.Errorf("lookup scenario %q: unknown (known: %v)", name, ScenarioNames())
	}
	return s, nil
}

// ScenarioNames lists the registered scenarios, sorted.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

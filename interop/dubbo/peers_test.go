package dubbo_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sidewire/sidewire/interop/dubbo/consumer"
	"github.com/sidewire/sidewire/interop/internal/harness"
)

// The shared providers serve every test that does not kill or slow its
// own: v1 and v2, each exporting service versions "<label>" and "" in
// groups "" and "canary".
var shared struct {
	once   sync.Once
	v1, v2 *harness.Provider
	err    error
}

const canaryGroup = "canary"

func sharedProviders(t *testing.T) (v1, v2 *harness.Provider) {
	t.Helper()
	bin := needProvider(t)
	shared.once.Do(func() {
		shared.v1, shared.err = harness.StartProvider(bin, providerSpec("v1"))
		if shared.err != nil {
			return
		}
		shared.v2, shared.err = harness.StartProvider(bin, providerSpec("v2"))
	})
	if shared.err != nil {
		t.Fatalf("start shared providers: %v", shared.err)
	}
	return shared.v1, shared.v2
}

func providerSpec(label string) harness.ProviderSpec {
	return harness.ProviderSpec{Label: label, ServiceVersions: label + ",", Groups: "," + canaryGroup}
}

func stopShared() {
	for _, p := range []*harness.Provider{shared.v1, shared.v2} {
		if p != nil {
			_ = p.Stop(10 * time.Second)
		}
	}
}

// startProvider runs a provider of the test's own, stopped at cleanup.
func startProvider(t *testing.T, label string) *harness.Provider {
	t.Helper()
	p, err := harness.StartProvider(needProvider(t), providerSpec(label))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

// startSidewire runs sidewire on bootstrap, stopped at cleanup, where the
// test fails on an unclean exit or a race report.
func startSidewire(t *testing.T, bootstrap string) *harness.Sidewire {
	t.Helper()
	// Consumers keep their connections open: bound the drain on stop.
	s, err := harness.StartSidewire(needSidewire(t), t.TempDir(), bootstrap, "--drain-time", "2s")
	if err != nil {
		t.Fatalf("%v\nbootstrap:\n%s", err, bootstrap)
	}
	t.Cleanup(func() {
		if err := s.Stop(30 * time.Second); err != nil {
			t.Errorf("stop sidewire: %v\n%s", err, tail(s.Output(), 60))
		}
		if s.DataRace() {
			t.Errorf("sidewire race detector report:\n%s", s.Output())
		}
	})
	return s
}

func listener(t *testing.T, s *harness.Sidewire, name string) string {
	t.Helper()
	addr, err := s.Listener(name)
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// dial makes a consumer of the Greeter at addr.
func dial(t *testing.T, addr, version, group string, timeout time.Duration) *consumer.Client {
	t.Helper()
	c, err := consumer.Dial(consumer.Options{Address: addr, Version: version, Group: group, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

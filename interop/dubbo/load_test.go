package dubbo_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDubboloadSmoke runs the load scenario briefly, with every target
// (haproxy among them: apt-get install -y haproxy), and checks its
// tables. It measures nothing worth keeping: it keeps the scenario working.
func TestDubboloadSmoke(t *testing.T) {
	provider, sidewire := needProvider(t), needSidewire(t)
	if bins.loadErr != nil {
		t.Fatalf("the load command (interop/dubbo/cmd/dubboload) did not build: %v", bins.loadErr)
	}
	cmd := exec.Command(bins.load, "-sidewire", sidewire, "-provider", provider,
		"-d", "300ms", "-warmup", "0", "-reps", "1", "-rate", "500", "-rate-c", "8", "-c", "4")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dubboload: %v\n%s", err, out)
	}
	want := []string{"added p99 at 500/s", "proxy CPU per call at max", "calls/s at max ×direct", "CPU per call ×haproxy-tcp"}
	for _, target := range []string{"direct", "sidewire", "sidewire-tcp", "haproxy-tcp"} {
		want = append(want, "| 500/s, 8 callers | "+target+" |", "| max, 4 callers | "+target+" |")
	}
	for _, want := range want {
		if !strings.Contains(string(out), want) {
			t.Errorf("dubboload output lacks %q:\n%s", want, out)
		}
	}
}

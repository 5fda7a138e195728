package main

import (
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// TestConcurrency checks --concurrency through server.concurrency, which
// shows GOMAXPROCS: by default an idle proxy runs on one core (see
// internal/autoprocs), and --concurrency N pins N.
func TestConcurrency(t *testing.T) {
	echo := testpeer.StartEcho(t)
	boot := bootstrapYAML(tcpListenerYAML("app", "cluster: app"), clusterYAML("app", "ROUND_ROBIN", "", echo.Addr().String()))
	for _, tc := range []struct {
		args []string
		want int64
	}{
		{nil, 1},
		{[]string{"--concurrency", "3"}, 3},
	} {
		p := startSidewire(t, boot, tc.args...)
		connectN(t, p.listener("app"), 1)
		// The gauge is refreshed every second.
		deadline := time.Now().Add(10 * time.Second)
		for p.stat("server.concurrency") != tc.want && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if got := p.stat("server.concurrency"); got != tc.want {
			t.Errorf("sidewire run %v: server.concurrency = %d, want %d", tc.args, got, tc.want)
		}
		p.stop()
	}
}

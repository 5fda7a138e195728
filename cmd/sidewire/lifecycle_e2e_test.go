package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sidewire/sidewire/internal/testpeer"
)

// echoOnce writes msg on an open connection and expects it back.
func echoOnce(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo %q: got %q, %v", msg, buf, err)
	}
}

func TestSIGHUPReloadMovesNewConnectionsOnly(t *testing.T) {
	one, two := testpeer.StartEcho(t), testpeer.StartEcho(t)
	cfgFor := func(e *testpeer.Echo) string {
		return bootstrapYAML(`
  - name: app
    address: {socket_address: {address: 127.0.0.1, port_value: 0}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: app
          cluster: app
`, clusterYAML("app", "ROUND_ROBIN", "", e.Addr().String()))
	}
	p := startSidewire(t, cfgFor(one))
	addr := p.listener("app")
	old, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	echoOnce(t, old, "before")

	if err := os.WriteFile(p.cfg, []byte(cfgFor(two)), 0o600); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGHUP)
	eventually(t, 10*time.Second, "reload applied", func() error {
		if !p.hasLog(`"msg":"reloaded"`) {
			return fmt.Errorf("no reload log yet")
		}
		return nil
	})
	if got := p.listener("app"); got != addr {
		t.Fatalf("listener moved from %s to %s on a cluster-only change", addr, got)
	}
	connectN(t, addr, 5)
	if two.Served() != 5 {
		t.Fatalf("new connections after reload: new upstream served %d of 5", two.Served())
	}
	echoOnce(t, old, "after") // the old connection still reaches the old upstream
	if one.Served() != 0 {
		t.Fatalf("old upstream finished %d connections; the live one should still be open", one.Served())
	}

	// A broken file is logged and the running config stays.
	if err := os.WriteFile(p.cfg, []byte("static_resources: {listeners: [{name: x}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGHUP)
	eventually(t, 10*time.Second, "bad reload rejected", func() error {
		if !p.hasLog("reload failed; keeping the running config") {
			return fmt.Errorf("no rejection log yet")
		}
		return nil
	})
	connectN(t, addr, 1)
	if two.Served() != 6 {
		t.Fatalf("after a rejected reload the running config should still serve")
	}
}

func TestSIGTERMDrains(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("app", "cluster: app"),
		clusterYAML("app", "ROUND_ROBIN", "", echo.Addr().String())), "--drain-time", "20s")
	addr := p.listener("app")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoOnce(t, c, "hello")
	start := time.Now()
	p.signal(syscall.SIGTERM)
	eventually(t, 5*time.Second, "listener closed while draining", func() error {
		nc, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			nc.Close()
			return fmt.Errorf("new connection accepted while draining")
		}
		return nil
	})
	if code, _ := p.get("/ready"); code != 503 {
		t.Fatalf("/ready while draining = %d, want 503", code)
	}
	echoOnce(t, c, "still here") // the open connection keeps working
	c.Close()
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("sidewire still running 15s after its last connection closed")
	}
	if p.err != nil {
		t.Fatalf("exit after drain: %v", p.err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("drain took %v though the last connection closed early", d)
	}
}

func TestDrainDeadlineClosesConnections(t *testing.T) {
	echo := testpeer.StartEcho(t)
	p := startSidewire(t, bootstrapYAML(tcpListenerYAML("app", "cluster: app"),
		clusterYAML("app", "ROUND_ROBIN", "", echo.Addr().String())), "--drain-time", "500ms")
	c, err := net.Dial("tcp", p.listener("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoOnce(t, c, "x")
	p.signal(syscall.SIGTERM)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("connection still open after the drain deadline")
	}
	<-p.exited
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := dir + "/good.yaml"
	bad := dir + "/bad.yaml"
	echoCfg := bootstrapYAML(tcpListenerYAML("a", "cluster: a"), clusterYAML("a", "ROUND_ROBIN", "", "127.0.0.1:1"))
	if err := os.WriteFile(good, []byte(echoCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "validate", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("validate good config: %v\n%s", err, out)
	}
	// A mongo_proxy filter, with its real typed config: valid Envoy, not Sidewire.
	mongo := strings.Replace(echoCfg, "envoy.filters.network.tcp_proxy", "envoy.filters.network.mongo_proxy", 1)
	mongo = strings.Replace(mongo, "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", "envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy", 1)
	mongo = strings.Replace(mongo, "cluster: a\n", "\n", 1)
	if err := os.WriteFile(bad, []byte(mongo), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(binary, "validate", bad).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("validate bad config: err=%v, want exit status 1\n%s", err, out)
	}
	want := `static_resources.listeners[0].filter_chains[0].filters[0]`
	if !strings.Contains(string(out), want) || !strings.Contains(string(out), "mongo_proxy") {
		t.Fatalf("validate output does not name the field %s and the filter:\n%s", want, out)
	}
	// run refuses the same file.
	out, err = exec.Command(binary, "run", "-c", bad).CombinedOutput()
	if err == nil {
		t.Fatalf("run started with an invalid config:\n%s", out)
	}
}

// TestEmbeddedDefault runs what `make run` runs: no -c, the embedded
// default bootstrap, admin on 127.0.0.1:9901.
func TestEmbeddedDefault(t *testing.T) {
	p := startSidewireArgs(t, "", "run")
	if p.admin != "127.0.0.1:9901" {
		t.Fatalf("embedded default admin on %s, want 127.0.0.1:9901", p.admin)
	}
	for name, addr := range map[string]string{
		"redis": "127.0.0.1:16379", "mysql": "127.0.0.1:13306", "kafka": "127.0.0.1:19092", "dubbo": "127.0.0.1:30880",
	} {
		if got := p.listener(name); got != addr {
			t.Errorf("default listener %s on %s, want %s", name, got, addr)
		}
	}
}

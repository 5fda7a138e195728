package testpeer

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Redis is a redis-server process.
type Redis struct {
	Port int
	cmd  *exec.Cmd
	dir  string
}

// Addr is "127.0.0.1:port".
func (r *Redis) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.Port)) }

// StartRedis starts redis-server on an ephemeral loopback port with
// persistence off, plus any extra arguments ("--cluster-enabled", "yes").
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: install it with `apt-get install -y redis-server` (%v)", err)
	}
	dir := t.TempDir()
	// Redis cannot bind port 0 and report it, so pick a free port and
	// retry on the rare collision.
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--protected-mode", "no"}, extra...)
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		r := &Redis{Port: port, cmd: cmd, dir: dir}
		if r.waitPing(5 * time.Second) {
			t.Cleanup(r.Stop)
			return r
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
	t.Fatalf("redis-server did not come up on any of 5 ports")
	return nil
}

// Stop kills the server. It is safe to call twice.
func (r *Redis) Stop() {
	if r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

func (r *Redis) waitPing(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if err := Ping(r.Addr()); err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// Ping sends an inline PING to addr and expects +PONG.
func Ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("ping %s: got %q", addr, line)
	}
	return nil
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"
)

// startRedisServer starts a throwaway redis-server on a free loopback port
// with persistence off and waits until it answers PING.
func startRedisServer(ctx context.Context, env *Env) (Upstream, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return Upstream{}, err
	}
	port, err := splitPort(addr)
	if err != nil {
		return Upstream{}, err
	}
	argv := []string{env.Opts.RedisServer,
		"--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no",
		"--dir", env.Dir, "--daemonize", "no", "--loglevel", "warning",
	}
	p, err := env.Start("redis-server", argv)
	if err != nil {
		return Upstream{}, err
	}
	if err := waitReady(ctx, p, env.Opts.ReadyTimeout, "redis-server on "+addr, redisPing(addr)); err != nil {
		return Upstream{}, err
	}
	return Upstream{Protocol: "redis", Addrs: []string{addr}}, nil
}

// redisPing returns a check that sends one PING (RESP2 array form, which
// every Redis proxy accepts) to addr and expects +PONG.
func redisPing(addr string) func(context.Context) error {
	return func(ctx context.Context) error { return probeRedis(ctx, addr) }
}

// probeRedis sends PING through addr and expects +PONG.
func probeRedis(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("probe redis at %s: %w", addr, err)
	}
	defer c.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(2 * time.Second)
	}
	if err := c.SetDeadline(deadline); err != nil {
		return fmt.Errorf("probe redis at %s: %w", addr, err)
	}
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return fmt.Errorf("probe redis at %s: %w", addr, err)
	}
	line, err := bufio.NewReaderSize(c, 64).ReadString('\n')
	if err != nil {
		return fmt.Errorf("probe redis at %s: %w", addr, err)
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("probe redis at %s: %w: %q", addr, errBadReply, line)
	}
	return nil
}

var errBadReply = errors.New("unexpected reply")

// toolVersion runs bin with args and returns the first line of its output,
// or a note that it failed. Used only for report headers.
func toolVersion(bin string, args ...string) string {
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		return bin + ": version unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

package testpeer

import (
	"os/exec"
	"testing"
	"time"
)

// Restart starts the server again on the same port (after Stop, or a
// crash), with the arguments it was first started with, and waits until
// it answers PING.
func (r *Redis) Restart(t testing.TB) {
	t.Helper()
	r.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmd := exec.Command(r.cmd.Path, r.cmd.Args[1:]...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("restart redis-server: %v", err)
		}
		r.cmd = cmd
		if r.waitPing(5 * time.Second) {
			return
		}
		// The port may still be held by a closing socket: try again.
		cmd.Process.Kill()
		cmd.Wait()
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not come back on port %d", r.Port)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

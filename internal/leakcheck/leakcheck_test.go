package leakcheck

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func blockedUntil(stop <-chan struct{}) { <-stop }

func TestVerifyReportsLeak(t *testing.T) {
	before := Snapshot()
	stop := make(chan struct{})
	go blockedUntil(stop)
	r := &recorder{TB: t}
	verify(r, before, 50*time.Millisecond)
	close(stop)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "leakcheck.blockedUntil") {
		t.Fatalf("verify reported %q, want one leak naming blockedUntil", r.errors)
	}
}

func TestVerifyWaitsForExit(t *testing.T) {
	before := Snapshot()
	stop := make(chan struct{})
	go blockedUntil(stop)
	time.AfterFunc(30*time.Millisecond, func() { close(stop) })
	r := &recorder{TB: t}
	verify(r, before, 5*time.Second)
	if len(r.errors) != 0 {
		t.Fatalf("verify reported %q for a goroutine that exited within the grace period", r.errors)
	}
}

func TestCheckPassesCleanTest(t *testing.T) {
	Check(t)
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
}

func TestParse(t *testing.T) {
	g, ok := parse("goroutine 17 [chan receive]:\nmain.f()\n")
	if !ok || g.ID != 17 {
		t.Fatalf("parse = %+v, %v; want id 17", g, ok)
	}
	if _, ok := parse("garbage"); ok {
		t.Fatalf("parse accepted garbage")
	}
}

package leakcheck

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Grace is how long Check waits for goroutines to finish.
const Grace = 10 * time.Second

// ignored are substrings of stacks of goroutines that belong to the
// runtime or the test framework, not to the code under test.
var ignored = []string{
	"testing.(*T).Run(",
	"testing.(*M).",
	"testing.tRunner(",
	"testing.runTests(",
	"testing.runFuzzing(",
	"testing.(*F).Fuzz(",
	"runtime.goexit0",
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
	"runtime/pprof.",
	"created by runtime.gc",
	"runtime.ReadTrace",
}

// Goroutine is one goroutine from a stack dump.
type Goroutine struct {
	ID    uint64
	Stack string
}

// Snapshot returns the current goroutines except the caller's.
func Snapshot() []Goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []Goroutine
	blocks := bytes.Split(buf, []byte("\n\n"))
	for i, b := range blocks {
		if i == 0 {
			continue // the first block is the calling goroutine
		}
		if g, ok := parse(string(b)); ok {
			out = append(out, g)
		}
	}
	return out
}

// parse reads "goroutine 42 [chan receive]:\n..." into a Goroutine.
func parse(block string) (Goroutine, bool) {
	rest, ok := strings.CutPrefix(block, "goroutine ")
	if !ok {
		return Goroutine{}, false
	}
	idText, _, ok := strings.Cut(rest, " ")
	if !ok {
		return Goroutine{}, false
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return Goroutine{}, false
	}
	return Goroutine{ID: id, Stack: block}, true
}

func interesting(g Goroutine) bool {
	for _, s := range ignored {
		if strings.Contains(g.Stack, s) {
			return false
		}
	}
	return true
}

// Leaked returns the interesting goroutines not in before.
func Leaked(before []Goroutine) []Goroutine {
	seen := make(map[uint64]bool, len(before))
	for _, g := range before {
		seen[g.ID] = true
	}
	var out []Goroutine
	for _, g := range Snapshot() {
		if !seen[g.ID] && interesting(g) {
			out = append(out, g)
		}
	}
	return out
}

// Check registers a cleanup that fails t when goroutines started after
// this call are still running Grace after the test ends.
func Check(t testing.TB) {
	t.Helper()
	before := Snapshot()
	t.Cleanup(func() { verify(t, before, Grace) })
}

func verify(t testing.TB, before []Goroutine, grace time.Duration) {
	deadline := time.Now().Add(grace)
	delay := time.Millisecond
	for {
		leaked := Leaked(before)
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, g := range leaked {
				t.Errorf("leaked goroutine:\n%s", g.Stack)
			}
			return
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}

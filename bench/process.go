package bench

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopGrace = 5 * time.Second

// outputTail is how many bytes of a child's combined output are kept for
// error messages.
const outputTail = 8 << 10

// Process is a child process the harness started. Its stdout and stderr go
// to a bounded buffer (the last outputTail bytes) that error messages quote.
// Stop ends it; it is safe to call Stop more than once and from several
// goroutines.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed once Wait has returned
	err  error         // Wait's result, readable after done is closed
	// grace is how long Stop waits after SIGTERM (stopGrace).
	grace time.Duration

	stopOnce sync.Once
	stopErr  error
}

// startProcess starts argv in its own process group, with a parent-death
// signal where the platform has one, in directory dir.
func startProcess(name string, argv []string, dir string) (*Process, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("start %s: empty command", name)
	}
	out := newTailBuffer(outputTail)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, out: out, done: make(chan struct{}), grace: stopGrace}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Name is the label the process was started with.
func (p *Process) Name() string { return p.name }

// PID is the operating system process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Output returns the last bytes the process wrote to stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

// exitError describes an exited process, quoting its output, or returns nil
// while it runs.
func (p *Process) exitError() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	err := p.err
	if err == nil {
		err = errors.New("exit status 0")
	}
	return fmt.Errorf("%s (pid %d) exited: %w\n%s", p.name, p.PID(), err, indent(p.Output()))
}

// Stop sends SIGTERM to the process group, waits up to 5 seconds, then
// sends SIGKILL, and returns once the process has been reaped. A process
// that already exited is not signalled.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Process) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := -p.PID()
	if err := syscall.Kill(pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	timer := time.NewTimer(p.grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	if err := syscall.Kill(pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return nil
}

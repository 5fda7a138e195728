package harness

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxLogLines bounds the output lines a Process keeps.
const maxLogLines = 20000

// Process is a running child process whose stdout and stderr lines are
// kept (the last maxLogLines) and can be waited for.
type Process struct {
	name string
	cmd  *exec.Cmd

	mu      sync.Mutex
	lines   []string
	watches []watch

	readers sync.WaitGroup
	exited  chan struct{}
	err     error
}

type watch struct {
	match func(string) bool
	ch    chan string
}

// Start runs bin with args. name labels the process in errors.
func Start(name, bin string, args ...string) (*Process, error) {
	p := &Process{name: name, cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.readers.Add(2)
	go p.read(stdout)
	go p.read(stderr)
	go func() {
		p.readers.Wait() // Wait closes the pipes: read them to EOF first
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *Process) read(r io.Reader) {
	defer p.readers.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.addLine(sc.Text())
	}
	// A line over the scanner's limit stops it: keep draining so the
	// child never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}

func (p *Process) addLine(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.lines) == maxLogLines {
		p.lines = append(p.lines[:0], p.lines[maxLogLines/2:]...)
	}
	p.lines = append(p.lines, line)
	kept := p.watches[:0]
	for _, w := range p.watches {
		if w.match(line) {
			w.ch <- line
			continue
		}
		kept = append(kept, w)
	}
	p.watches = kept
}

// WaitLine waits until a line (already seen or new) satisfies match and
// returns it; it fails when the process exits or timeout passes first.
func (p *Process) WaitLine(match func(string) bool, timeout time.Duration) (string, error) {
	ch := make(chan string, 1)
	p.mu.Lock()
	for _, l := range p.lines {
		if match(l) {
			p.mu.Unlock()
			return l, nil
		}
	}
	p.watches = append(p.watches, watch{match: match, ch: ch})
	p.mu.Unlock()
	select {
	case l := <-ch:
		return l, nil
	case <-p.exited:
		select {
		case l := <-ch:
			return l, nil
		default:
		}
		return "", fmt.Errorf("%s exited (%v) before the awaited output\n%s", p.name, p.err, p.Output())
	case <-time.After(timeout):
		return "", fmt.Errorf("%s: awaited output not seen within %v\n%s", p.name, timeout, p.Output())
	}
}

// Output returns the lines kept so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Contains reports whether some output line contains s.
func (p *Process) Contains(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Kill sends SIGKILL and waits for the exit.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Stop sends SIGTERM and waits up to grace for a clean exit, then kills.
// It returns an error when the process had to be killed or exited with a
// failure after SIGTERM.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return p.exitErr()
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.exitErr()
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s did not exit within %v of SIGTERM", p.name, grace)
	}
}

func (p *Process) exitErr() error {
	if p.err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil // died of the SIGTERM it was sent: a clean stop
		}
	}
	return fmt.Errorf("%s exited: %w", p.name, p.err)
}

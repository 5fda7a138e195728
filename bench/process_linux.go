package bench

import "syscall"

// childAttr puts a child in its own process group, so that a terminal's
// Ctrl-C reaches only the harness (which then stops its children in order),
// and asks the kernel to SIGKILL the child should the harness die first.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

//go:build !linux

package bench

import "syscall"

// childAttr puts a child in its own process group. Only Linux has a
// parent-death signal; the harness itself needs Linux's /proc to measure.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

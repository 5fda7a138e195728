// Package sockio writes to sockets without blocking and without the
// scheduler's system-call bookkeeping, for the proxy's hot write paths.
//
// A write to a non-blocking socket cannot block: when the socket buffer
// is full it returns EAGAIN. But on loopback and fast links one write
// runs much of the peer's receive path and takes around 10 µs, long
// enough for the Go runtime's sysmon to retake the goroutine's P and wake
// another thread to run it, once per write. TryWriter issues the write
// as a raw system call under the socket's write lock, so no handoff
// happens, and reports how much the socket took; the caller finishes the
// rest with a normal (netpoller-blocking) write.
package sockio

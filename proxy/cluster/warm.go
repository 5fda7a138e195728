package cluster

import "sync"

// warmTracker notes when the cluster's initial membership is known
// (static hosts set, first DNS resolution done, first EDS assignment
// applied) and every initial host has finished its first health check
// round. The channel waiters get is made only when someone waits before
// that: most clusters warm at once, and a channel each would cost
// memory for nothing.
type warmTracker struct {
	mu       sync.Mutex
	pending  int  // membership (1 until known) + first checks outstanding
	known    bool // initial membership known
	finished bool
	ready    chan struct{} // nil until waited for; closed when finished
}

// closedChan is what waiters of a warm cluster get.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (w *warmTracker) init() {
	w.pending = 1
}

// initial reports whether hosts added now belong to the initial
// membership, and if so counts n first checks the cluster waits for.
func (w *warmTracker) initial(n int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known || w.finished {
		return false
	}
	w.pending += n
	return true
}

// membershipKnown marks the initial membership as known (once).
func (w *warmTracker) membershipKnown() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known {
		return
	}
	w.known = true
	w.doneLocked()
}

// checked marks one initial first check as done.
func (w *warmTracker) checked() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.doneLocked()
}

func (w *warmTracker) doneLocked() {
	w.pending--
	if w.pending == 0 {
		w.finishLocked()
	}
}

func (w *warmTracker) finishLocked() {
	if w.finished {
		return
	}
	w.finished = true
	if w.ready != nil {
		close(w.ready)
	}
}

// abandon releases waiters of a stopped cluster.
func (w *warmTracker) abandon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.finishLocked()
}

// done returns a channel closed once the cluster has warmed up.
func (w *warmTracker) done() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.finished {
		return closedChan
	}
	if w.ready == nil {
		w.ready = make(chan struct{})
	}
	return w.ready
}

// isWarm reports whether the cluster has warmed up.
func (w *warmTracker) isWarm() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.finished
}

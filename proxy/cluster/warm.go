package cluster

import "sync"

// warmTracker closes ready once the cluster's initial membership is known
// (static hosts set, first DNS resolution done, first EDS assignment
// applied) and every initial host has finished its first health check
// round.
type warmTracker struct {
	mu       sync.Mutex
	pending  int  // membership (1 until known) + first checks outstanding
	known    bool // initial membership known
	finished bool
	ready    chan struct{}
}

func (w *warmTracker) init() {
	w.pending = 1
	w.ready = make(chan struct{})
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
	if w.pending == 0 && !w.finished {
		w.finished = true
		close(w.ready)
	}
}

// abandon releases waiters of a stopped cluster.
func (w *warmTracker) abandon() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.finished {
		w.finished = true
		close(w.ready)
	}
}

// isWarm reports whether the cluster has warmed up.
func (w *warmTracker) isWarm() bool {
	select {
	case <-w.ready:
		return true
	default:
		return false
	}
}

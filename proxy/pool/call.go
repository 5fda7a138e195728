package pool

import (
	"sync"
	"sync/atomic"
	"time"
)

// Call states. A call is recycled by exactly one party: the caller once
// it has taken a completed result, or whoever completes an abandoned call.
const (
	callPending uint32 = iota
	callCompleted
	callAbandoned
)

// call is one request in flight on a connection.
type call struct {
	done  chan struct{} // receives once when completed
	state atomic.Uint32
	want  int // responses expected
	got   int
	resps []Response
	err   error
	// start and end are the request's offsets in the connection's
	// output byte stream, to tell whether it was sent.
	start, end int64
	reqID      uint64 // caller's request id
	id         uint64 // id on the upstream connection
	heartbeat  bool   // internal heartbeat, nobody waits
	slot       bool   // holds a MaxPending slot
	timer      *time.Timer
	// cb receives the outcome of an asynchronous call (SendAsync); nil
	// for calls someone waits on.
	cb Completion
	// deadline is when an asynchronous call times out (unix nanos); 0
	// when it does not.
	deadline int64
	// timeout bounds an asynchronous call in place of Options.Timeout
	// when positive (SendAsyncTimeout).
	timeout time.Duration
}

var calls = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

func getCall() *call {
	cl := calls.Get().(*call)
	cl.state.Store(callPending)
	return cl
}

// putCall resets cl and returns it to the pool. Responses must already
// be released or handed over.
func putCall(cl *call) {
	clear(cl.resps)
	cl.resps = cl.resps[:0]
	cl.want, cl.got, cl.err = 0, 0, nil
	cl.start, cl.end, cl.reqID, cl.id = 0, 0, 0, 0
	cl.heartbeat, cl.slot = false, false
	cl.cb, cl.deadline, cl.timeout = nil, 0, 0
	calls.Put(cl)
}

// releaseAndPut releases cl's responses and recycles it.
func releaseAndPut(cl *call) {
	ReleaseAll(cl.resps)
	putCall(cl)
}

// armTimer returns a channel that fires after d, or nil when d is 0.
func (cl *call) armTimer(d time.Duration) <-chan time.Time {
	if d <= 0 {
		return nil
	}
	if cl.timer == nil {
		cl.timer = time.NewTimer(d)
	} else {
		cl.timer.Reset(d)
	}
	return cl.timer.C
}

func (cl *call) stopTimer() {
	if cl.timer != nil {
		cl.timer.Stop()
	}
}

package pool

import "github.com/sidewire/sidewire/internal/ring"

// matcher pairs responses with calls. Its methods run under the
// connection's lock.
type matcher interface {
	// nextID returns the upstream id for the next request.
	nextID() uint64
	// add registers cl, whose request went out with id cl.id.
	add(cl *call)
	// take returns the call the response with upstream id answers and
	// whether it is the call's last response; cl is nil when no call
	// matches.
	take(id uint64) (cl *call, last bool)
	// remove unregisters an abandoned call, reporting whether it was
	// still registered (false: a response is being delivered to it).
	remove(cl *call) bool
	// drain unregisters every call, in order, passing each to fn.
	drain(fn func(*call))
	// nextDeadline returns the earliest deadline of the asynchronous
	// calls, 0 when none has one.
	nextDeadline() int64
	// expire unregisters the calls whose deadline is at or before now,
	// passing each to fn (multiplex only: pipelined calls cannot leave
	// out of order).
	expire(now int64, fn func(*call))
	len() int
}

// fifo matches responses in request order (pipeline, bound).
type fifo struct {
	q ring.Ring[*call]
}

func (m *fifo) nextID() uint64 { return 0 }

func (m *fifo) add(cl *call) { m.q.Push(cl) }

func (m *fifo) take(uint64) (*call, bool) {
	cl, ok := m.q.Peek()
	if !ok {
		return nil, false
	}
	cl.got++
	if cl.got < cl.want {
		return cl, false
	}
	m.q.Pop()
	return cl, true
}

// remove leaves abandoned calls queued: their responses still arrive in
// order and must be consumed.
func (m *fifo) remove(*call) bool { return false }

func (m *fifo) drain(fn func(*call)) {
	for {
		cl, ok := m.q.Pop()
		if !ok {
			return
		}
		fn(cl)
	}
}

func (m *fifo) len() int { return m.q.Len() }

// nextDeadline scans from the head for the first asynchronous call:
// deadlines grow along the queue, and in practice a connection carries
// only asynchronous calls or none.
func (m *fifo) nextDeadline() int64 {
	for i := range m.q.Len() {
		if d := m.q.At(i).deadline; d != 0 {
			return d
		}
	}
	return 0
}

func (m *fifo) expire(int64, func(*call)) {}

// idmap matches responses by the upstream ids it hands out (multiplex).
type idmap struct {
	next  uint64
	calls map[uint64]*call
}

func newIDMap() *idmap { return &idmap{calls: make(map[uint64]*call)} }

// nextID counts up from 1, skipping 0, which some protocols reserve.
func (m *idmap) nextID() uint64 {
	m.next++
	if m.next == 0 {
		m.next = 1
	}
	return m.next
}

func (m *idmap) add(cl *call) { m.calls[cl.id] = cl }

func (m *idmap) take(id uint64) (*call, bool) {
	cl, ok := m.calls[id]
	if !ok {
		return nil, false
	}
	delete(m.calls, id)
	return cl, true
}

func (m *idmap) remove(cl *call) bool {
	if m.calls[cl.id] != cl {
		return false
	}
	delete(m.calls, cl.id)
	return true
}

func (m *idmap) drain(fn func(*call)) {
	for id, cl := range m.calls {
		delete(m.calls, id)
		fn(cl)
	}
}

func (m *idmap) len() int { return len(m.calls) }

// nextDeadline scans every call; it runs once per timeout period, not
// per request.
func (m *idmap) nextDeadline() int64 {
	var next int64
	for _, cl := range m.calls {
		if d := cl.deadline; d != 0 && (next == 0 || d < next) {
			next = d
		}
	}
	return next
}

func (m *idmap) expire(now int64, fn func(*call)) {
	for id, cl := range m.calls {
		if cl.deadline != 0 && cl.deadline <= now {
			delete(m.calls, id)
			fn(cl)
		}
	}
}

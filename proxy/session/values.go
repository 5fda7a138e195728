package session

import (
	"io"
	"sync"
)

// values are per-session objects (a bound upstream connection) created
// on first use and closed when the session ends.
type values struct {
	mu     sync.Mutex
	m      map[any]*entry
	closed bool
}

type entry struct {
	ready chan struct{}
	v     io.Closer
	err   error
}

// LoadOrCreate returns the session value under key, calling create the
// first time (concurrent callers wait for that one call; a failed create
// is retried by the next caller). Values are closed when the session
// ends; after that LoadOrCreate fails with ErrClosed.
func (s *Session) LoadOrCreate(key any, create func() (io.Closer, error)) (io.Closer, error) {
	return s.values.loadOrCreate(key, create)
}

func (vs *values) loadOrCreate(key any, create func() (io.Closer, error)) (io.Closer, error) {
	for {
		vs.mu.Lock()
		if vs.closed {
			vs.mu.Unlock()
			return nil, ErrClosed
		}
		if e, ok := vs.m[key]; ok {
			vs.mu.Unlock()
			<-e.ready
			if e.err == nil {
				return e.v, nil
			}
			continue // that create failed and was removed: try again
		}
		e := &entry{ready: make(chan struct{})}
		if vs.m == nil {
			vs.m = make(map[any]*entry)
		}
		vs.m[key] = e
		vs.mu.Unlock()
		return vs.create(key, e, create)
	}
}

func (vs *values) create(key any, e *entry, create func() (io.Closer, error)) (io.Closer, error) {
	e.v, e.err = create()
	vs.mu.Lock()
	defer vs.mu.Unlock()
	defer close(e.ready)
	switch {
	case e.err != nil:
		delete(vs.m, key)
		return nil, e.err
	case vs.closed:
		_ = e.v.Close() // the session ended while creating
		e.err = ErrClosed
		return nil, ErrClosed
	}
	return e.v, nil
}

// close closes every value; later LoadOrCreate calls fail.
func (vs *values) close() {
	vs.mu.Lock()
	vs.closed = true
	var done []io.Closer
	for k, e := range vs.m {
		select {
		case <-e.ready:
			if e.err == nil {
				done = append(done, e.v)
			}
			delete(vs.m, k)
		default: // still being created: create closes it
		}
	}
	vs.mu.Unlock()
	for _, v := range done {
		_ = v.Close()
	}
}

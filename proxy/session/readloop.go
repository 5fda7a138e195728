package session

import (
	"fmt"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// readLoop decodes requests until the connection or the session ends.
func (s *Session) readLoop() error {
	defer s.batch.Run()
	for {
		b := s.rd.Bytes()
		hint := 0
		if len(b) > 0 {
			f, n, err := s.sc.Decode(b)
			switch {
			case err == nil && n > 0 && n <= len(b):
				if err := s.dispatch(&f, n); err != nil {
					return err
				}
				continue
			case err == nil:
				return codecs.ProtocolErrorf(s.cfg.Codec.Name(), 0, "codec consumed %d of %d bytes", n, len(b))
			case err != codecs.ErrNeedMore:
				return err
			}
			hint = n
		}
		s.batch.Run()
		if err := s.fill(hint); err != nil {
			return err
		}
	}
}

// dispatch starts a stream for a request, answers an event, or rejects
// a frame a client must not send.
func (s *Session) dispatch(f *codecs.Frame, n int) error {
	switch f.Kind {
	case codecs.KindRequest, codecs.KindOneWay, codecs.KindEvent:
	case codecs.KindEventReply:
		s.rd.Discard(n) // we send clients no heartbeats; ignore
		return nil
	default:
		return codecs.ProtocolErrorf(s.cfg.Codec.Name(), 0, "client sent a %s frame", f.Kind)
	}
	if err := s.acquire(); err != nil {
		return err
	}
	st := newStream(s)
	st.Request = *f
	st.buf = s.rd.Take(n)
	s.w.admit(st)
	if f.Kind == codecs.KindEvent {
		st.local = s.sc.AppendEventResponse(st.local, &st.Request)
		s.w.complete(st, nil)
		return nil
	}
	st.Start = time.Now()
	s.streams.Add(1)
	if s.cfg.Inline {
		st.served(s.serve(st))
		return nil
	}
	go s.run(st)
	return nil
}

// acquire takes an in-flight slot, waiting for one while the session
// lives. Frames already buffered are dispatched even while draining: the
// client sent them before the drain began.
func (s *Session) acquire() error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	s.batch.Run() // the requests in flight may wait for it
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-s.ctx.Done():
		return s.stopCause()
	}
}

// run serves one stream on its own goroutine.
func (s *Session) run(st *Stream) { st.served(s.serve(st)) }

// serve calls the handler, turning a panic into an error so one bad
// request cannot take the process down.
func (s *Session) serve(st *Stream) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &codecs.ReplyError{Status: codecs.StatusInternal, Err: fmt.Errorf("handler panic: %v", p)}
		}
	}()
	return s.cfg.Handler.Serve(s.ctx, st)
}

// stopCause is why reading stopped: Drain or the abort cause.
func (s *Session) stopCause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return errDrain
	}
	if s.abortErr != nil {
		return s.abortErr
	}
	return ErrClosed
}

package session

import (
	"errors"
	"io"
	"time"

	"github.com/sidewire/sidewire/codecs"
)

// finish ends the session after the read loop stopped with err: it
// answers a protocol error, waits (bounded) for in-flight streams and
// the writer, closes everything and returns Serve's result.
func (s *Session) finish(err error) error {
	s.mu.Lock()
	s.stopReading() // from here on Push refuses new frames
	s.mu.Unlock()
	var pe *codecs.ProtocolError
	orderly := errors.Is(err, io.EOF) || errors.Is(err, errDrain) || errors.Is(err, ErrIdle) || errors.As(err, &pe)
	if pe != nil {
		s.replyProtocolError(pe)
	}
	if !orderly {
		s.abort(err)
	}
	deadline := time.NewTimer(s.cfg.DrainTimeout)
	defer deadline.Stop()
	s.waitOrAbort(s.waitStreams(), deadline.C)
	close(s.w.stop)
	s.waitOrAbort(s.w.exited, deadline.C)
	if pe != nil || errors.Is(err, errDrain) {
		s.linger() // the client may still be sending
	}
	s.abort(ErrClosed)
	s.closeResources()
	switch {
	case pe != nil:
		return pe
	case orderly:
		return nil
	}
	s.mu.Lock()
	cause := s.abortErr
	s.mu.Unlock()
	if cause != nil {
		err = cause // an earlier abort made the read fail
	}
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

// waitOrAbort waits for ch; if the deadline fires first it aborts the
// session and keeps waiting (abort makes every wait finish).
func (s *Session) waitOrAbort(ch <-chan struct{}, deadline <-chan time.Time) {
	select {
	case <-ch:
	case <-deadline:
		s.abort(errors.New("drain timed out"))
		<-ch
	}
}

// waitStreams returns a channel closed when every handler returned.
func (s *Session) waitStreams() <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		s.streams.Wait()
		close(ch)
	}()
	return ch
}

// replyProtocolError queues the protocol's error reply for malformed
// input after the answers already owed.
func (s *Session) replyProtocolError(pe *codecs.ProtocolError) {
	select {
	case s.slots <- struct{}{}:
	default:
		return // no room: closing is answer enough
	}
	st := newStream(s)
	st.local = s.sc.AppendError(st.local, nil, codecs.StatusBadRequest, pe.Error())
	s.w.admit(st)
	s.w.complete(st, nil)
}

// closeResources releases the read buffer and session values.
func (s *Session) closeResources() {
	s.rd.Close()
	s.values.close()
}

// Lingering close bounds.
const (
	lingerTimeout = 500 * time.Millisecond
	lingerBytes   = 256 << 10
)

// linger half-closes the connection and discards what the client still
// sends for a moment. Closing a socket with unread input makes the
// kernel send a reset, which can destroy the answers (a protocol error
// reply, the last answers of a drain) before the client reads them.
func (s *Session) linger() {
	cw, ok := s.conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	if s.conn.SetReadDeadline(time.Now().Add(lingerTimeout)) != nil {
		return
	}
	buf := make([]byte, 4096)
	for n := 0; n < lingerBytes; {
		m, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		n += m
	}
}

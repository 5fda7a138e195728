package session

import (
	"errors"
	"os"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/readbuf"
)

// fill reads more bytes, handling the idle timeout and Drain's wake-up.
func (s *Session) fill(hint int) error {
	for {
		if err := s.armIdle(); err != nil {
			return err
		}
		err := s.rd.Fill(hint)
		switch {
		case err == nil:
			s.touch()
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			if s.isDraining() {
				return errDrain
			}
			if s.idleExpired() {
				return ErrIdle
			}
		case errors.Is(err, readbuf.ErrTooLarge):
			return codecs.ProtocolErrorf(s.cfg.Codec.Name(), -1, "no complete frame in %d bytes: %w",
				len(s.rd.Bytes()), codecs.ErrFrameTooLarge)
		case errors.Is(err, readbuf.ErrStopped):
			return s.stopCause()
		default:
			return err
		}
	}
}

// armIdle sets the read deadline for the idle timeout, re-arming only
// when half of it has passed. It fails with errDrain once draining, so a
// deadline can never overwrite Drain's wake-up.
func (s *Session) armIdle() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return errDrain
	}
	d := s.cfg.IdleTimeout
	if d <= 0 {
		return nil
	}
	now := time.Now()
	if s.armedTill.Sub(now) > d/2 {
		return nil
	}
	s.armedTill = now.Add(d)
	return s.conn.SetReadDeadline(s.armedTill)
}

func (s *Session) isDraining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// idleExpired reports an idle timeout: nothing in flight and no traffic
// for IdleTimeout. Otherwise it clears the deadline so armIdle re-arms.
func (s *Session) idleExpired() bool {
	idle := time.Since(time.Unix(0, s.lastActive.Load()))
	if s.InFlight() == 0 && idle >= s.cfg.IdleTimeout {
		return true
	}
	s.mu.Lock()
	s.armedTill = time.Time{}
	s.mu.Unlock()
	return false
}

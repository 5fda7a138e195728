package session

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/readbuf"
	"github.com/sidewire/sidewire/proxy/pool"
)

// Session is one downstream connection. Create it with New and run it
// with Serve.
type Session struct {
	conn net.Conn
	cfg  Config
	sc   codecs.ServerCodec
	w    *writer
	rd   *readbuf.Reader
	// batch collects the upstream writes of the requests an inline
	// handler serves from one read; owned by the read goroutine.
	batch pool.Batch
	// ctx is the handlers' context, canceled by abort. Serve sets it
	// before starting the read loop, which starts every stream.
	ctx     context.Context
	cancel  context.CancelFunc // guarded by mu
	slots   chan struct{}      // MaxInFlight semaphore
	streams sync.WaitGroup
	quit    chan struct{} // closed by Drain and abort: stop reading
	done    chan struct{} // closed when Serve has finished

	mu        sync.Mutex // guards the fields below
	started   bool
	draining  bool
	quitOnce  bool
	abortErr  error
	armedTill time.Time // read deadline set for the idle timeout

	lastActive atomic.Int64 // unix nanos of the last read or write
	values     values
}

// New returns a session for conn. It does nothing until Serve.
// cfg.Codec and cfg.Handler are required: New panics without them, as
// that is a programming error, not a runtime condition.
func New(conn net.Conn, cfg Config) *Session {
	if cfg.Codec == nil || cfg.Handler == nil {
		panic("session: Config.Codec and Config.Handler are required")
	}
	cfg = cfg.withDefaults()
	s := &Session{
		conn:  conn,
		cfg:   cfg,
		sc:    cfg.Codec.NewServerCodec(cfg.Limits),
		slots: make(chan struct{}, cfg.MaxInFlight),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.w = newWriter(s, cfg.Codec.Mode() != codecs.Multiplex, tryWriterOf(conn))
	s.rd = readbuf.New(readerOf(conn), readbuf.Options{
		Limit:    cfg.BufferLimit,
		MaxFrame: cfg.Limits.MaxFrameSize,
		Done:     s.quit,
	})
	return s
}

// Conn returns the downstream connection.
func (s *Session) Conn() net.Conn { return s.conn }

// InFlight returns the requests decoded and not yet answered.
func (s *Session) InFlight() int { return len(s.slots) }

// Done is closed when Serve has returned.
func (s *Session) Done() <-chan struct{} { return s.done }

// Serve runs the session until it ends (see the package doc) and closes
// the connection. ctx cancels handlers and ends the session like Close.
// It returns nil for an orderly end (client EOF, Drain, idle timeout),
// the *codecs.ProtocolError for malformed input, or the I/O error.
func (s *Session) Serve(ctx context.Context) error {
	s.mu.Lock()
	if s.started || s.abortErr != nil {
		s.mu.Unlock()
		return ErrClosed
	}
	s.started = true
	s.cancel() // replace the placeholder: handlers inherit ctx's values
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	defer close(s.done)
	stop := context.AfterFunc(ctx, func() { s.abort(ctx.Err()) })
	defer stop()
	s.touch()
	go s.w.loop()
	err := s.readLoop()
	return s.finish(err)
}

// Drain stops reading requests, waits for in-flight ones to be answered,
// then closes the connection. If ctx ends first the session is closed
// at once. It returns when Serve has finished.
func (s *Session) Drain(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	_ = s.conn.SetReadDeadline(time.Unix(1, 0)) // wake a blocked read
	s.stopReading()
	started := s.started
	s.mu.Unlock()
	if !started {
		return s.Close()
	}
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.abort(ctx.Err())
		<-s.done
		return ctx.Err()
	}
}

// Close ends the session at once: in-flight handlers see their context
// canceled and unwritten answers are dropped. It returns when Serve has
// finished (at once if Serve never ran).
func (s *Session) Close() error {
	if s.abort(ErrClosed) {
		<-s.done
	} else {
		s.closeResources()
	}
	return nil
}

// abort closes the connection and cancels handlers; the first cause is
// kept. It reports whether Serve had started (and so will finish).
func (s *Session) abort(cause error) bool {
	s.mu.Lock()
	if s.abortErr == nil {
		s.abortErr = cause
	}
	s.stopReading()
	started, cancel := s.started, s.cancel
	s.mu.Unlock()
	cancel()
	_ = s.conn.Close()
	return started
}

// stopReading closes quit once; s.mu must be held.
func (s *Session) stopReading() {
	if !s.quitOnce {
		s.quitOnce = true
		close(s.quit)
	}
}

// Push writes an unsolicited frame (a server push from a bound upstream
// connection) after the answers already queued. The session takes
// ownership of r; it is released unwritten if the session has ended.
func (s *Session) Push(r pool.Response) {
	select {
	case <-s.quit:
		r.Release()
		return
	case s.slots <- struct{}{}:
	}
	s.mu.Lock()
	if s.quitOnce { // finishing: the writer may be gone
		s.mu.Unlock()
		<-s.slots
		r.Release()
		return
	}
	s.streams.Add(1)
	s.mu.Unlock()
	defer s.streams.Done()
	st := newStream(s)
	st.Request.ID = r.Frame.ID
	st.Respond(r)
	s.w.admit(st)
	s.w.complete(st, nil)
}

// release returns a written stream's slot and recycles it.
func (s *Session) release(st *Stream) {
	st.recycle()
	<-s.slots
}

// touch records activity for the idle timeout.
// It reads the clock only when an idle timeout is configured.
func (s *Session) touch() {
	if s.cfg.IdleTimeout > 0 {
		s.lastActive.Store(time.Now().UnixNano())
	}
}

// ServeDraining is Serve for a listener's connection: when draining is
// closed before the session ends, onDrain is called and the session
// drains (stops reading, answers what is in flight, then closes; ctx
// bounds it).
func (s *Session) ServeDraining(ctx context.Context, draining <-chan struct{}, onDrain func()) error {
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		select {
		case <-draining:
			if onDrain != nil {
				onDrain()
			}
			_ = s.Drain(ctx)
		case <-stop:
		}
	}()
	err := s.Serve(ctx)
	close(stop)
	<-drained
	return err
}

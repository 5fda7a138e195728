package peer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// Behavior scripts a Server.
type Behavior struct {
	// MaxDelay delays each answer by a random duration up to MaxDelay.
	// Multiplexed servers answer concurrently, hence out of order;
	// pipelined ones answer in order.
	MaxDelay time.Duration
	// SlowDelay delays answers to method "SLOW".
	SlowDelay time.Duration
	// DieAfter closes a connection, unanswered, when it receives its
	// DieAfter-th request (0: never).
	DieAfter int
	// IgnoreHeartbeats leaves heartbeats unanswered.
	IgnoreHeartbeats bool
	// HeartbeatEvery sends the client a heartbeat this often (0: never).
	HeartbeatEvery time.Duration
}

// Server is an upstream lenframe server on a loopback port. Answers:
// method "FAIL" gets a StatusError response, method "PUSH" an extra push
// event after its response, method "EXTRA" an unsolicited second
// response; every other request gets Replies responses whose body is
// Answer(request, i).
type Server struct {
	ln       net.Listener
	fl       lenframe.Flavour
	b        Behavior
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted atomic.Int64
	requests atomic.Int64
	oneway   atomic.Int64
	beats    atomic.Int64 // heartbeats received
	acks     atomic.Int64 // heartbeat replies received
}

// Answer is the body a Server answers the i-th response of a request
// with.
func Answer(method, key, body string, i int) string {
	return fmt.Sprintf("re:%s:%s:%s#%d", method, key, body, i)
}

// Listen starts a server; Close stops it.
func Listen(fl lenframe.Flavour, b Behavior) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{ln: ln, fl: fl, b: b, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the server's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Accepted counts accepted connections.
func (s *Server) Accepted() int { return int(s.accepted.Load()) }

// Live counts open connections.
func (s *Server) Live() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Requests counts requests received (one-way included).
func (s *Server) Requests() int { return int(s.requests.Load()) }

// OneWay counts one-way requests received.
func (s *Server) OneWay() int { return int(s.oneway.Load()) }

// Heartbeats counts heartbeats received from clients.
func (s *Server) Heartbeats() int { return int(s.beats.Load()) }

// HeartbeatAcks counts answers to the server's own heartbeats.
func (s *Server) HeartbeatAcks() int { return int(s.acks.Load()) }

// Close stops accepting, closes every connection and waits.
func (s *Server) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// CloseConns closes the current connections, keeping the listener.
func (s *Server) CloseConns() {
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			newServerConn(s, c).serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// serverConn is one accepted connection.
type serverConn struct {
	s     *Server
	c     net.Conn
	wmu   sync.Mutex
	wg    sync.WaitGroup
	done  chan struct{}      // closed when the read loop ends
	queue chan *codecs.Frame // pipelined answers, in order
	seen  int
}

func newServerConn(s *Server, c net.Conn) *serverConn {
	return &serverConn{s: s, c: c, done: make(chan struct{}), queue: make(chan *codecs.Frame, 1<<16)}
}

func (sc *serverConn) serve() {
	defer sc.wg.Wait()
	defer close(sc.done)
	defer sc.c.Close()
	if d := sc.s.b.HeartbeatEvery; d > 0 {
		sc.wg.Add(1)
		go sc.heartbeats(d)
	}
	if sc.s.fl == lenframe.Pipelined {
		sc.wg.Add(1)
		go sc.answerInOrder()
	}
	dec := lenframe.New(sc.s.fl).NewServerCodec(codecs.Limits{})
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
	for {
		f, n, err := dec.Decode(buf)
		if err == codecs.ErrNeedMore {
			m, rerr := sc.c.Read(tmp)
			if rerr != nil {
				return
			}
			buf = append(buf, tmp[:m]...)
			continue
		}
		if err != nil {
			return
		}
		raw := append([]byte(nil), f.Raw...)
		buf = append(buf[:0], buf[n:]...)
		if !sc.handle(raw) {
			return
		}
	}
}

// handle answers one frame; false closes the connection.
func (sc *serverConn) handle(raw []byte) bool {
	f, _, _ := lenframe.New(sc.s.fl).NewServerCodec(codecs.Limits{}).Decode(raw)
	switch f.Kind {
	case codecs.KindEvent:
		sc.s.beats.Add(1)
		if !sc.s.b.IgnoreHeartbeats {
			sc.write(lenframe.New(sc.s.fl).NewServerCodec(codecs.Limits{}).AppendEventResponse(nil, &f))
		}
		return true
	case codecs.KindEventReply:
		sc.s.acks.Add(1)
		return true
	}
	sc.s.requests.Add(1)
	sc.seen++
	if sc.s.b.DieAfter > 0 && sc.seen >= sc.s.b.DieAfter {
		return false
	}
	if f.Kind == codecs.KindOneWay {
		sc.s.oneway.Add(1)
		return true
	}
	if sc.s.fl == lenframe.Multiplexed {
		delay := sc.delay(string(f.Attrs.Method))
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			if sleep(delay, sc.done) {
				sc.write(sc.answer(&f))
			}
		}()
		return true
	}
	sc.queue <- &f
	return true
}

// answerInOrder answers pipelined requests one after the other, each
// after its delay, while the read loop keeps reading.
func (sc *serverConn) answerInOrder() {
	defer sc.wg.Done()
	for {
		select {
		case f := <-sc.queue:
			if !sleep(sc.delay(string(f.Attrs.Method)), sc.done) {
				return
			}
			sc.write(sc.answer(f))
		case <-sc.done:
			return
		}
	}
}

func (sc *serverConn) delay(method string) time.Duration {
	if method == "SLOW" {
		return sc.s.b.SlowDelay
	}
	if m := sc.s.b.MaxDelay; m > 0 {
		return rand.N(m)
	}
	return 0
}

// answer encodes the responses (and extras) for request f.
func (sc *serverConn) answer(f *codecs.Frame) []byte {
	fl := sc.s.fl
	method, key, body := string(f.Attrs.Method), string(f.Attrs.Key(0)), string(fl.Body(f))
	var out []byte
	if method == "FAIL" {
		return fl.AppendResponse(out, f.ID, codecs.StatusError, "failed")
	}
	replies := int(f.Raw[3])
	for i := 0; i < replies; i++ {
		out = fl.AppendResponse(out, f.ID, codecs.StatusOK, Answer(method, key, body, i))
	}
	switch method {
	case "PUSH":
		out = fl.Append(out, lenframe.Header{Kind: codecs.KindEvent}, []byte("push:"+key))
	case "EXTRA":
		out = fl.AppendResponse(out, f.ID, codecs.StatusOK, "extra")
	}
	return out
}

func (sc *serverConn) write(b []byte) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_, _ = sc.c.Write(b)
}

func (sc *serverConn) heartbeats(every time.Duration) {
	defer sc.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for id := uint64(1 << 40); ; id++ {
		select {
		case <-sc.done:
			return
		case <-t.C:
			sc.write(sc.s.fl.Append(nil, lenframe.Header{Kind: codecs.KindEvent, Aux: 1, ID: id}, []byte("srv")))
		}
	}
}

// sleep waits d or until done closes; it reports whether d elapsed.
func sleep(d time.Duration, done <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// ErrClosed is returned by Client calls on a closed connection.
var ErrClosed = errors.New("peer: connection closed")

package pool

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/readbuf"
	"github.com/sidewire/sidewire/internal/sockio"
)

// conn is one upstream connection with its reader and writer goroutines.
type conn struct {
	nc      net.Conn
	tw      TryWriter // nc's non-blocking write, if it has one
	proto   string    // codec name, for errors
	cc      codecs.ClientCodec
	opt     *Options
	mux     bool           // at most one response per request
	onEvent func(Response) // server pushes; nil drops them

	mu     sync.Mutex
	match  matcher
	wbuf   []byte // requests not yet handed to the writer
	spare  []byte // the buffer last written, to queue into next
	queued int64  // bytes ever appended to wbuf
	// writing marks a write in progress (see conn_flush.go); deferred
	// marks the connection deferred to a Batch that has not run yet.
	writing, deferred bool
	closed            bool
	cause             error // why the connection closed
	// toTimer watches the deadlines of asynchronous calls while toArmed.
	toTimer *time.Timer
	toArmed bool
	toAt    int64 // when the armed timer fires (unix nanos)

	written  atomic.Int64 // bytes the writer has written
	lastRead atomic.Int64 // unix nanos of the last read, for heartbeats
	hbBusy   atomic.Bool  // a heartbeat is unanswered
	wake     chan struct{}
	done     chan struct{}  // closed when the connection fails
	slots    chan struct{}  // MaxPending semaphore
	wg       sync.WaitGroup // this connection's goroutines
	owner    *sync.WaitGroup
}

// connConfig is what a connection needs from its pool.
type connConfig struct {
	codec   codecs.Codec
	opt     *Options
	mux     bool
	onEvent func(Response)
	wg      *sync.WaitGroup // the owner's count of connection goroutines
}

func newConn(nc net.Conn, cfg connConfig) *conn {
	var m matcher = &fifo{}
	if cfg.mux {
		m = newIDMap()
	}
	opt := cfg.opt
	c := &conn{
		nc: nc, proto: cfg.codec.Name(), cc: cfg.codec.NewClientCodec(opt.Limits), opt: opt,
		match: m, mux: cfg.mux, onEvent: cfg.onEvent, owner: cfg.wg,
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
		slots: make(chan struct{}, opt.MaxPending),
	}
	c.tw = tryWriterOf(nc)
	c.lastRead.Store(time.Now().UnixNano())
	c.wg.Add(2)
	if c.owner != nil {
		c.owner.Add(2)
	}
	go c.readLoop()
	go c.writeLoop()
	return c
}

func (c *conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// exit marks one of the connection's goroutines finished.
func (c *conn) exit() {
	c.wg.Done()
	if c.owner != nil {
		c.owner.Done()
	}
}

// newReader returns the read buffer of the connection.
func (c *conn) newReader() *readbuf.Reader {
	return readbuf.New(c.nc, readbuf.Options{
		Limit:    c.opt.BufferLimit,
		MaxFrame: c.opt.Limits.MaxFrameSize,
		Done:     c.done,
	})
}

// tryWriterOf returns nc's non-blocking writer: its own, or one for a
// plain TCP connection; nil for others (TLS, test pipes).
func tryWriterOf(nc net.Conn) TryWriter {
	if tw, ok := nc.(TryWriter); ok {
		return tw
	}
	if _, ok := nc.(*net.TCPConn); ok {
		if w := sockio.New(nc); w != nil {
			return w
		}
	}
	return nil
}

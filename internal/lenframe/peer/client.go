package peer

import (
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
	"github.com/sidewire/sidewire/internal/ring"
)

// Reply is one response a Client received.
type Reply struct {
	Kind   codecs.Kind
	ID     uint64
	Status codecs.Status
	Body   string
}

// Client is a downstream lenframe client on one connection. Calls may
// run concurrently: pipelined clients match answers in order,
// multiplexed ones by id.
type Client struct {
	c      net.Conn
	fl     lenframe.Flavour
	mu     sync.Mutex
	nextID uint64
	fifo   ring.Ring[*waiter]
	byID   map[uint64]*waiter
	err    error
	seen   []codecs.Kind // kinds in arrival order
	pushes chan Reply
	done   chan struct{}
}

type waiter struct {
	want    int
	replies []Reply
	ch      chan struct{}
}

// Dial connects a client.
func Dial(addr string, fl lenframe.Flavour) (*Client, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	cl := &Client{c: c, fl: fl, byID: map[uint64]*waiter{}, pushes: make(chan Reply, 1024), done: make(chan struct{})}
	go cl.read()
	return cl, nil
}

// Conn returns the client's connection.
func (cl *Client) Conn() net.Conn { return cl.c }

// Pushes delivers events and event replies the server sent.
func (cl *Client) Pushes() <-chan Reply { return cl.pushes }

// Done is closed when the connection is closed and all calls failed.
func (cl *Client) Done() <-chan struct{} { return cl.done }

// Close closes the connection and waits for the reader.
func (cl *Client) Close() error {
	err := cl.c.Close()
	<-cl.done
	return err
}

// Call sends a request expecting replies answers (0: one-way) and waits
// up to timeout for them.
func (cl *Client) Call(method, key, body string, replies int, timeout time.Duration) ([]Reply, error) {
	w := &waiter{want: replies, ch: make(chan struct{})}
	cl.mu.Lock()
	if cl.err != nil {
		cl.mu.Unlock()
		return nil, cl.err
	}
	cl.nextID++
	id := cl.nextID
	if replies > 0 {
		if cl.fl == lenframe.Multiplexed {
			cl.byID[id] = w
		} else {
			cl.fifo.Push(w)
		}
	}
	_, err := cl.c.Write(cl.fl.AppendRequest(nil, id, byte(replies), method, key, body))
	cl.mu.Unlock()
	if err != nil || replies == 0 {
		return nil, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.ch:
		return w.replies, nil
	case <-cl.done:
		select {
		case <-w.ch: // answered just before the connection closed
			return w.replies, nil
		default:
			return nil, ErrClosed
		}
	case <-t.C:
		return nil, fmt.Errorf("peer: call %s %s: no answer in %v", method, key, timeout)
	}
}

// Arrivals returns the kinds of the frames received, in order.
func (cl *Client) Arrivals() []codecs.Kind {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return append([]codecs.Kind(nil), cl.seen...)
}

// Send writes raw bytes on the connection.
func (cl *Client) Send(b []byte) error {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	_, err := cl.c.Write(b)
	return err
}

func (cl *Client) read() {
	defer close(cl.done)
	dec := lenframe.New(cl.fl).NewClientCodec(codecs.Limits{})
	var buf []byte
	tmp := make([]byte, 32<<10)
	for {
		f, n, err := dec.Decode(buf)
		switch {
		case err == codecs.ErrNeedMore:
			m, rerr := cl.c.Read(tmp)
			if rerr != nil {
				cl.fail(rerr)
				return
			}
			buf = append(buf, tmp[:m]...)
			continue
		case err != nil:
			cl.fail(err)
			return
		}
		r := Reply{Kind: f.Kind, ID: f.ID, Status: f.Attrs.Status, Body: string(cl.fl.Payload(f.Raw))}
		cl.mu.Lock()
		cl.seen = append(cl.seen, f.Kind)
		cl.mu.Unlock()
		if f.Kind == codecs.KindEvent || f.Kind == codecs.KindEventReply {
			select {
			case cl.pushes <- r:
			default:
			}
		} else {
			cl.deliver(r)
		}
		buf = buf[n:]
	}
}

func (cl *Client) deliver(r Reply) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	var w *waiter
	if cl.fl == lenframe.Multiplexed {
		w = cl.byID[r.ID]
	} else {
		w, _ = cl.fifo.Peek()
	}
	if w == nil {
		cl.err = fmt.Errorf("peer: unexpected reply %+v", r)
		return
	}
	w.replies = append(w.replies, r)
	if len(w.replies) == w.want || r.Status != codecs.StatusOK { // an error ends a call
		if cl.fl == lenframe.Multiplexed {
			delete(cl.byID, r.ID)
		} else {
			cl.fifo.Pop()
		}
		close(w.ch)
	}
}

func (cl *Client) fail(err error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.err == nil {
		cl.err = fmt.Errorf("%w: %w", ErrClosed, err)
	}
}

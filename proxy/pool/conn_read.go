package pool

import (
	"errors"
	"fmt"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/readbuf"
)

// readLoop decodes frames from the connection and dispatches them. The
// downstream writes the responses cause are batched: they are flushed
// once every buffered response has been dispatched.
func (c *conn) readLoop() {
	defer c.exit()
	rd := c.newReader()
	defer rd.Close()
	var batch Batch
	defer batch.Run()
	hb := c.opt.HeartbeatInterval > 0
	for {
		b := rd.Bytes()
		hint := 0
		if len(b) > 0 {
			f, n, err := c.cc.Decode(b)
			switch {
			case err == nil && n > 0 && n <= len(b):
				if err := c.dispatch(&batch, &f, rd.Take(n)); err != nil {
					c.fail("receive response", err)
					return
				}
				continue
			case err == nil:
				c.fail("receive response", fmt.Errorf("decode response: codec consumed %d of %d bytes", n, len(b)))
				return
			case err != codecs.ErrNeedMore:
				c.fail("receive response", err)
				return
			}
			hint = n
		}
		batch.Run()
		if err := rd.Fill(hint); err != nil {
			if errors.Is(err, readbuf.ErrTooLarge) {
				err = codecs.ProtocolErrorf(c.proto, -1, "buffered %d bytes: %w", len(rd.Bytes()), codecs.ErrFrameTooLarge)
			}
			c.fail("receive response", err)
			return
		}
		if hb {
			c.lastRead.Store(time.Now().UnixNano())
		}
	}
}

// dispatch routes one decoded frame; buf holds its bytes. It returns an
// error for frames that break the protocol's matching.
func (c *conn) dispatch(b *Batch, f *codecs.Frame, buf *readbuf.Chunk) error {
	switch f.Kind {
	case codecs.KindResponse, codecs.KindEventReply:
		c.mu.Lock()
		cl, last := c.match.take(f.ID)
		c.mu.Unlock()
		if cl == nil {
			buf.Release()
			if c.mux {
				return nil // the answer to a request that timed out
			}
			return fmt.Errorf("%w: %s with no request pending", ErrUnexpectedFrame, f.Kind)
		}
		if f.Kind == codecs.KindEventReply && !cl.heartbeat {
			buf.Release()
			return fmt.Errorf("%w: event reply to a request", ErrUnexpectedFrame)
		}
		f.ID = cl.reqID
		cl.resps = append(cl.resps, Response{Frame: *f, buf: buf})
		if last {
			c.complete(b, cl)
		}
		return nil
	case codecs.KindEvent:
		c.event(*f, buf)
		return nil
	}
	buf.Release()
	return fmt.Errorf("%w: %s", ErrUnexpectedFrame, f.Kind)
}

// event answers a server heartbeat or hands a push to onEvent.
// It takes f by value: handing a pointer to the codec interface would
// move every decoded frame to the heap.
func (c *conn) event(f codecs.Frame, buf *readbuf.Chunk) {
	c.mu.Lock()
	n := len(c.wbuf)
	if !c.closed {
		c.wbuf = c.cc.AppendEventResponse(c.wbuf, &f)
		c.queued += int64(len(c.wbuf) - n)
	}
	answered := len(c.wbuf) > n
	c.mu.Unlock()
	switch {
	case answered:
		c.kick()
		buf.Release()
	case c.onEvent != nil:
		c.onEvent(Response{Frame: f, buf: buf})
	default:
		buf.Release()
	}
}

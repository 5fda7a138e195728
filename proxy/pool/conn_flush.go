package pool

// Writing. Queued request bytes (conn.wbuf) are written by whoever gets
// there first: the Flush of a Batch, on the goroutine that queued them,
// or the writer goroutine, woken by requests queued without a batch.
// conn.writing marks the one write in progress; requests queued during
// it are written by the same writer right after, in one call.

// maxInlineRounds bounds the writes one Flush makes on behalf of other
// goroutines that keep queuing; the writer goroutine then takes over.
const maxInlineRounds = 4

var _ Flusher = (*conn)(nil)

// Flush implements Flusher: it writes the queued requests on the calling
// goroutine, unless a write is in progress (whose writer writes them).
func (c *conn) Flush() {
	c.mu.Lock()
	c.deferred = false
	if c.writing || c.closed || len(c.wbuf) == 0 {
		c.mu.Unlock()
		return
	}
	c.writing = true
	out := c.takeLocked()
	c.mu.Unlock()
	c.drain(out, maxInlineRounds)
}

// takeLocked takes the queued bytes, leaving the spare buffer to queue
// into. c.mu is held.
func (c *conn) takeLocked() []byte {
	out := c.wbuf
	c.wbuf, c.spare = c.spare[:0], nil
	return out
}

// drain writes out and then what was queued meanwhile, for at most
// rounds write calls (0: until nothing is queued), and ends the write in
// progress. It reports false when the connection failed.
func (c *conn) drain(out []byte, rounds int) bool {
	for i := 1; ; i++ {
		if err := c.write(out); err != nil {
			c.fail("send request", err)
			return false
		}
		c.written.Add(int64(len(out)))
		if cap(out) > maxKeptWriteBuf {
			out = nil
		}
		c.mu.Lock()
		if len(c.wbuf) == 0 || c.closed || rounds > 0 && i >= rounds {
			more := len(c.wbuf) > 0 && !c.closed
			c.writing, c.spare = false, out[:0]
			c.mu.Unlock()
			if more {
				c.kick()
			}
			return true
		}
		out, c.wbuf = c.wbuf, out[:0]
		c.mu.Unlock()
	}
}

// TryWriter is a connection that can write without blocking (see
// package sockio): TryWrite writes what the socket takes at once and
// returns how much that was. Connections that implement it are written
// with a raw non-blocking write first, the rest with Write.
type TryWriter interface {
	TryWrite(b []byte) (int, error)
}

// write writes b to the connection.
func (c *conn) write(b []byte) error {
	n := 0
	if c.tw != nil {
		var err error
		if n, err = c.tw.TryWrite(b); err != nil || n == len(b) {
			return err
		}
	}
	_, err := c.nc.Write(b[n:])
	return err
}

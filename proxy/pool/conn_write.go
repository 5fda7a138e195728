package pool

import (
	"runtime"
	"time"
)

// maxKeptWriteBuf is the largest write batch buffer kept for reuse.
const maxKeptWriteBuf = 1 << 20

// writeLoop writes queued bytes, one write call per batch: requests
// queued while a write is in progress go out together in the next one.
func (c *conn) writeLoop() {
	defer c.exit()
	var tick <-chan time.Time
	if d := c.opt.HeartbeatInterval; d > 0 {
		t := time.NewTicker(d)
		defer t.Stop()
		tick = t.C
	}
	var hbSent time.Time
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		case now := <-tick:
			if !c.heartbeat(now, &hbSent) {
				return
			}
		}
		// Let the goroutines that are ready to queue requests run
		// first, so they share this write call.
		runtime.Gosched()
		c.mu.Lock()
		if c.writing || len(c.wbuf) == 0 {
			c.mu.Unlock()
			continue
		}
		c.writing = true
		out := c.takeLocked()
		c.mu.Unlock()
		if !c.drain(out, 0) {
			return
		}
	}
}

// heartbeat queues a heartbeat on a connection idle for an interval and
// fails one whose heartbeat went unanswered for HeartbeatTimeout. It
// returns false when it failed the connection.
func (c *conn) heartbeat(now time.Time, sent *time.Time) bool {
	idle := now.Sub(time.Unix(0, c.lastRead.Load()))
	if idle < c.opt.HeartbeatInterval {
		return true
	}
	if c.hbBusy.Load() {
		if now.Sub(*sent) >= c.opt.HeartbeatTimeout {
			c.fail("receive response", ErrHeartbeat)
			return false
		}
		return true
	}
	cl := getCall()
	cl.want, cl.heartbeat = 1, true
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		putCall(cl)
		return false
	}
	cl.id = c.match.nextID()
	n := len(c.wbuf)
	c.wbuf = c.cc.AppendHeartbeat(c.wbuf, cl.id)
	if len(c.wbuf) == n {
		putCall(cl) // the protocol has no heartbeat
		return true
	}
	cl.start = c.queued
	c.queued += int64(len(c.wbuf) - n)
	cl.end = c.queued
	c.match.add(cl)
	c.hbBusy.Store(true)
	*sent = now
	return true
}

package session

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/readbuf"
	"github.com/sidewire/sidewire/proxy/pool"
)

// maxKeptLocal is the largest local reply buffer a recycled stream keeps.
const maxKeptLocal = 64 << 10

// Stream is one request and its answer. The handler chain fills the
// answer: upstream responses (Forward, Respond) are written first, then
// local reply bytes (Reply, ReplyError), all in one piece. A one-way
// request whose handler adds nothing gets no answer.
type Stream struct {
	// Request is the decoded request; see the package doc for how long
	// its bytes live. Handlers may read it, not retain it.
	Request codecs.Frame
	// Start is when the request was decoded.
	Start time.Time

	sess  *Session
	buf   *readbuf.Chunk
	resps []pool.Response
	local []byte
	err   error
	done  bool // answer complete; guarded by the writer's lock
	// holds counts the parties that must finish before the answer is
	// final: the handler's return, plus one per Hold.
	holds atomic.Int32
	// heldErr is the error passed to Complete.
	heldErr error
}

var streams = sync.Pool{New: func() any { return new(Stream) }}

func newStream(s *Session) *Stream {
	st := streams.Get().(*Stream)
	st.sess = s
	st.holds.Store(1)
	return st
}

// Session returns the session the stream belongs to.
func (st *Stream) Session() *Session { return st.sess }

// Forward sends the request through rt and adds the responses to the
// answer. On error it adds nothing and returns the pool's error.
func (st *Stream) Forward(ctx context.Context, rt pool.RoundTripper) error {
	var err error
	st.resps, err = rt.RoundTrip(ctx, &st.Request, st.resps)
	return err
}

// Respond adds a response to the answer; the stream takes ownership.
func (st *Stream) Respond(r pool.Response) { st.resps = append(st.resps, r) }

// Responses returns the responses added so far, for middleware that
// inspects them after the chain returns. They stay owned by the stream.
func (st *Stream) Responses() []pool.Response { return st.resps }

// Reply appends local reply bytes (already encoded in the protocol) to
// the answer, copying b.
func (st *Stream) Reply(b []byte) { st.local = append(st.local, b...) }

// ReplyError appends a local error reply in the protocol's own format.
func (st *Stream) ReplyError(status codecs.Status, msg string) {
	st.local = st.sess.sc.AppendError(st.local, &st.Request, status, msg)
}

// Answered reports whether anything will be written for the stream.
func (st *Stream) Answered() bool { return len(st.resps) > 0 || len(st.local) > 0 }

// Err returns the error the handler chain returned.
func (st *Stream) Err() error { return st.err }

// Hold keeps the answer open after the handler returns, until Complete.
// Call it before starting the work that will call Complete (which may
// finish before the handler returns). Every Hold needs one Complete.
func (st *Stream) Hold() { st.holds.Add(1) }

// Complete ends a Hold, with the error a handler would have returned.
// The last of the handler's return and the Completes makes the answer
// final and hands the stream to the writer: after that the stream must
// not be touched. Non-nil errors are kept in order of arrival, the first
// one winning.
func (st *Stream) Complete(err error) { st.CompleteIn(nil, err) }

// CompleteIn is Complete on a goroutine running the pool.Batch b (a
// pool.Completion's): the answer's write is deferred to the batch, so
// answers completed together are written together, by that goroutine.
func (st *Stream) CompleteIn(b *pool.Batch, err error) {
	if err != nil {
		st.heldErr = err
	}
	st.release(b, nil)
}

// Batch returns the batch of the session's read goroutine, for inline
// handlers (Config.Inline) to defer their upstream writes to: they are
// flushed once the requests read together have all been served. Other
// handlers get nil.
func (st *Stream) Batch() *pool.Batch {
	if !st.sess.cfg.Inline {
		return nil
	}
	return &st.sess.batch
}

// served ends the handler's part with its returned error. An inline
// handler's answer is written at the end of the read batch.
func (st *Stream) served(err error) {
	st.release(st.Batch(), err)
}

// release drops one hold; the last one finishes the stream.
func (st *Stream) release(b *pool.Batch, err error) {
	if err != nil && st.err == nil {
		st.err = err
	}
	if st.holds.Add(-1) > 0 {
		return
	}
	if st.err == nil {
		st.err = st.heldErr
	}
	s := st.sess
	st.finish(st.err)
	s.w.complete(st, b)
	s.streams.Done()
}

// finish records the handler's error and, for a request that expects an
// answer and has none, answers with an error reply.
func (st *Stream) finish(err error) {
	st.err = err
	if err != nil && st.Request.Kind == codecs.KindRequest && !st.Answered() {
		st.ReplyError(codecs.StatusOf(err), err.Error())
	}
}

// appendTo encodes the answer onto dst and releases the responses.
func (st *Stream) appendTo(dst []byte, sc codecs.ServerCodec) []byte {
	for i := range st.resps {
		r := &st.resps[i]
		dst = sc.AppendResponse(dst, &r.Frame, st.Request.ID)
		r.Release()
	}
	return append(dst, st.local...)
}

// recycle releases what the stream holds and returns it to the pool.
func (st *Stream) recycle() {
	pool.ReleaseAll(st.resps)
	clear(st.resps)
	st.resps = st.resps[:0]
	st.buf.Release()
	st.buf = nil
	if cap(st.local) > maxKeptLocal {
		st.local = nil
	}
	st.local = st.local[:0]
	st.Request = codecs.Frame{}
	st.Start, st.sess, st.err, st.done, st.heldErr = time.Time{}, nil, nil, false, nil
	streams.Put(st)
}

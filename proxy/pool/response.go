package pool

import (
	"context"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/readbuf"
)

// Response is one response frame and the read buffer reference that
// keeps its bytes alive. Frame.ID is the id of the caller's request
// (restored after id rewriting); Frame.Raw may still carry the upstream
// id, so forward it with ServerCodec.AppendResponse.
//
// A Response built by hand (Response{Frame: f}) owns nothing; its Release
// is a no-op, which lets filters answer with static frames.
type Response struct {
	Frame codecs.Frame
	buf   *readbuf.Chunk
}

// Release gives the response's bytes back to the pool. Frame must not be
// used afterwards. Releasing twice is a no-op.
func (r *Response) Release() {
	r.buf.Release()
	r.buf = nil
}

// ReleaseAll releases every response in rs.
func ReleaseAll(rs []Response) {
	for i := range rs {
		rs[i].Release()
	}
}

// RoundTripper sends a request upstream and waits for its responses.
type RoundTripper interface {
	// RoundTrip sends req and appends its responses to dst (none for a
	// one-way request). It reads req only until it returns. On error the
	// returned slice is dst unchanged; the error is an *Error, whose
	// CodecStatus tells how to answer downstream.
	RoundTrip(ctx context.Context, req *codecs.Frame, dst []Response) ([]Response, error)
}

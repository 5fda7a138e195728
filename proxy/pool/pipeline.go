package pool

import (
	"context"

	"github.com/sidewire/sidewire/codecs"
)

// Pipeline is a pool of shared connections whose responses come back in
// request order (Redis, Kafka).
type Pipeline struct {
	g *group
}

var _ RoundTripper = (*Pipeline)(nil)

// NewPipeline returns a pipeline pool to the endpoint d dials, speaking
// codec c. It dials nothing until the first request.
func NewPipeline(d Dialer, c codecs.Codec, opt Options) *Pipeline {
	return &Pipeline{g: newGroup(d, c, opt, false)}
}

// RoundTrip implements RoundTripper. Responses are matched in order; a
// request that expects several responses gets them all, one that
// expects none returns once its bytes are queued.
func (p *Pipeline) RoundTrip(ctx context.Context, req *codecs.Frame, dst []Response) ([]Response, error) {
	return p.g.roundTrip(ctx, req, dst)
}

// Pending returns the requests awaiting responses.
func (p *Pipeline) Pending() int { return p.g.pending() }

// Close fails pending requests with ErrPoolClosed, closes the
// connections and waits for their goroutines.
func (p *Pipeline) Close() error { return p.g.close() }

package pool

import (
	"context"

	"github.com/sidewire/sidewire/codecs"
)

// Multiplex is a pool of shared connections whose responses are matched
// by request id (Dubbo). Each request goes upstream with an id unique on
// its connection; its response comes back with the caller's id in
// Response.Frame.ID.
type Multiplex struct {
	g *group
}

var _ RoundTripper = (*Multiplex)(nil)

// NewMultiplex returns a multiplexed pool to the endpoint d dials,
// speaking codec c. It dials nothing until the first request.
func NewMultiplex(d Dialer, c codecs.Codec, opt Options) *Multiplex {
	return &Multiplex{g: newGroup(d, c, opt, true)}
}

// RoundTrip implements RoundTripper. A one-way request returns once its
// bytes are queued. When the request times out its caller gets an error
// at once and the late response is dropped.
func (m *Multiplex) RoundTrip(ctx context.Context, req *codecs.Frame, dst []Response) ([]Response, error) {
	return m.g.roundTrip(ctx, req, dst)
}

// Pending returns the requests awaiting responses.
func (m *Multiplex) Pending() int { return m.g.pending() }

// Close fails pending requests with ErrPoolClosed, closes the
// connections and waits for their goroutines.
func (m *Multiplex) Close() error { return m.g.close() }

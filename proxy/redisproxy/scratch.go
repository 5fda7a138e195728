package redisproxy

import (
	"github.com/sidewire/sidewire/codecs"
	"sync"

	"github.com/sidewire/sidewire/proxy/pool"
)

// scratch holds a request's temporary buffers, recycled across requests.
// Nothing in it outlives the request: responses are handed to the stream
// and the slots cleared.
type scratch struct {
	// frame is a rewritten request; pools read it only while sending.
	frame    codecs.Frame
	key, req []byte
	pos      []int
	routes   []*route
	resps    []pool.Response
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// maxKeptScratch bounds the buffers a recycled scratch keeps.
const maxKeptScratch = 64 << 10

func (s *scratch) release() {
	if cap(s.req) > maxKeptScratch || cap(s.key) > maxKeptScratch {
		s.req, s.key = nil, nil
	}
	s.frame = codecs.Frame{}
	clear(s.routes)
	clear(s.resps)
	s.routes, s.resps = s.routes[:0], s.resps[:0]
	scratches.Put(s)
}

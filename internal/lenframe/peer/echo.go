package peer

import (
	"net"
	"sync"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/internal/lenframe"
)

// Echo is a minimal upstream for benchmarks: it answers every request,
// in order, with responses echoing the request body, and allocates
// nothing per request once warm, so benchmarks measure the proxy.
type Echo struct {
	ln net.Listener
	fl lenframe.Flavour
	wg sync.WaitGroup
	mu sync.Mutex
	cs []net.Conn
}

// ListenEcho starts an Echo server; Close stops it.
func ListenEcho(fl lenframe.Flavour) (*Echo, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &Echo{ln: ln, fl: fl}
	e.wg.Add(1)
	go e.accept()
	return e, nil
}

// Addr is the server's address.
func (e *Echo) Addr() string { return e.ln.Addr().String() }

// Close stops the server and waits.
func (e *Echo) Close() {
	_ = e.ln.Close()
	e.mu.Lock()
	for _, c := range e.cs {
		_ = c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

func (e *Echo) accept() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.cs = append(e.cs, c)
		e.mu.Unlock()
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer c.Close()
			e.serve(c)
		}()
	}
}

func (e *Echo) serve(c net.Conn) {
	dec := lenframe.New(e.fl).NewServerCodec(codecs.Limits{})
	in := make([]byte, 0, 256<<10)
	var out []byte
	for {
		if len(in) == cap(in) {
			in = append(in, 0)[:len(in)] // grow
		}
		n, err := c.Read(in[len(in):cap(in)])
		if err != nil {
			return
		}
		in = in[:len(in)+n]
		off := 0
		out = out[:0]
		for {
			f, m, err := dec.Decode(in[off:])
			if err == codecs.ErrNeedMore {
				break
			}
			if err != nil {
				return
			}
			off += m
			if f.Kind == codecs.KindRequest {
				body := e.fl.Body(&f)
				for i := 0; i < int(f.Raw[3]); i++ {
					out = e.fl.Append(out, lenframe.Header{Kind: codecs.KindResponse, Aux: byte(codecs.StatusOK), ID: f.ID}, body)
				}
			}
		}
		in = in[:copy(in, in[off:])]
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

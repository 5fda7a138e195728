package tcpproxy

import (
	"errors"
	"io"
	"net"

	"github.com/sidewire/sidewire/proxy/cluster"
	"github.com/sidewire/sidewire/telemetry"
)

// copyStream moves src to dst through a pooled buffer until src reaches
// EOF, then half-closes dst. It serves connections with TLS on either
// side (terminated by the listener, or originated to the upstream),
// where splice(2) cannot see the plaintext. The buffer is held only for one read and
// its write.
func copyStream(dst, src net.Conn, ctr *telemetry.Counter, up *cluster.Upstream, toUpstream bool) (uint64, error) {
	d := &direction{ctr: ctr, up: up, toUp: toUpstream}
	for {
		bp := copyBufs.Get().(*[]byte)
		n, rerr := src.Read(*bp)
		var werr error
		if n > 0 {
			_, werr = dst.Write((*bp)[:n])
		}
		copyBufs.Put(bp)
		if werr != nil {
			return d.total, werr
		}
		d.count(n)
		switch {
		case errors.Is(rerr, io.EOF):
			return d.total, closeWrite(dst)
		case rerr != nil:
			return d.total, rerr
		}
	}
}

// closeWrite half-closes c: a TCP FIN, or a TLS close_notify.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

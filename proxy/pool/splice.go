package pool

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// spliceChunk is how many bytes one copy step moves before the idle
// clock is updated; large enough that splice(2) stays efficient.
const spliceChunk = 256 << 10

// SpliceOptions tune Splice.
type SpliceOptions struct {
	// IdleTimeout ends the splice when neither direction moved a byte
	// for this long; 0 disables it.
	IdleTimeout time.Duration
}

// SpliceStats counts the bytes each side sent.
type SpliceStats struct {
	Downstream, Upstream int64
}

// Splice copies bytes between down and up in both directions until both
// directions reached EOF, either side fails, the idle timeout fires or
// ctx ends; then it closes both connections. A direction that reaches
// EOF half-closes its destination (CloseWrite), so protocols that shut
// down one way keep working. Between TCP connections the kernel moves
// the bytes (splice(2)) without copying them through user space.
func Splice(ctx context.Context, down, up net.Conn, opt SpliceOptions) (SpliceStats, error) {
	var st SpliceStats
	var last atomic.Int64
	last.Store(time.Now().UnixNano())
	stop := context.AfterFunc(ctx, func() { _ = down.Close(); _ = up.Close() })
	defer stop()
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs[1] = pipe(up, down, &st.Upstream, &last, opt.IdleTimeout)
	}()
	errs[0] = pipe(down, up, &st.Downstream, &last, opt.IdleTimeout)
	wg.Wait()
	_ = down.Close()
	_ = up.Close()
	if ctx.Err() != nil {
		return st, ctx.Err()
	}
	return st, errors.Join(errs...)
}

// pipe copies src to dst in chunks, refreshing the shared activity
// clock. On EOF it half-closes dst; on failure it closes both so the
// other direction stops too.
func pipe(src, dst net.Conn, n *int64, last *atomic.Int64, idle time.Duration) error {
	for {
		if idle > 0 {
			_ = src.SetReadDeadline(time.Now().Add(idle))
		}
		m, err := io.Copy(dst, io.LimitReader(src, spliceChunk))
		atomic.AddInt64(n, m)
		if m > 0 {
			last.Store(time.Now().UnixNano())
		}
		switch {
		case err == nil && m == spliceChunk:
			continue
		case err == nil: // EOF
			if cw, ok := dst.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			} else {
				_ = dst.Close()
			}
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded) && idle > 0 &&
			time.Since(time.Unix(0, last.Load())) < idle:
			continue // the other direction is busy: not idle
		}
		_ = src.Close()
		_ = dst.Close()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return ErrIdle
		}
		if errors.Is(err, net.ErrClosed) {
			return nil // closed by the other direction or by ctx
		}
		return err
	}
}

// ErrIdle ends a splice that saw no traffic for its idle timeout.
var ErrIdle = errors.New("connection idle")

package cluster

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// hcHostState is one health check's view of one host, owned by the
// goroutine running that check.
type hcHostState struct {
	successes, failures uint32
}

// maxHCResponse bounds the bytes a TCP health check buffers while looking
// for its expected response.
const maxHCResponse = 64 << 10

// startHealthChecks starts one goroutine per configured health check for a
// new host. Called with c.mu held.
func (c *Cluster) startHealthChecks(h *Host) {
	hcs := c.Config().HealthChecks
	if len(hcs) == 0 {
		return
	}
	initial := c.warm.initial(len(hcs))
	ctx, cancel := context.WithCancel(c.ctx)
	h.hc.cancel = cancel
	for i := range hcs {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.runHealthCheck(ctx, h, i, hcs[i], initial)
		}()
	}
}

// runHealthCheck checks h every Interval (plus up to IntervalJitter) until
// ctx ends. The first check runs at once. When initial is set, the
// cluster's warm-up waits for the first result.
func (c *Cluster) runHealthCheck(ctx context.Context, h *Host, idx int, hc config.HealthCheck, initial bool) {
	if initial {
		defer func() {
			if initial { // stopped before the first result
				c.warm.checked()
			}
		}()
	}
	first := h.flags.Load()&(uint64(1)<<(hcPendingShift+idx)) != 0
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, network := tcpCheck(ctx, h.AddrPort(), hc, c.Secure)
		if ctx.Err() != nil {
			return
		}
		c.recordCheck(h, idx, hc, ok, network, first)
		first = false
		if initial {
			initial = false
			c.warm.checked()
		}
		next := hc.Interval
		if hc.IntervalJitter > 0 {
			next += rand.N(hc.IntervalJitter)
		}
		t.Reset(next)
	}
}

// recordCheck counts a check result and applies Envoy's thresholds: a
// failing host turns healthy after HealthyThreshold consecutive successes
// (at once on its very first check), a passing one turns unhealthy after
// UnhealthyThreshold consecutive failures.
func (c *Cluster) recordCheck(h *Host, idx int, hc config.HealthCheck, ok, network, first bool) {
	s := c.stats.hc
	s.attempt.Inc()
	st := &h.hc.states[idx]
	failBit := uint64(1) << (hcFailShift + idx)
	pendBit := uint64(1) << (hcPendingShift + idx)
	failing := h.flags.Load()&failBit != 0
	var clear, set uint64
	if first {
		clear |= pendBit
	}
	if ok {
		s.success.Inc()
		st.failures = 0
		st.successes++
		if failing && (first || st.successes >= max(hc.HealthyThreshold, 1)) {
			clear |= failBit
		}
	} else {
		s.failure.Inc()
		if network {
			s.networkFailure.Inc()
		}
		st.successes = 0
		st.failures++
		if !failing && st.failures >= max(hc.UnhealthyThreshold, 1) {
			set |= failBit
		}
	}
	if clear == 0 && set == 0 {
		return
	}
	changed := h.setFlags(clear, set)
	switch {
	case set != 0:
		c.Logger().Warn("health check failed host", "host", h.String(), "consecutive_failures", st.failures, "health_flags", h.HealthFlags())
	case clear&failBit != 0:
		c.Logger().Info("health check passed host", "host", h.String(), "health_flags", h.HealthFlags())
	}
	if changed || (set|clear)&hcFailMask != 0 {
		c.rebuild()
	}
}

// tcpCheck connects to ap within hc.Timeout, through secure (TLS for a
// TLS cluster, as Envoy's health checks use the cluster's transport
// socket; a failed handshake is a network failure), and, when the check
// has a payload, sends it and reads until every expected chunk has been
// seen in order (not necessarily contiguous). It reports success, and
// for failures whether they were network failures (connect error, reset,
// timeout, close) rather than a response that did not match.
func tcpCheck(ctx context.Context, ap netip.AddrPort, hc config.HealthCheck, secure func(context.Context, *net.TCPConn) (net.Conn, error)) (ok, network bool) {
	ctx, cancel := context.WithTimeout(ctx, hc.Timeout)
	defer cancel()
	tc, err := dialer.DialTCP(ctx, "tcp", netip.AddrPort{}, ap)
	if err != nil {
		return false, true
	}
	defer tc.Close()
	conn := net.Conn(tc)
	if secure != nil {
		if conn, err = secure(ctx, tc); err != nil {
			return false, true
		}
	}
	tcp := hc.TCP
	if tcp == nil || len(tcp.Send) == 0 && len(tcp.Receive) == 0 {
		return true, false
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if len(tcp.Send) > 0 {
		if _, err := conn.Write(tcp.Send); err != nil {
			return false, true
		}
	}
	if len(tcp.Receive) == 0 {
		return true, false
	}
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxHCResponse {
				return false, false
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if matchChunks(buf, tcp.Receive) {
			return true, false
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(buf) > 0 {
				return false, false // answered, then closed, without a match
			}
			return false, true // reset, timeout, or closed without a word
		}
	}
}

// matchChunks reports whether every chunk occurs in b, in order, each
// after the end of the previous one.
func matchChunks(b []byte, chunks [][]byte) bool {
	for _, c := range chunks {
		i := bytes.Index(b, c)
		if i < 0 {
			return false
		}
		b = b[i+len(c):]
	}
	return true
}

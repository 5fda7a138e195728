package redisproxy

import (
	"bytes"
	"context"
	"net/netip"
	"strconv"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/redis"
	"github.com/sidewire/sidewire/proxy/pool"
)

// With settings.enable_redirection, a command a Redis Cluster node
// answers with -MOVED <slot> <host:port> is sent again to the node named,
// and one answered with -ASK <slot> <host:port> is sent there after
// ASKING, back to back on a connection reserved for ASK redirections.
// Both count towards the cluster's redirect_refresh_threshold. The
// resend happens on the goroutine that received the redirection (an
// upstream connection's reader), without waiting for its answer; a
// command is redirected at most maxRedirects times, and one that cannot
// be redirected (unknown node beyond max_upstream_unknown_connections,
// host names, a failed send) gets the redirection reply unchanged, as
// Envoy does.

// maxRedirects bounds the redirections of one command (or fan-out
// shard), as Redis Cluster clients do.
const maxRedirects = 5

var askingCmd = redis.AppendCommandString(nil, "ASKING")

// redirection is a parsed MOVED or ASK error reply.
type redirection struct {
	ask bool
	ap  netip.AddrPort
}

// parseRedirection reads a MOVED or ASK error reply. An empty host
// ("-MOVED 3999 :6380", a node whose endpoint is unknown) means the host
// of from, the node that replied. Host names are not followed (resolving
// them would block): ok is false for them.
func parseRedirection(raw []byte, from netip.AddrPort) (redirection, bool) {
	if len(raw) < 2 || raw[0] != '-' {
		return redirection{}, false
	}
	line := trimCRLF(raw[1:])
	var rd redirection
	switch {
	case bytes.HasPrefix(line, []byte("MOVED ")):
		line = line[len("MOVED "):]
	case bytes.HasPrefix(line, []byte("ASK ")):
		rd.ask = true
		line = line[len("ASK "):]
	default:
		return redirection{}, false
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return redirection{}, false
	}
	if s, err := strconv.Atoi(string(line[:sp])); err != nil || s < 0 || s > 16383 {
		return redirection{}, false
	}
	addr := line[sp+1:]
	colon := bytes.LastIndexByte(addr, ':')
	if colon < 0 {
		return redirection{}, false
	}
	port, err := strconv.ParseUint(string(addr[colon+1:]), 10, 16)
	if err != nil || port == 0 {
		return redirection{}, false
	}
	host := addr[:colon]
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	var ip netip.Addr
	if len(host) == 0 {
		ip = from.Addr()
	} else if ip, err = netip.ParseAddr(string(host)); err != nil || ip.Zone() != "" {
		return redirection{}, false
	}
	rd.ap = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	return rd, true
}

// redirect follows a MOVED or ASK reply from `from`: it sends req to the
// node named, with done as its completion, after calling setUp with the
// new upstream (before the send, as done may run at once). It reports
// whether it did; then it has released resps, and the caller must not
// touch what done completes. Otherwise resps are untouched.
func (f *Filter) redirect(ctx context.Context, from *upstream, resps []pool.Response, hops *uint8,
	req *codecs.Frame, done pool.Completion, setUp func(*upstream)) bool {
	if len(resps) != 1 || *hops >= maxRedirects || resps[0].Frame.Attrs.Status != codecs.StatusError {
		return false
	}
	rd, ok := parseRedirection(resps[0].Frame.Raw, from.host.AddrPort())
	if !ok {
		return false
	}
	from.disc.Redirected()
	if !rd.ask {
		from.disc.Redirected() // MOVED: the topology changed for sure
	}
	h := f.ups.nodeHost(from, rd.ap, f.maxUnknown())
	if h == nil {
		return false
	}
	to, err := f.ups.get(from.cluster, h, from.proto)
	if err != nil {
		return false
	}
	from.host.ReportSuccess()
	*hops++
	setUp(to)
	to.host.RequestStarted()
	send := func(req *codecs.Frame) error {
		if rd.ask {
			return to.sendAsk(ctx, req, done)
		}
		return to.p.SendAsync(ctx, req, done, nil)
	}
	if !to.ready(rd.ask) {
		// A send would wait for a dial, and completions must not block:
		// send from a goroutine; a failure completes done with it. req's
		// bytes live until done completes.
		fr := *req
		pool.ReleaseAll(resps)
		go func() {
			if err := send(&fr); err != nil {
				done.Complete(nil, nil, err)
			}
		}()
		return true
	}
	if err := send(req); err != nil {
		to.host.RequestFinished()
		to.host.ReportFailure(true)
		setUp(from)
		return false
	}
	pool.ReleaseAll(resps)
	return true
}

// ready reports whether a redirect to up can be sent without waiting for
// a dial (ask: on its ASK connection).
func (up *upstream) ready(ask bool) bool {
	if !ask {
		return up.p.Connected()
	}
	up.askMu.Lock()
	defer up.askMu.Unlock()
	return up.ask != nil && up.ask.Connected()
}

// maxUnknown is settings.max_upstream_unknown_connections.
func (f *Filter) maxUnknown() uint32 { return f.cfg.Settings.MaxUpstreamUnknownConnections }

// sendAsk queues ASKING and req back to back on the upstream's ASK pool.
func (up *upstream) sendAsk(ctx context.Context, req *codecs.Frame, done pool.Completion) error {
	up.askMu.Lock()
	defer up.askMu.Unlock()
	if up.askClosed {
		return errClosed
	}
	if up.ask == nil {
		up.ask = up.newP()
	}
	asking := codecs.Frame{Raw: askingCmd, Kind: codecs.KindRequest}
	asking.Attrs.Protocol = redis.Name
	if err := up.ask.SendAsync(ctx, &asking, discard{}, nil); err != nil {
		return err
	}
	return up.ask.SendAsync(ctx, req, done, nil)
}

// redirects reports whether replies from up may be redirected.
func (f *Filter) redirects(up *upstream) bool {
	return up.disc != nil && f.cfg.Settings.EnableRedirection
}

// redirect follows a MOVED or ASK reply to the exchange's command.
func (q *exchange) redirect(resps []pool.Response) bool {
	req := codecs.Frame{Raw: q.fwd, Kind: codecs.KindRequest}
	if req.Raw == nil {
		req.Raw = q.st.Request.Raw
	}
	req.Attrs.Protocol = redis.Name
	req.Attrs.Method = q.st.Request.Attrs.Method
	return q.f.redirect(q.ctx, q.up, resps, &q.hops, &req, q, q.setUp)
}

func (q *exchange) setUp(up *upstream) { q.up = up }

// redirect follows a MOVED or ASK reply to the shard's sub-command.
func (s *shard) redirect(resps []pool.Response) bool {
	q := s.fo.q
	req := codecs.Frame{Raw: s.req, Kind: codecs.KindRequest}
	req.Attrs.Protocol = redis.Name
	return q.f.redirect(q.ctx, s.up, resps, &s.hops, &req, s, s.setUp)
}

func (s *shard) setUp(up *upstream) { s.up = up }

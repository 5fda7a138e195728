package cluster

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer is a tiny authoritative UDP DNS server for tests. It answers
// A and AAAA questions from records and NXDOMAIN otherwise, or SERVFAIL
// for everything while failing is set.
type dnsServer struct {
	pc      net.PacketConn
	wg      sync.WaitGroup
	queries atomic.Int64

	mu      sync.Mutex
	records map[string][]netip.Addr // by lower-case FQDN with trailing dot
	failing bool
}

func startDNS(t testing.TB) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{pc: pc, records: map[string][]netip.Addr{}}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		pc.Close()
		s.wg.Wait()
	})
	return s
}

func (s *dnsServer) set(name string, addrs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var as []netip.Addr
	for _, a := range addrs {
		as = append(as, netip.MustParseAddr(a))
	}
	s.records[strings.ToLower(strings.TrimSuffix(name, "."))+"."] = as
}

func (s *dnsServer) setFailing(f bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = f
}

// resolver returns a pure Go resolver that sends every query here.
func (s *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.pc.LocalAddr().String())
	}}
}

func (s *dnsServer) serve() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		s.queries.Add(1)
		if resp, ok := s.answer(buf[:n]); ok {
			s.pc.WriteTo(resp, from)
		}
	}
}

func (s *dnsServer) answer(q []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		return nil, false
	}
	question, err := p.Question()
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	addrs, found := s.records[strings.ToLower(question.Name.String())]
	failing := s.failing
	s.mu.Unlock()
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	switch {
	case failing:
		rh.RCode = dnsmessage.RCodeServerFailure
	case !found:
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, false
	}
	if err := b.Question(question); err != nil {
		return nil, false
	}
	if err := b.StartAnswers(); err != nil {
		return nil, false
	}
	if !failing {
		rrh := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 1}
		for _, a := range addrs {
			switch {
			case question.Type == dnsmessage.TypeA && a.Is4():
				if err := b.AResource(rrh, dnsmessage.AResource{A: a.As4()}); err != nil {
					return nil, false
				}
			case question.Type == dnsmessage.TypeAAAA && a.Is6():
				if err := b.AAAAResource(rrh, dnsmessage.AAAAResource{AAAA: a.As16()}); err != nil {
					return nil, false
				}
			}
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

package listener

import (
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

func chains(ms ...config.FilterChainMatch) []Chain {
	out := make([]Chain, len(ms))
	for i, m := range ms {
		out[i] = Chain{Config: &config.FilterChain{Name: m.TransportProtocol + "|" + joinNames(m.ServerNames) + "|" + joinNames(m.ApplicationProtocols), Match: m}}
	}
	return out
}

func joinNames(n []string) string {
	s := ""
	for i, x := range n {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}

func TestSelectChain(t *testing.T) {
	cs := chains(
		config.FilterChainMatch{},
		config.FilterChainMatch{TransportProtocol: "tls"},
		config.FilterChainMatch{ServerNames: []string{"api.example.com"}},
		config.FilterChainMatch{ServerNames: []string{"*.example.com"}},
		config.FilterChainMatch{ServerNames: []string{"*.b.example.com"}},
		config.FilterChainMatch{ServerNames: []string{"h2.example.com"}, ApplicationProtocols: []string{"h2"}},
		config.FilterChainMatch{ServerNames: []string{"h2.example.com"}},
		config.FilterChainMatch{DestinationPort: 9999},
	)
	cases := []struct {
		in   matchInput
		want string
	}{
		{matchInput{destPort: 80}, "||"},
		{matchInput{destPort: 80, transportProtocol: "tls"}, "tls||"},
		{matchInput{destPort: 80, transportProtocol: "tls", serverName: "api.example.com"}, "|api.example.com|"},
		{matchInput{destPort: 80, transportProtocol: "tls", serverName: "x.example.com"}, "|*.example.com|"},
		{matchInput{destPort: 80, transportProtocol: "tls", serverName: "a.b.example.com"}, "|*.b.example.com|"},
		{matchInput{destPort: 80, transportProtocol: "tls", serverName: "example.com"}, "tls||"},
		{matchInput{destPort: 80, serverName: "h2.example.com", alpn: []string{"http/1.1", "h2"}}, "|h2.example.com|h2"},
		{matchInput{destPort: 80, serverName: "h2.example.com", alpn: []string{"http/1.1"}}, "|h2.example.com|"},
		{matchInput{destPort: 9999, serverName: "api.example.com"}, "||"},
	}
	for _, c := range cases {
		got := selectChain(cs, c.in)
		if got == nil {
			t.Errorf("%+v: no chain, want %q", c.in, c.want)
			continue
		}
		if got.Config.Name != c.want {
			t.Errorf("%+v: chain %q, want %q", c.in, got.Config.Name, c.want)
		}
	}
}

func TestSelectChainNoMatch(t *testing.T) {
	cs := chains(config.FilterChainMatch{ServerNames: []string{"only.example.com"}})
	if got := selectChain(cs, matchInput{serverName: "other.example.com"}); got != nil {
		t.Fatalf("got chain %q, want none", got.Config.Name)
	}
}

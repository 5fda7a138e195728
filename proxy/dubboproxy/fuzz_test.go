package dubboproxy

import (
	"testing"
	"time"

	"github.com/sidewire/sidewire/codecs"
	"github.com/sidewire/sidewire/codecs/dubbo"
	"github.com/sidewire/sidewire/internal/testpeer"
	"github.com/sidewire/sidewire/proxy/config"
)

// FuzzRouteRequest feeds arbitrary frames to routing: scanning the
// attachments for group, headers and the timeout, and decoding the body
// for arguments, must never panic, and the timeout stays within its
// bounds.
func FuzzRouteRequest(f *testing.F) {
	for _, dc := range []testpeer.DubboCall{
		sayHi("x"),
		{Service: greeter, Group: "blue", Version: "1.0.0", Method: "sayHi", Args: []any{"vip", int32(15)},
			Attachments: map[string]any{"tenant": "acme", "timeout": "250"}},
	} {
		raw, err := testpeer.EncodeDubboRequest(7, dc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	table := newRouteTable([]config.DubboRouteConfig{
		{Interface: greeter, Group: "blue", Version: "1.0.0", Routes: []config.DubboRoute{{
			Params:  []config.DubboParamMatch{{Index: 1, IsRange: true, Start: 0, End: 100}},
			Headers: []config.HeaderMatch{{Name: "Tenant", String: config.StringMatch{Kind: config.MatchContains, Value: "ACM", IgnoreCase: true}}},
			Cluster: "a",
		}}},
		{Interface: "*", Routes: []config.DubboRoute{{Method: &config.StringMatch{Kind: config.MatchRegex, Value: "say.*"}, Cluster: "b"}}},
	})
	sc := dubbo.NewServerCodec(dubbo.Limits{}, codecs.Limits{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, _, err := sc.Decode(b)
		if err != nil || !fr.Kind.IsRequest() {
			return
		}
		var q request
		q.reset(&fr, table.keys)
		_ = table.lookup(&q)
		if d := q.timeout(time.Second, 2*time.Second); d <= 0 || d > 2*time.Second {
			t.Fatalf("timeout %s out of bounds", d)
		}
	})
}

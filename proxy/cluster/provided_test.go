package cluster

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// fixedProvider reports a fixed membership once.
type fixedProvider struct {
	c     *Cluster
	addrs []netip.AddrPort
}

func (p *fixedProvider) Run(ctx context.Context) {
	p.c.SetProvidedHosts(p.addrs)
	<-ctx.Done()
}

// TestProvidedCluster: a cluster type with a registered Provider is
// accepted, warms once its Provider reports hosts, and picks among them.
func TestProvidedCluster(t *testing.T) {
	addrs := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7000"), netip.MustParseAddrPort("127.0.0.1:7001")}
	RegisterProvider(config.RedisClusterType, func(c *Cluster) Provider { return &fixedProvider{c: c, addrs: addrs} })
	defer RegisterProvider(config.RedisClusterType, nil)
	m := NewManager(Options{})
	defer m.Close()
	cfg := &config.Cluster{
		Name: "rc", Type: config.RedisClusterType, LBPolicy: config.ClusterProvided,
		RedisCluster: &config.RedisClusterConfig{},
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: []config.Endpoint{
			{Address: config.Address{Host: "seed.example", Port: 7000}},
		}}}},
	}
	if err := m.Update([]*config.Cluster{cfg}); err != nil {
		t.Fatalf("update: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	c := m.Get("rc")
	if _, ok := c.Provider().(*fixedProvider); !ok {
		t.Fatalf("Provider() = %T", c.Provider())
	}
	if hs := c.Hosts(); len(hs) != 2 || hs[0].AddrPort() != addrs[0] || hs[1].AddrPort() != addrs[1] {
		t.Fatalf("hosts = %v", hs)
	}
	if _, err := c.Pick(LBContext{}); err != nil {
		t.Fatalf("pick: %v", err)
	}
	if d := c.DetachedHost(netip.MustParseAddrPort("127.0.0.1:7009")); d.String() != "127.0.0.1:7009" || len(c.Hosts()) != 2 {
		t.Fatalf("detached host %v joined the membership", d)
	}

	bad := *cfg
	bad.LoadAssignment = &config.LoadAssignment{}
	if err := m.Update([]*config.Cluster{&bad}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("update without seeds = %v, want ErrInvalidConfig", err)
	}
	RegisterProvider(config.RedisClusterType, nil)
	other := *cfg
	other.Name = "other"
	if err := m.Update([]*config.Cluster{cfg, &other}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("update without a provider = %v, want ErrInvalidConfig", err)
	}
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

const dnsName = "backend.sidewire.test"

func dnsCluster(name string, typ config.ClusterType, host string, port uint16) *config.Cluster {
	return &config.Cluster{
		Name:           name,
		Type:           typ,
		ConnectTimeout: time.Second,
		DNSRefreshRate: 20 * time.Millisecond,
		LoadAssignment: &config.LoadAssignment{Localities: []config.LocalityEndpoints{{
			Endpoints: []config.Endpoint{{Address: config.Address{Host: host, Port: uint32(port)}, Weight: 1}},
		}}},
	}
}

func hostAddrs(c *Cluster) []string {
	var out []string
	for _, h := range c.Hosts() {
		out = append(out, h.String())
	}
	slices.Sort(out)
	return out
}

func wantHosts(c *Cluster, want ...string) func() error {
	return func() error {
		if got := hostAddrs(c); !slices.Equal(got, want) {
			return fmt.Errorf("hosts %v, want %v", got, want)
		}
		return nil
	}
}

func TestStrictDNS(t *testing.T) {
	dns := startDNS(t)
	dns.set(dnsName, "127.0.0.1", "127.0.0.2")
	e := newEnv(t, dns.resolver())
	e.update(t, dnsCluster("sdns", config.StrictDNS, dnsName, 8080))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.m.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(t, "sdns")
	if err := wantHosts(c, "127.0.0.1:8080", "127.0.0.2:8080")(); err != nil {
		t.Fatal(err)
	}
	kept := hostByAddr(c, netip.MustParseAddrPort("127.0.0.2:8080"))
	if kept.Hostname() != dnsName {
		t.Errorf("Hostname = %q, want %q", kept.Hostname(), dnsName)
	}
	// Mark the persisting host so we can tell it is the same object.
	kept.RequestStarted()

	dns.set(dnsName, "127.0.0.2", "127.0.0.3")
	eventually(t, 3*time.Second, "new DNS answer applied", wantHosts(c, "127.0.0.2:8080", "127.0.0.3:8080"))
	if h := hostByAddr(c, netip.MustParseAddrPort("127.0.0.2:8080")); h != kept || h.Stats().RqActive != 1 {
		t.Fatalf("host for a persisting address was replaced")
	}
	kept.RequestFinished()

	// Failures keep the last hosts.
	fails := e.counter("sdns", "update_failure")
	dns.setFailing(true)
	eventually(t, 3*time.Second, "failed resolutions", func() error {
		if got := e.counter("sdns", "update_failure") - fails; got < 2 {
			return fmt.Errorf("%d failures", got)
		}
		return nil
	})
	if err := wantHosts(c, "127.0.0.2:8080", "127.0.0.3:8080")(); err != nil {
		t.Fatalf("after failed resolutions: %v", err)
	}
	dns.setFailing(false)
	dns.set(dnsName, "127.0.0.4")
	eventually(t, 3*time.Second, "recovery", wantHosts(c, "127.0.0.4:8080"))
	if e.counter("sdns", "update_success") < 3 {
		t.Errorf("update_success = %d, want >= 3", e.counter("sdns", "update_success"))
	}
	// The same answer again changes nothing.
	eventually(t, 3*time.Second, "update_no_rebuild for unchanged answers", func() error {
		if e.counter("sdns", "update_no_rebuild") == 0 {
			return errors.New("not counted")
		}
		return nil
	})
}

func TestStrictDNSConnectsAndHealthChecksResolvedHosts(t *testing.T) {
	s := startServer(t, holdOpen)
	dns := startDNS(t)
	dns.set(dnsName, "127.0.0.1")
	e := newEnv(t, dns.resolver())
	cfg := dnsCluster("sdnshc", config.StrictDNS, dnsName, s.addr.Port())
	cfg.HealthChecks = []config.HealthCheck{fastHC(nil)}
	e.update(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.m.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(t, "sdnshc")
	if got := c.Hosts()[0].HealthFlags(); got != "healthy" {
		t.Fatalf("resolved host %q after warm-up, want healthy", got)
	}
	up, err := c.Connect(ctx, LBContext{})
	if err != nil {
		t.Fatal(err)
	}
	up.Close()
	// A host that leaves DNS stops being health checked.
	dns.set(dnsName, "127.0.0.5")
	eventually(t, 3*time.Second, "host replaced", wantHosts(c, fmt.Sprintf("127.0.0.5:%d", s.addr.Port())))
}

func TestLogicalDNS(t *testing.T) {
	s := startServer(t, holdOpen)
	dns := startDNS(t)
	dns.set(dnsName, "127.0.0.1", "127.0.0.9")
	e := newEnv(t, dns.resolver())
	e.update(t, dnsCluster("ldns", config.LogicalDNS, dnsName, s.addr.Port()))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.m.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	c := e.cluster(t, "ldns")
	hs := c.Hosts()
	if len(hs) != 1 || hs[0].AddrPort() != s.addr {
		t.Fatalf("logical hosts %v, want one at the first address %s", hostAddrs(c), s.addr)
	}
	up, err := c.Connect(ctx, LBContext{})
	if err != nil {
		t.Fatalf("Connect to the first address: %v", err)
	}
	up.Close()
	h := hs[0]
	dns.set(dnsName, "127.0.0.7")
	eventually(t, 3*time.Second, "address change", func() error {
		if got := h.String(); got != fmt.Sprintf("127.0.0.7:%d", s.addr.Port()) {
			return fmt.Errorf("logical host at %s", got)
		}
		return nil
	})
	if got := c.Hosts(); len(got) != 1 || got[0] != h {
		t.Fatal("logical host replaced instead of re-addressed")
	}
}

func TestResolveLookupFamily(t *testing.T) {
	dns := startDNS(t)
	dns.set("both.test", "127.0.0.1", "::1")
	dns.set("v4.test", "127.0.0.1")
	dns.set("v6.test", "::1")
	tests := []struct {
		family, name string
		want         []string
		wantErr      bool
	}{
		{"", "both.test", []string{"::1"}, false},
		{"auto", "v4.test", []string{"127.0.0.1"}, false},
		{"v4_only", "both.test", []string{"127.0.0.1"}, false},
		{"v6_only", "both.test", []string{"::1"}, false},
		{"v6_only", "v4.test", nil, true},
		{"v4_preferred", "both.test", []string{"127.0.0.1"}, false},
		{"v4_preferred", "v6.test", []string{"::1"}, false},
		{"all", "both.test", []string{"127.0.0.1", "::1"}, false},
		{"auto", "missing.test", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.family+"/"+tc.name, func(t *testing.T) {
			e := newEnv(t, dns.resolver())
			cfg := dnsCluster("fam", config.StrictDNS, tc.name, 80)
			cfg.DNSLookupFamily = tc.family
			cfg.DNSRefreshRate = time.Hour
			c := newCluster(e.m, cfg, nil)
			addrs, err := c.resolve(context.Background(), tc.name)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("resolve = %v, want an error", addrs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("resolve = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStrictDNSFirstFailureStillWarms(t *testing.T) {
	dns := startDNS(t)
	dns.setFailing(true)
	e := newEnv(t, dns.resolver())
	e.update(t, dnsCluster("nodns", config.StrictDNS, dnsName, 80))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.m.WaitWarm(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cluster(t, "nodns").Pick(LBContext{}); !errors.Is(err, ErrNoHealthyUpstream) {
		t.Fatalf("Pick = %v, want ErrNoHealthyUpstream", err)
	}
}

package redisproxy

import (
	"net"
	"strconv"

	"github.com/sidewire/sidewire/proxy/cluster"
)

// gauge returns the value of a gauge under redis.<prefix>.
func (p *proxy) gauge(name string) int64 {
	return p.store.Root().Sub("redis").Tagged("envoy_redis_prefix", p.f.cfg.StatPrefix).Gauge(name).Value()
}

// hostOf returns the address of the host of a hashed cluster that key
// maps to.
func (p *proxy) hostOf(clusterName, key string) string {
	p.t.Helper()
	h, err := p.m.Get(clusterName).Pick(cluster.LBContext{Hash: keyHash([]byte(key), false), HasHash: true})
	if err != nil {
		p.t.Fatal(err)
	}
	return h.Address().String()
}

// keysOnOtherHosts returns two keys with the given prefix that map to
// different hosts of a hashed cluster.
func (p *proxy) keysOnOtherHosts(clusterName, prefix string) (string, string) {
	p.t.Helper()
	a := prefix + "0"
	for i := 1; i < 1000; i++ {
		b := prefix + string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260))
		if p.hostOf(clusterName, b) != p.hostOf(clusterName, a) {
			return a, b
		}
	}
	p.t.Fatal("no two keys on different hosts")
	return "", ""
}

func listenLoopback() (*net.TCPListener, error) {
	return net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
}

// keyWith returns a key with the given prefix on the host key maps to.
func (p *proxy) keyWith(clusterName, key, prefix string) string {
	p.t.Helper()
	want := p.hostOf(clusterName, key)
	for i := range 10000 {
		k := prefix + strconv.Itoa(i)
		if k != key && p.hostOf(clusterName, k) == want {
			return k
		}
	}
	p.t.Fatal("no key on the same host")
	return ""
}

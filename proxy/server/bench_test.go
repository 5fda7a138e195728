package server

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// BenchmarkApplyEDSChange10k is what the server does with an xDS update
// in which 10 of 10,000 EDS clusters got new assignments, 1,000 tcp_proxy
// listeners unchanged: the snapshot holds the same listener and cluster
// values as before except the 10 changed clusters, as the xDS client
// passes them.
func BenchmarkApplyEDSChange10k(b *testing.B) {
	const n, changed, listeners = 10000, 10, 1000
	s := New(Options{Stats: telemetry.NewStore(), DrainTime: time.Second, Logger: slog.New(slog.DiscardHandler)})
	b.Cleanup(s.Close)
	assignment := func(port uint32) *config.LoadAssignment {
		eps := make([]config.Endpoint, 10)
		for j := range eps {
			eps[j] = config.Endpoint{Address: config.Address{Host: fmt.Sprintf("10.0.%d.%d", j, port%250), Port: port}, Weight: 1}
		}
		return &config.LoadAssignment{Localities: []config.LocalityEndpoints{{Endpoints: eps}}, OverprovisioningFactor: 140}
	}
	base := make([]*config.Cluster, n)
	for i := range base {
		base[i] = &config.Cluster{Name: fmt.Sprintf("cluster-%05d", i), Type: config.EDS, ConnectTimeout: time.Second, LoadAssignment: assignment(10000)}
	}
	snap := func(v int) *config.Snapshot {
		cs := make([]*config.Cluster, n)
		copy(cs, base)
		for i := range changed {
			c := *base[i]
			c.LoadAssignment = assignment(uint32(20000 + v))
			cs[i] = &c
		}
		sn := &config.Snapshot{Clusters: cs}
		for i := range listeners {
			sn.Listeners = append(sn.Listeners, tcpListener(fmt.Sprintf("l%04d", i), 0, base[i*n/listeners].Name))
		}
		return sn
	}
	first := snap(0)
	if err := s.Apply(context.Background(), first); err != nil {
		b.Fatal(err)
	}
	snaps := [2]*config.Snapshot{snap(1), snap(2)}
	for _, sn := range snaps {
		sn.Listeners = first.Listeners // unchanged listeners are the same values
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := s.Apply(context.Background(), snaps[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

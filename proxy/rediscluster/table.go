package rediscluster

import (
	"net/netip"

	"github.com/sidewire/sidewire/proxy/cluster"
)

// Shard is the set of nodes serving a slot: its primary and replicas, as
// hosts of the cluster.
type Shard struct {
	Primary  *cluster.Host
	Replicas []*cluster.Host
}

// Table is an immutable snapshot of a Redis Cluster's topology: which
// shard serves each slot. The zero Table serves no slot.
type Table struct {
	slots  [Slots]uint16 // index+1 into shards; 0: no shard serves the slot
	shards []Shard
	byAddr map[netip.AddrPort]*cluster.Host
}

var emptyTable = &Table{}

// Shard returns the shard serving slot, nil when none does.
func (t *Table) Shard(slot uint16) *Shard {
	i := t.slots[slot&(Slots-1)]
	if i == 0 {
		return nil
	}
	return &t.shards[i-1]
}

// Shards returns every shard. The slice must not be modified.
func (t *Table) Shards() []Shard { return t.shards }

// Host returns the host of the node at ap, nil when the topology has
// none there.
func (t *Table) Host(ap netip.AddrPort) *cluster.Host { return t.byAddr[ap] }

// buildTable maps ranges onto hosts. Ranges whose primary has no host
// leave their slots unserved; replicas without a host are left out.
func buildTable(ranges []resolvedRange, hosts []*cluster.Host) *Table {
	t := &Table{byAddr: make(map[netip.AddrPort]*cluster.Host, len(hosts))}
	for _, h := range hosts {
		t.byAddr[h.AddrPort()] = h
	}
	type shardKey string
	index := map[shardKey]uint16{}
	for _, r := range ranges {
		if len(r.nodes) == 0 {
			continue
		}
		p := t.byAddr[r.nodes[0]]
		if p == nil {
			continue
		}
		var s Shard
		s.Primary = p
		key := p.String()
		for _, ap := range r.nodes[1:] {
			if h := t.byAddr[ap]; h != nil {
				s.Replicas = append(s.Replicas, h)
				key += "," + h.String()
			}
		}
		i, ok := index[shardKey(key)]
		if !ok {
			t.shards = append(t.shards, s)
			i = uint16(len(t.shards))
			index[shardKey(key)] = i
		}
		for sl := int(r.start); sl <= int(r.end); sl++ {
			t.slots[sl] = i
		}
	}
	return t
}

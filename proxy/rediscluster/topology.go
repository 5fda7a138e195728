package rediscluster

import (
	"fmt"
	"strconv"
)

// node is a Redis Cluster node as CLUSTER SLOTS names it: its preferred
// endpoint (an IP, a host name, "" for the node that answered, "?" for
// unknown) and port.
type node struct {
	host string
	port uint16
}

// slotRange is one entry of CLUSTER SLOTS: a range of slots, its primary
// (nodes[0]) and its replicas.
type slotRange struct {
	start, end uint16
	nodes      []node
}

// parseSlots reads a CLUSTER SLOTS reply.
func parseSlots(v value) ([]slotRange, error) {
	switch {
	case v.kind == '-':
		return nil, fmt.Errorf("cluster slots: upstream replied %q", v.str)
	case v.kind != '*' || v.null:
		return nil, fmt.Errorf("cluster slots: %w: not an array", errReply)
	}
	out := make([]slotRange, 0, len(v.elems))
	for i, e := range v.elems {
		r, err := parseRange(e)
		if err != nil {
			return nil, fmt.Errorf("cluster slots: entry %d: %w", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRange(e value) (slotRange, error) {
	if e.kind != '*' || len(e.elems) < 3 {
		return slotRange{}, fmt.Errorf("%w: a slot range is an array of start, end and nodes", errReply)
	}
	start, end := e.elems[0], e.elems[1]
	if start.kind != ':' || end.kind != ':' || start.num < 0 || end.num < start.num || end.num >= Slots {
		return slotRange{}, fmt.Errorf("%w: slot range %d-%d", errReply, start.num, end.num)
	}
	r := slotRange{start: uint16(start.num), end: uint16(end.num)}
	for _, n := range e.elems[2:] {
		nd, err := parseNode(n)
		if err != nil {
			return slotRange{}, err
		}
		r.nodes = append(r.nodes, nd)
	}
	return r, nil
}

func parseNode(n value) (node, error) {
	if n.kind != '*' || len(n.elems) < 2 {
		return node{}, fmt.Errorf("%w: a node is an array of host and port", errReply)
	}
	h, p := n.elems[0], n.elems[1]
	if (h.kind != '$' && h.kind != '+') || p.kind != ':' {
		return node{}, fmt.Errorf("%w: node host and port types", errReply)
	}
	if p.num <= 0 || p.num > 65535 {
		return node{}, fmt.Errorf("%w: node port %d", errReply, p.num)
	}
	host := string(h.str)
	if h.null {
		host = ""
	}
	return node{host: host, port: uint16(p.num)}, nil
}

func (n node) String() string {
	return n.host + ":" + strconv.Itoa(int(n.port))
}

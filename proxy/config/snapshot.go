package config

import (
	"fmt"
	"net"
	"strconv"
)

// Snapshot is one complete, immutable configuration.
type Snapshot struct {
	// Version labels the snapshot (a file hash, an xDS version). Informational.
	Version string
	Node    Node
	// Admin is nil when no admin server is configured.
	Admin     *Admin
	Listeners []*Listener
	Clusters  []*Cluster
}

// Node identifies this proxy to a control plane (Envoy's core.v3.Node).
type Node struct {
	ID      string
	Cluster string
}

// Admin configures the admin HTTP server.
type Admin struct {
	Address Address
	// AccessLogs for admin requests; may be empty.
	AccessLogs []AccessLog
}

// Address is a TCP socket address. Host is an IP literal for listeners and
// STATIC endpoints, or a DNS name for STRICT_DNS and LOGICAL_DNS endpoints.
type Address struct {
	Host string
	Port uint32
}

// String returns host:port, bracketing IPv6 literals.
func (a Address) String() string {
	return net.JoinHostPort(a.Host, strconv.FormatUint(uint64(a.Port), 10))
}

// StatName returns the address as Envoy spells it inside stat names:
// "127.0.0.1_10000", "[::1]_10000".
func (a Address) StatName() string {
	h := a.Host
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		h = "[" + h + "]"
	}
	return fmt.Sprintf("%s_%d", h, a.Port)
}

// Cluster returns the cluster named name, or nil.
func (s *Snapshot) Cluster(name string) *Cluster {
	for _, c := range s.Clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Listener returns the listener named name, or nil.
func (s *Snapshot) Listener(name string) *Listener {
	for _, l := range s.Listeners {
		if l.Name == name {
			return l
		}
	}
	return nil
}

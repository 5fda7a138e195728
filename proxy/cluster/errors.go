package cluster

import (
	"errors"
	"fmt"
)

var (
	// ErrNoHealthyUpstream is returned by Pick and Connect when the chosen
	// priority level has no host to offer.
	ErrNoHealthyUpstream = errors.New("no healthy upstream")
	// ErrOverflow is returned by Connect when the cluster's max_connections
	// circuit breaker is open.
	ErrOverflow = errors.New("upstream connection overflow")
	// ErrUnknownCluster is returned for operations on a cluster name the
	// Manager does not have.
	ErrUnknownCluster = errors.New("unknown cluster")
	// ErrClosed is returned by a Manager after Close.
	ErrClosed = errors.New("cluster manager closed")
	// ErrInvalidConfig is wrapped by every config validation error.
	ErrInvalidConfig = errors.New("invalid cluster config")
)

// ConnectError is a failed upstream connect. Timeout reports whether the
// cluster's connect_timeout expired.
type ConnectError struct {
	Cluster string
	Host    *Host
	Timeout bool
	Err     error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("connect cluster %q host %s: %v", e.Cluster, e.Host.Address(), e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

func invalid(cluster, format string, args ...any) error {
	return fmt.Errorf("%w: cluster %q: %s", ErrInvalidConfig, cluster, fmt.Sprintf(format, args...))
}

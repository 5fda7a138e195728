package server

import (
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// streamKey identifies a stream: go-control-plane numbers state of the
// world and delta streams separately.
type streamKey struct {
	delta bool
	id    int64
}

// callbacks track which nodes are connected, so each gets a snapshot
// before its first watch is created, and keep it current on reloads.
func (s *Server) callbacks() serverv3.Callbacks {
	return serverv3.CallbackFuncs{
		StreamRequestFunc: func(id int64, req *discoveryv3.DiscoveryRequest) error {
			if err := s.onRequest(streamKey{id: id}, req.GetNode()); err != nil {
				return err
			}
			if req.GetErrorDetail() != nil {
				s.onNACK(streamKey{id: id}, req.GetTypeUrl(), req.GetVersionInfo(), req.GetErrorDetail().GetMessage())
			}
			return nil
		},
		StreamClosedFunc: func(id int64, _ *corev3.Node) { s.onClosed(streamKey{id: id}) },
		StreamDeltaRequestFunc: func(id int64, req *discoveryv3.DeltaDiscoveryRequest) error {
			k := streamKey{delta: true, id: id}
			if err := s.onRequest(k, req.GetNode()); err != nil {
				return err
			}
			if req.GetErrorDetail() != nil {
				s.onNACK(k, req.GetTypeUrl(), "", req.GetErrorDetail().GetMessage())
			}
			return nil
		},
		DeltaStreamClosedFunc: func(id int64, _ *corev3.Node) { s.onClosed(streamKey{delta: true, id: id}) },
	}
}

// onRequest runs before go-control-plane creates the watch of a request.
// The first request of a stream must name its node (later ones may
// omit it); a node seen for the first time gets its snapshot.
func (s *Server) onRequest(k streamKey, node *corev3.Node) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.streams[k]; known {
		return nil
	}
	id := node.GetId()
	if id == "" {
		return status.Error(codes.InvalidArgument, "the first request of a stream must set node.id")
	}
	if len(s.opts.Nodes) > 0 && !slices.Contains(s.opts.Nodes, id) {
		s.log.Warn("refused a stream of an unknown node", "node", id)
		return status.Errorf(codes.PermissionDenied, "node %q is not served by this control plane", id)
	}
	s.streams[k] = id
	s.refs[id]++
	if s.refs[id] == 1 {
		s.setSnapshot(id)
		s.log.Info("node connected", "node", id, "delta", k.delta, "versions", s.cfg.Versions(id))
	}
	return nil
}

// onClosed forgets a closed stream; the snapshot of a node without
// streams is dropped, so nodes that went away cost nothing.
func (s *Server) onClosed(k streamKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.streams[k]
	if !ok {
		return
	}
	delete(s.streams, k)
	if s.refs[id]--; s.refs[id] > 0 {
		return
	}
	delete(s.refs, id)
	s.cache.ClearSnapshot(id)
	s.log.Info("node disconnected", "node", id)
}

// onNACK reports a client rejecting what it was sent: a resource the
// control plane could not check (a file on the proxy's host), or a
// client stricter than these checks.
func (s *Server) onNACK(k streamKey, typeURL, version, detail string) {
	s.nacks.Add(1)
	s.mu.Lock()
	node := s.streams[k]
	s.mu.Unlock()
	s.log.Warn("client rejected resources", "node", node, "type", typeURL,
		"accepted_version", version, "error", detail)
}

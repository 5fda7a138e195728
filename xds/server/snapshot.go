package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
)

// build checks the set served to node ("" for the shared set) and turns
// it into a consistent snapshot. Each resource type is versioned by a
// hash of its resources, so a reload that changes only endpoints sends
// clients only EDS.
func build(s resourceSet, node string, checks Checks) (*nodeSnapshot, error) {
	if err := checkSet(s, node, checks); err != nil {
		return nil, err
	}
	byType := map[string][]types.Resource{}
	ns := &nodeSnapshot{versions: map[string]string{}, counts: map[string]int{}}
	versions := map[string]string{}
	for _, t := range typeURLs() {
		rs := s.sorted(t)
		h := sha256.New()
		list := make([]types.Resource, 0, len(rs))
		for _, r := range rs {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.msg)
			if err != nil {
				return nil, &FileError{File: r.file, Path: r.path, Node: node, Err: fmt.Errorf("encode: %w", err)}
			}
			fmt.Fprintf(h, "%d:%s%d:", len(r.name), r.name, len(b))
			h.Write(b)
			list = append(list, r.msg)
		}
		byType[t] = list
		v := hex.EncodeToString(h.Sum(nil))[:16]
		versions[t] = v
		ns.versions[kinds[t].short] = v
		ns.counts[kinds[t].short] = len(rs)
	}
	snap, err := cachev3.NewSnapshot("", byType)
	if err != nil {
		return nil, fmt.Errorf("build snapshot: %w", err)
	}
	for t, v := range versions {
		snap.Resources[cachev3.GetResponseType(t)].Version = v
	}
	if err := snap.Consistent(); err != nil {
		return nil, fmt.Errorf("check snapshot of %s: %w", nodeName(node), err)
	}
	if err := snap.ConstructVersionMap(); err != nil {
		return nil, fmt.Errorf("build snapshot of %s: %w", nodeName(node), err)
	}
	ns.snap = snap
	return ns, nil
}

func nodeName(node string) string {
	if node == "" {
		return "the shared resources"
	}
	return fmt.Sprintf("node %q", node)
}

package server

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// Checks selects how strictly resources are validated.
type Checks int

const (
	// CheckSidewire (the default) refuses anything Sidewire's ADS client
	// would NACK: every listener, cluster and load assignment goes through
	// Sidewire's translators, and the set of each node through
	// config.Snapshot.Validate.
	CheckSidewire Checks = iota
	// CheckEnvoy runs only Envoy's own rules (strict decoding, the
	// generated ValidateAll, snapshot consistency), for directories that
	// serve Envoy or other xDS clients.
	CheckEnvoy
)

// Config is a loaded and validated resource directory: one snapshot for
// the nodes without overrides and one per node directory. It is
// immutable.
type Config struct {
	common *nodeSnapshot
	nodes  map[string]*nodeSnapshot
	files  int
}

// nodeSnapshot is the snapshot of one node and what it was built from.
type nodeSnapshot struct {
	snap     *cachev3.Snapshot
	versions map[string]string // by short type name: "lds" -> "3f2a..."
	counts   map[string]int    // by short type name
}

// Snapshot returns the snapshot served to node: its own when the
// directory has nodes/<node>/, else the shared one.
func (c *Config) Snapshot(node string) *cachev3.Snapshot {
	return c.forNode(node).snap
}

func (c *Config) forNode(node string) *nodeSnapshot {
	if ns, ok := c.nodes[node]; ok {
		return ns
	}
	return c.common
}

// Nodes returns the node ids with overrides, sorted.
func (c *Config) Nodes() []string { return slices.Sorted(maps.Keys(c.nodes)) }

// Versions returns the version of each resource type served to node,
// by short name ("lds", "cds", "eds", "rds", "sds"). A version is a hash
// of the type's resources, so an unchanged type keeps its version across
// reloads and clients are not sent it again.
func (c *Config) Versions(node string) map[string]string {
	return maps.Clone(c.forNode(node).versions)
}

// Counts returns the number of resources of each type served to node.
func (c *Config) Counts(node string) map[string]int {
	return maps.Clone(c.forNode(node).counts)
}

// Load reads every resource file of dir, validates each resource and
// the set served to each node, and builds their snapshots. The error
// joins one *FileError per problem; nothing is returned then.
func Load(dir string, checks Checks) (*Config, error) {
	files, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	common := resourceSet{}
	nodes := map[string]resourceSet{}
	for _, f := range files {
		rs, err := readFile(dir, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set := common
		if id := nodeOf(f); id != "" {
			if nodes[id] == nil {
				nodes[id] = resourceSet{}
			}
			set = nodes[id]
		}
		for _, r := range rs {
			errs = append(errs, set.add(r))
			errs = append(errs, checkResource(r, checks))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := &Config{nodes: map[string]*nodeSnapshot{}, files: len(files)}
	if out.common, err = build(common, "", checks); err != nil {
		return nil, err // every node would repeat these
	}
	for id, over := range nodes {
		ns, err := build(common.merge(over), id, checks)
		errs = append(errs, err)
		out.nodes[id] = ns
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// resourceSet holds resources by type URL and name.
type resourceSet map[string]map[string]*resource

// add puts r in the set; a second resource of the same type and name is
// an error naming both places.
func (s resourceSet) add(r *resource) error {
	byName := s[r.typeURL]
	if byName == nil {
		byName = map[string]*resource{}
		s[r.typeURL] = byName
	}
	if prev, dup := byName[r.name]; dup {
		return &FileError{File: r.file, Path: r.path, Err: fmt.Errorf("%s %q is also defined in %s", kinds[r.typeURL].short, r.name, prev.where())}
	}
	byName[r.name] = r
	return nil
}

// merge returns s with the resources of over added, replacing those of
// the same type and name.
func (s resourceSet) merge(over resourceSet) resourceSet {
	out := resourceSet{}
	for t, byName := range s {
		out[t] = maps.Clone(byName)
	}
	for t, byName := range over {
		if out[t] == nil {
			out[t] = map[string]*resource{}
		}
		maps.Copy(out[t], byName)
	}
	return out
}

// sorted returns the resources of type t ordered by name.
func (s resourceSet) sorted(t string) []*resource {
	byName := s[t]
	out := make([]*resource, 0, len(byName))
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[n])
	}
	return out
}

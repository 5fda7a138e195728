package server

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// nodesDir holds the per-node overrides: nodes/<node-id>/*.yaml.
const nodesDir = "nodes"

// isResourceFile reports whether name is a resource file by its
// extension.
func isResourceFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// hidden entries (".git", editor swap files, Kubernetes' "..data") are
// never read.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// listFiles returns the resource files of dir relative to it, with
// forward slashes, sorted: the shared files at the top and the files of
// nodes/<id>/. Symbolic links are followed (a Kubernetes ConfigMap mount
// is links into a hidden directory). Files with other extensions are
// ignored; an unexpected directory is an error, so a misplaced override
// is not silently left out.
func listFiles(dir string) ([]string, error) {
	entries, err := readDir(dir, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		switch {
		case !e.dir && isResourceFile(e.name):
			out = append(out, e.name)
		case e.dir && e.name == nodesDir:
			files, err := listNodes(dir)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		case e.dir:
			return nil, &FileError{File: e.name, Err: fmt.Errorf("unexpected directory (only %s/<node-id>/ may hold resource files)", nodesDir)}
		}
	}
	slices.Sort(out)
	return out, nil
}

func listNodes(dir string) ([]string, error) {
	nodes, err := readDir(dir, nodesDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nodes {
		rel := path.Join(nodesDir, n.name)
		if !n.dir {
			if isResourceFile(n.name) {
				return nil, &FileError{File: rel, Err: fmt.Errorf("resource file directly under %s/: put it in %s/<node-id>/", nodesDir, nodesDir)}
			}
			continue
		}
		files, err := readDir(dir, rel)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			switch {
			case f.dir:
				return nil, &FileError{File: path.Join(rel, f.name), Err: fmt.Errorf("unexpected directory in a node's overrides")}
			case isResourceFile(f.name):
				out = append(out, path.Join(rel, f.name))
			}
		}
	}
	return out, nil
}

type dirEntry struct {
	name string
	dir  bool
}

// readDir lists the visible entries of dir/rel, following links.
func readDir(dir, rel string) ([]dirEntry, error) {
	full := filepath.Join(dir, filepath.FromSlash(rel))
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	var out []dirEntry
	for _, e := range entries {
		if hidden(e.Name()) {
			continue
		}
		fi, err := os.Stat(filepath.Join(full, e.Name()))
		if err != nil {
			return nil, &FileError{File: path.Join(rel, e.Name()), Err: fmt.Errorf("stat: %w", err)}
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, dirEntry{name: e.Name(), dir: fi.IsDir()})
	}
	return out, nil
}

// nodeOf returns the node id of a file under nodes/<id>/, or "" for a
// shared file.
func nodeOf(rel string) string {
	rest, ok := strings.CutPrefix(rel, nodesDir+"/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

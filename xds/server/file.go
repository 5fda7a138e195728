package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"
)

// maxFileSize bounds one resource file; a larger file is refused rather
// than read into memory.
const maxFileSize = 16 << 20

// resource is one decoded resource of a file.
type resource struct {
	file    string // path relative to the directory, with forward slashes
	path    string // location in the file: "resources[2]", or "" for a single-resource file
	typeURL string
	name    string
	msg     proto.Message
	// ir is the translation into Sidewire's config IR (*config.Listener
	// or *config.Cluster) with CheckSidewire; nil otherwise.
	ir any
}

// where names the resource in messages: `clusters.yaml: resources[1]`.
func (r *resource) where() string {
	if r.path == "" {
		return r.file
	}
	return r.file + ": " + r.path
}

// fileKeys are the top-level fields of Envoy's DiscoveryResponse file
// format (as path_config_source reads it) that a file may set.
var fileKeys = map[string]bool{"version_info": true, "resources": true, "type_url": true}

// readFile reads and decodes one resource file: a DiscoveryResponse with
// a resources list (Envoy's file format for path_config_source), or a
// single resource with "@type". An empty file holds no resources.
func readFile(dir, rel string) ([]*resource, error) {
	data, err := readBounded(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, &FileError{File: rel, Err: err}
	}
	return decodeFile(rel, data)
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read file: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("read file: larger than %d bytes", maxFileSize)
	}
	return data, nil
}

// decodeFile decodes the content of file rel. Every problem is reported,
// one *FileError each.
func decodeFile(rel string, data []byte) ([]*resource, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, &FileError{File: rel, Err: fmt.Errorf("parse yaml: %w", err)}
	}
	js = bytes.TrimSpace(js)
	if len(js) == 0 || string(js) == "null" {
		return nil, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return nil, &FileError{File: rel, Err: errors.New("want an object: a resources list or one resource with \"@type\"")}
	}
	if _, ok := top["@type"]; ok {
		r, err := decodeResource(rel, "", "", js)
		if err != nil {
			return nil, err
		}
		return []*resource{r}, nil
	}
	raw, ok := top["resources"]
	if !ok {
		return nil, &FileError{File: rel, Err: errors.New(`want a "resources" list (Envoy's DiscoveryResponse file format) or one resource with "@type"`)}
	}
	var errs []error
	for k := range top {
		if !fileKeys[k] {
			errs = append(errs, &FileError{File: rel, Err: fmt.Errorf("%s: unknown field (want version_info, type_url, resources)", k)})
		}
	}
	var typeURL string
	if t, ok := top["type_url"]; ok {
		if err := json.Unmarshal(t, &typeURL); err != nil {
			errs = append(errs, &FileError{File: rel, Err: errors.New("type_url: want a string")})
		}
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.Join(append(errs, &FileError{File: rel, Err: errors.New("resources: want a list")})...)
	}
	var out []*resource
	for i, js := range list {
		r, err := decodeResource(rel, fmt.Sprintf("resources[%d]", i), typeURL, js)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// decodeResource decodes one {"@type": ..., fields} object strictly with
// protojson (unknown fields are errors) and checks that its type is one
// the control plane serves and that it has a name.
func decodeResource(rel, path, wantType string, js json.RawMessage) (*resource, error) {
	fail := func(format string, args ...any) error {
		return &FileError{File: rel, Path: path, Err: fmt.Errorf(format, args...)}
	}
	var head struct {
		Type string `json:"@type"`
	}
	if err := json.Unmarshal(js, &head); err != nil || head.Type == "" {
		return nil, fail(`want an object with "@type"`)
	}
	kind, ok := kinds[head.Type]
	if !ok {
		return nil, fail("unsupported resource type %s (want one of %s)", head.Type, strings.Join(typeURLs(), ", "))
	}
	if wantType != "" && wantType != head.Type {
		return nil, fail("type %s differs from the file's type_url %s", head.Type, wantType)
	}
	var a anypb.Any
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, &a); err != nil {
		return nil, fail("%s", protojsonReason(err))
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		return nil, fail("decode %s: %w", head.Type, err)
	}
	name := kind.name(m)
	if name == "" {
		return nil, &FileError{File: rel, Path: joinPath(path, kind.nameField), Err: errors.New("is required")}
	}
	return &resource{file: rel, path: path, typeURL: head.Type, name: name, msg: m}, nil
}

// joinPath appends a field name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// protojsonPrefix matches what protojson puts before the reason of an
// error ("proto:" and a space or non-breaking space, a position).
var protojsonPrefix = regexp.MustCompile(`^proto:[\s\x{00a0}]*(syntax error )?(\(line \d+:\d+\):\s*)?`)

func protojsonReason(err error) string {
	return protojsonPrefix.ReplaceAllString(err.Error(), "")
}

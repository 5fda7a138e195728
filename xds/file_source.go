package xds

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// FileSource is a config source that is a file (Envoy's
// path_config_source, or the deprecated path): the file holds a
// DiscoveryResponse in YAML or JSON, and a new version is read whenever
// it changes.
type FileSource struct {
	// Path is the file.
	Path string
	// WatchedDirectory, when set, is a directory whose changes also
	// trigger a reload, for files replaced by moving a directory or a
	// symlink into place (a Kubernetes ConfigMap).
	WatchedDirectory string
}

// fileSource returns cs as a FileSource when it is a path or
// path_config_source.
func fileSource(cs *corev3.ConfigSource) (FileSource, bool) {
	switch s := cs.GetConfigSourceSpecifier().(type) {
	case *corev3.ConfigSource_Path:
		return FileSource{Path: s.Path}, true
	case *corev3.ConfigSource_PathConfigSource:
		return FileSource{Path: s.PathConfigSource.GetPath(), WatchedDirectory: s.PathConfigSource.GetWatchedDirectory().GetPath()}, true
	}
	return FileSource{}, false
}

// filePoller notices changes of a file by polling, which works on every
// file system and catches every way of replacing a file (in place,
// renamed over, a symlink or directory swapped): a change of the file's
// identity, size or modification time, or of its watched directory,
// makes it read the file, and contents whose hash differs from the last
// ones read are returned.
type filePoller struct {
	src         FileSource
	file, dir   os.FileInfo
	sum         [sha256.Size]byte
	read        bool
	lastErr     string
	onError     func(err error) // called when an error first occurs or changes
	onRecovered func()
}

// poll returns the file's contents when they changed since the last
// call (or on the first call).
func (p *filePoller) poll() ([]byte, bool) {
	fi, err := os.Stat(p.src.Path)
	if err != nil {
		p.fail(fmt.Errorf("watch %s: %w", p.src.Path, err))
		return nil, false
	}
	var di os.FileInfo
	if p.src.WatchedDirectory != "" {
		if di, err = os.Stat(p.src.WatchedDirectory); err != nil {
			p.fail(fmt.Errorf("watch directory %s: %w", p.src.WatchedDirectory, err))
			return nil, false
		}
	}
	if p.read && p.lastErr == "" && sameStat(p.file, fi) && sameStat(p.dir, di) {
		return nil, false
	}
	data, err := os.ReadFile(p.src.Path)
	if err != nil {
		p.fail(fmt.Errorf("read %s: %w", p.src.Path, err))
		return nil, false
	}
	if p.lastErr != "" && p.onRecovered != nil {
		p.onRecovered()
	}
	p.file, p.dir, p.lastErr = fi, di, ""
	sum := sha256.Sum256(data)
	if p.read && sum == p.sum {
		return nil, false
	}
	p.sum, p.read = sum, true
	return data, true
}

func (p *filePoller) fail(err error) {
	if err.Error() != p.lastErr && p.onError != nil {
		p.onError(err)
	}
	p.lastErr = err.Error()
}

// sameStat reports whether a and b describe the same, unchanged file.
func sameStat(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// startFiles starts watching the files of path sources: the LDS and CDS
// files of the config, and the EDS files of the accepted clusters.
func (c *ADSClient) startFiles(ctx context.Context, wg *sync.WaitGroup) {
	// A listener file read before the cluster file waits for it
	// (warming), so the order does not matter.
	for _, f := range []struct {
		src *FileSource
		typ string
	}{{c.cfg.CDS, ClusterTypeURL}, {c.cfg.LDS, ListenerTypeURL}} {
		if f.src != nil {
			wg.Go(func() { c.watchFile(ctx, *f.src, f.typ) })
		}
	}
	wg.Go(func() { c.runNamedFiles(ctx, EndpointTypeURL, (*adsState).edsFileNames) })
	wg.Go(func() { c.runNamedFiles(ctx, SecretTypeURL, (*adsState).secretFiles) })
}

func (c *ADSClient) newPoller(src FileSource) *filePoller {
	return &filePoller{
		src: src,
		onError: func(err error) {
			c.log.Error("config file unavailable; keeping the last good config", "path", src.Path, "error", err)
			c.eng.recordError(err)
		},
		onRecovered: func() { c.log.Info("config file readable again", "path", src.Path) },
	}
}

// watchFile polls an LDS or CDS file until ctx is done.
func (c *ADSClient) watchFile(ctx context.Context, src FileSource, typ string) {
	p := c.newPoller(src)
	t := time.NewTicker(c.cfg.PollInterval)
	defer t.Stop()
	for {
		if data, ok := p.poll(); ok {
			c.applyFile(src, typ, data)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// applyFile parses a file of typ and hands it to the engine, which logs
// and counts a rejection.
func (c *ADSClient) applyFile(src FileSource, typ string, data []byte) {
	version, res, err := parseResourceFile(data, typ)
	if err != nil {
		c.eng.reject(&change{typ: typ, version: version}, src.Path, err)
		return
	}
	mode := sotw
	switch typ {
	case EndpointTypeURL:
		mode = fileEDS
	case SecretTypeURL:
		mode = fileSDS
	}
	if c.eng.accept(&change{typ: typ, version: version, mode: mode, resources: items(res), file: src}, src.Path) == nil {
		c.log.Info("config file applied", "path", src.Path, "type", typ, "version", version)
	}
}

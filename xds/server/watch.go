package server

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// watch polls the directory every PollInterval until ctx is done and
// reloads it when its files changed and then stayed the same for one
// interval. A digest that failed to load is not retried until the files
// change again, so a bad file is reported once.
func (s *Server) watch(ctx context.Context) {
	sc, loaded := &s.scan, s.digest
	seen := loaded
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d, err := sc.digest(s.opts.Dir)
		if err != nil {
			d = "error: " + err.Error()
		}
		if d != seen {
			seen = d // changed: wait until it stays so for one interval
			continue
		}
		if d == loaded {
			continue
		}
		loaded = d
		_ = s.Reload() // logged and counted
	}
}

// scanner fingerprints the resource files of a directory. It rereads
// only files whose size or modification time changed.
type scanner struct {
	files map[string]fileStamp
}

type fileStamp struct {
	size  int64
	mtime time.Time
	sum   [sha256.Size]byte
}

// digest returns a hash over the names and contents of the resource
// files of dir.
func (sc *scanner) digest(dir string) (string, error) {
	files, err := listFiles(dir)
	if err != nil {
		return "", err
	}
	next := make(map[string]fileStamp, len(files))
	h := sha256.New()
	for _, f := range files {
		st, err := sc.stamp(filepath.Join(dir, filepath.FromSlash(f)), f)
		if err != nil {
			return "", err
		}
		next[f] = st
		fmt.Fprintf(h, "%d:%s", len(f), f)
		h.Write(st.sum[:])
	}
	sc.files = next
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}

func (sc *scanner) stamp(full, rel string) (fileStamp, error) {
	fi, err := os.Stat(full)
	if err != nil {
		return fileStamp{}, err
	}
	if old, ok := sc.files[rel]; ok && old.size == fi.Size() && old.mtime.Equal(fi.ModTime()) {
		return old, nil
	}
	f, err := os.Open(full)
	if err != nil {
		return fileStamp{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxFileSize+1)); err != nil {
		return fileStamp{}, err
	}
	st := fileStamp{size: fi.Size(), mtime: fi.ModTime()}
	h.Sum(st.sum[:0])
	return st, nil
}

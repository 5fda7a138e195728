package telemetry

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sidewire/sidewire/proxy/config"
)

// AccessLogEntry is what an access log line can say about a finished
// connection (tcp_proxy) or request (protocol codecs). Zero values are
// "not set" and print as Envoy prints them: "-" for strings, 0 for
// numbers.
type AccessLogEntry struct {
	StartTime     time.Time
	Duration      time.Duration
	BytesReceived uint64
	BytesSent     uint64
	// Addresses are "ip:port" ("[ipv6]:port").
	DownstreamRemoteAddress string
	DownstreamLocalAddress  string
	UpstreamHost            string
	UpstreamCluster         string
	UpstreamLocalAddress    string
	// ResponseFlags are Envoy's short flags ("UF", "UO", "UH", "UF,URX");
	// "" or "-" when there are none.
	ResponseFlags                string
	ConnectionID                 uint64
	RequestedServerName          string // SNI; "" if none
	ConnectionTerminationDetails string

	// Protocol request fields, filled by codecs.
	Protocol     string
	Method       string
	Service      string
	ResponseCode string

	// HTTP is set for HTTP requests: %REQ(...)%, %RESP(...)% and
	// %TRAILER(...)% read it, and print "-" without it.
	HTTP *HTTPLogInfo
}

// HTTPLogInfo is what an access log line can say about an HTTP request
// beyond AccessLogEntry: its pseudo-headers and its header maps, read
// while the line is formatted and not kept.
type HTTPLogInfo struct {
	// Method, Path (escaped path and query), Authority and Scheme are
	// the request's :method, :path, :authority and :scheme.
	Method, Path, Authority, Scheme string
	RequestHeaders                  http.Header
	ResponseHeaders                 http.Header
	ResponseTrailers                http.Header
}

// AccessLogger formats entries with one config.AccessLog format and
// writes them to its file. It is safe for concurrent use.
type AccessLogger struct {
	path   string
	format *logFormat
	w      *fileWriter

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// NewAccessLogger compiles cfg's format and opens cfg.Path, or shares the
// writer already open for that path. "/dev/stdout" and "/dev/stderr" are
// the process's own streams. Close releases the file.
func NewAccessLogger(cfg config.AccessLog) (*AccessLogger, error) {
	format, err := compileAccessLogFormat(cfg.Text, cfg.JSON)
	if err != nil {
		return nil, fmt.Errorf("create access logger %q: %w", cfg.Path, err)
	}
	w, err := acquireWriter(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("create access logger %q: %w", cfg.Path, err)
	}
	return &AccessLogger{path: cfg.Path, format: format, w: w}, nil
}

// lineBuf is a pooled pair of buffers: the line being built and scratch
// space for values that need JSON escaping.
type lineBuf struct {
	line, scratch []byte
}

// maxPooledLine keeps one huge line from pinning a large buffer in the
// pool.
const maxPooledLine = 64 << 10

var linePool = sync.Pool{New: func() any {
	return &lineBuf{line: make([]byte, 0, 512), scratch: make([]byte, 0, 128)}
}}

// Log formats e and queues the line for writing. It does not keep e, does
// not allocate in the steady state and never waits for the disk: the line
// is copied into the file's in-memory buffer, which a background goroutine
// writes out within a second. After Close it does nothing.
func (l *AccessLogger) Log(e *AccessLogEntry) {
	if l.closed.Load() {
		return
	}
	lb := linePool.Get().(*lineBuf)
	lb.line = l.format.appendLine(lb.line[:0], e, &lb.scratch)
	l.w.write(lb.line)
	if cap(lb.line) <= maxPooledLine && cap(lb.scratch) <= maxPooledLine {
		linePool.Put(lb)
	}
}

// Dropped returns how many lines of this logger's file were dropped
// because the disk fell behind by more than the buffer limit (shared by
// every logger of the path).
func (l *AccessLogger) Dropped() uint64 { return l.w.dropped.Load() }

// Path returns the configured path.
func (l *AccessLogger) Path() string { return l.path }

// Close stops the logger. When it is the last logger of its path, the
// buffered lines are written and the file is closed; Close then reports
// any write error seen since the file was opened. Close is idempotent.
func (l *AccessLogger) Close() error {
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		l.closeErr = l.w.release()
	})
	return l.closeErr
}

// appendLine renders one log line, newline included.
func (f *logFormat) appendLine(b []byte, e *AccessLogEntry, scratch *[]byte) []byte {
	if f.json == nil {
		for i := range f.text {
			b = f.text[i].appendText(b, e)
		}
		return b
	}
	b = append(b, '{')
	for i := range f.json {
		fld := &f.json[i]
		b = append(b, fld.prefix...)
		b = fld.appendJSONValue(b, e, scratch)
	}
	return append(b, '}', '\n')
}

// appendJSONValue renders one JSON value. A lone operator keeps its type
// (number, string, or null when unset); anything else is a string in
// which unset operators print "-".
func (fld *jsonField) appendJSONValue(b []byte, e *AccessLogEntry, scratch *[]byte) []byte {
	s := (*scratch)[:0]
	if fld.typed {
		seg := &fld.segs[0]
		var kind valueKind
		s, kind = seg.appendValue(s, e)
		*scratch = s
		switch kind {
		case kindUnset:
			return append(b, "null"...)
		case kindNumber:
			return append(b, s...)
		}
		if seg.maxLen > 0 && len(s) > seg.maxLen {
			s = s[:seg.maxLen]
		}
		return appendJSONString(b, bytesView(s))
	}
	for i := range fld.segs {
		s = fld.segs[i].appendText(s, e)
	}
	*scratch = s
	return appendJSONString(b, bytesView(s))
}

package telemetry

import (
	"net/http"
	"testing"
)

func httpEntry() *AccessLogEntry {
	e := tcpEntry()
	e.Protocol = "HTTP/1.1"
	e.ResponseCode = "200"
	e.HTTP = &HTTPLogInfo{
		Method:    "GET",
		Path:      "/api/v1?x=1",
		Authority: "example.com",
		Scheme:    "https",
		RequestHeaders: http.Header{
			"User-Agent":      {"curl/8.0"},
			"X-Forwarded-For": {"10.0.35.28"},
			"X-Request-Id":    {"abc-123"},
			"X-Multi":         {"first", "second"},
		},
		ResponseHeaders:  http.Header{"X-Envoy-Upstream-Service-Time": {"12"}, "Content-Type": {"text/plain"}},
		ResponseTrailers: http.Header{"Grpc-Status": {"0"}},
	}
	return e
}

// The default format prints an HTTP request as Envoy does.
func TestDefaultFormatHTTP(t *testing.T) {
	want := `[2016-04-15T20:17:00.310Z] "GET /api/v1?x=1 HTTP/1.1" 200 - 154 77 226 12 "10.0.35.28" "curl/8.0" "abc-123" "example.com" "10.0.2.1:80"` + "\n"
	if got := render(t, "", nil, httpEntry()); got != want {
		t.Errorf("default format:\n got %q\nwant %q", got, want)
	}
	// x-envoy-original-path wins over :path when present.
	e := httpEntry()
	e.HTTP.RequestHeaders["X-Envoy-Original-Path"] = []string{"/orig"}
	if got := render(t, "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", nil, e); got != "/orig\n" {
		t.Errorf("original path: got %q", got)
	}
}

func TestHeaderOperators(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"%REQ(:METHOD)% %REQ(:path)% %REQ(:AUTHORITY)% %REQ(:SCHEME)% %REQ(host)%", "GET /api/v1?x=1 example.com https example.com"},
		{"%REQ(user-agent)% %REQ(X-MULTI)%", "curl/8.0 first"},
		{"%REQ(x-missing)% %REQ(x-missing?user-agent)% %REQ(user-agent?x-missing)%", "- curl/8.0 curl/8.0"},
		{"%REQ(USER-AGENT):4%", "curl"},
		{"%RESP(content-type)% %RESP(user-agent)% %TRAILER(grpc-status)% %TRAILER(x)%", "text/plain - 0 -"},
	}
	for _, tt := range tests {
		if got := render(t, tt.format, nil, httpEntry()); got != tt.want+"\n" {
			t.Errorf("%s: got %q, want %q", tt.format, got, tt.want)
		}
		// A connection log has no headers: every header prints "-".
		if got := render(t, "%REQ(:METHOD)%|%RESP(x)%", nil, tcpEntry()); got != "-|-\n" {
			t.Errorf("tcp entry: got %q", got)
		}
	}
	got := render(t, "", map[string]string{"m": "%REQ(:METHOD)%", "none": "%REQ(x-none)%", "ua": "ua=%REQ(user-agent)%"}, httpEntry())
	if want := `{"m":"GET","none":null,"ua":"ua=curl/8.0"}` + "\n"; got != want {
		t.Errorf("json: got %q, want %q", got, want)
	}
}

package admin

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sidewire/sidewire/internal/leakcheck"
	"github.com/sidewire/sidewire/proxy/server"
)

// startAdmin serves an Admin on 127.0.0.1 with dump as ConfigDump and
// returns its base URL.
func startAdmin(t *testing.T, dump func(url.Values) ([]byte, error)) string {
	t.Helper()
	srv := server.New(server.Options{Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(srv.Close)
	a, err := New("127.0.0.1:0", Options{Server: srv, ConfigDump: dump, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go a.Serve()
	t.Cleanup(func() { a.Close() })
	return "http://" + a.Addr().String()
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestConfigDumpQueryAndStatus(t *testing.T) {
	leakcheck.Check(t)
	queries := make(chan url.Values, 10)
	base := startAdmin(t, func(q url.Values) ([]byte, error) {
		queries <- q
		switch q.Get("resource") {
		case "bad":
			return nil, &BadRequestError{Err: errors.New(`config_dump resource: "bad" is not a repeated field`)}
		case "broken":
			return nil, errors.New("disk on fire")
		}
		return []byte(`{"configs":[]}`), nil
	})
	for _, tc := range []struct {
		query string
		code  int
		body  string
	}{
		{"?include_eds&name_regex=c.*", 200, `{"configs":[]}`},
		{"?resource=bad", 400, `config_dump resource: "bad" is not a repeated field`},
		{"?resource=broken", 500, "render config dump: disk on fire"},
	} {
		code, body := get(t, base+"/config_dump"+tc.query)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("GET /config_dump%s = %d %q, want %d with %q", tc.query, code, body, tc.code, tc.body)
		}
		want, _ := url.ParseQuery(strings.TrimPrefix(tc.query, "?"))
		if got := <-queries; got.Encode() != want.Encode() {
			t.Errorf("GET /config_dump%s: ConfigDump got query %v, want %v", tc.query, got, want)
		}
	}

	nilBase := startAdmin(t, nil)
	if code, _ := get(t, nilBase+"/config_dump"); code != http.StatusNotImplemented {
		t.Errorf("GET /config_dump without ConfigDump = %d, want 501", code)
	}
}

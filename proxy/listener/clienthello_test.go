package listener

import (
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"testing"
)

// captureHello returns the bytes a real crypto/tls client sends first.
func captureHello(t testing.TB, serverName string, alpn []string) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer s.Close()
	go func() {
		tc := tls.Client(c, &tls.Config{ServerName: serverName, NextProtos: alpn, InsecureSkipVerify: true})
		tc.Handshake() // fails when s closes; we only want the hello
		c.Close()
	}()
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(buf)
		out = append(out, buf[:n]...)
		if _, perr := parseClientHello(out); perr == nil || !errors.Is(perr, errNeedMore) {
			return out
		}
		if err != nil {
			t.Fatalf("read client hello: %v", err)
		}
	}
}

func TestParseClientHello(t *testing.T) {
	cases := []struct {
		name string
		sni  string
		alpn []string
	}{
		{"sni and alpn", "db.example.com", []string{"h2", "http/1.1"}},
		{"sni only", "redis.internal", nil},
		{"alpn only", "", []string{"redis"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := captureHello(t, c.sni, c.alpn)
			h, err := parseClientHello(b)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if h.ServerName != c.sni || !slices.Equal(h.ALPN, c.alpn) {
				t.Fatalf("got sni=%q alpn=%q, want %q %q", h.ServerName, h.ALPN, c.sni, c.alpn)
			}
		})
	}
}

func TestParseClientHelloUppercaseSNI(t *testing.T) {
	h, err := parseClientHello(captureHello(t, "DB.Example.COM", nil))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if h.ServerName != "db.example.com" {
		t.Fatalf("sni %q not lower-cased", h.ServerName)
	}
}

func TestParseClientHelloEveryPrefixNeedsMore(t *testing.T) {
	b := captureHello(t, "a.example", []string{"h2"})
	for i := 0; i < len(b); i++ {
		if _, err := parseClientHello(b[:i]); !errors.Is(err, errNeedMore) {
			t.Fatalf("prefix of %d/%d bytes: got %v, want errNeedMore", i, len(b), err)
		}
	}
}

func TestParseClientHelloSplitRecords(t *testing.T) {
	b := captureHello(t, "split.example", []string{"h2"})
	body := b[recordHeaderLen:]
	// Re-frame the handshake into records of 50 bytes each.
	var out []byte
	for len(body) > 0 {
		n := min(50, len(body))
		out = append(out, 0x16, 3, 1, byte(n>>8), byte(n))
		out = append(out, body[:n]...)
		body = body[n:]
	}
	h, err := parseClientHello(out)
	if err != nil {
		t.Fatalf("parse fragmented hello: %v", err)
	}
	if h.ServerName != "split.example" {
		t.Fatalf("sni %q", h.ServerName)
	}
}

func TestParseClientHelloNotTLS(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("*1\r\n$4\r\nPING\r\n"),
		[]byte("GET / HTTP/1.1\r\n"),
		{0x16, 9, 9},
		{0x16, 3, 1, 0, 0},
		{0x16, 3, 1, 0, 4, 2, 0, 0, 0}, // server hello
	} {
		if _, err := parseClientHello(in); !errors.Is(err, errNotTLS) {
			t.Errorf("%q: got %v, want errNotTLS", in, err)
		}
	}
}

func FuzzParseClientHello(f *testing.F) {
	f.Add(captureHello(f, "fuzz.example", []string{"h2", "http/1.1"}))
	f.Add(captureHello(f, "", nil))
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseClientHello(b)
		if err != nil && !errors.Is(err, errNeedMore) && !errors.Is(err, errNotTLS) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if err != nil && (h.ServerName != "" || h.ALPN != nil) {
			t.Fatalf("error %v with a result %+v", err, h)
		}
	})
}

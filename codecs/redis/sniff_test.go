package redis

import (
	"testing"

	"github.com/sidewire/sidewire/codecs"
)

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want codecs.SniffResult
	}{
		{"", codecs.NeedMore},
		{"*", codecs.NeedMore},
		{"*12", codecs.NeedMore},
		{"*1\r", codecs.NeedMore},
		{"*1\r\n", codecs.NeedMore},
		{"*1\r\n$", codecs.Match},
		{"*a", codecs.NoMatch},
		{"*01\r\n$", codecs.NoMatch},
		{"*1\r\n:", codecs.NoMatch},
		{"*1\n", codecs.NoMatch},
		{"*12345678901\r\n$", codecs.NoMatch},
		{"P", codecs.NeedMore},
		{"PING", codecs.NeedMore},
		{"PING ", codecs.Match},
		{"ping\tx", codecs.Match},
		{"PINGX\r\n", codecs.NoMatch},
		{"georadiusbymember_ro", codecs.NeedMore},
		{"georadiusbymember_rox", codecs.NoMatch},
		{"QUIT\r\n", codecs.Match},
		{"get foo\r\n", codecs.Match},
		{"get foo\n", codecs.Match},
		{"GET  foo \r\n", codecs.Match},
		{"GET foo", codecs.NeedMore},
		{"GET", codecs.NeedMore},
		{"GET /index.html HTTP/1.1\r\n", codecs.NoMatch},
		{"GET  /", codecs.NoMatch},
		{"get /x\r\n", codecs.NoMatch},
		{"GET foo HTTP/1.0\r\n", codecs.NoMatch},
		{"GETX", codecs.NoMatch},
		{"PUT / HTTP/1.1\r\n", codecs.NoMatch},
		{"DELETE / HTTP/1.1\r\n", codecs.NoMatch},
		{"OPTIONS * HTTP/1.1\r\n", codecs.NoMatch},
		{"CONNECT host:443 HTTP/1.1\r\n", codecs.NoMatch},
		{"\x16\x03\x01", codecs.NoMatch},
		{"\x00\x00\x00\x08", codecs.NoMatch},
		{"\r\nPING\r\n", codecs.NoMatch},
	} {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestSniffEveryCommand sniffs every command as an inline command.
func TestSniffEveryCommand(t *testing.T) {
	for _, c := range Commands() {
		for _, b := range []byte(c.Name) {
			if !isNameByte(b) {
				t.Errorf("command %q has byte %q that sniffing does not accept", c.Name, b)
			}
		}
		if got := Sniff([]byte(c.Name + " x\r\n")); got != codecs.Match {
			t.Errorf("Sniff(%q) = %v, want match", c.Name+" x", got)
		}
	}
}

func TestSniffRegistry(t *testing.T) {
	r := codecs.NewRegistry()
	if err := r.Register(New(Limits{})); err != nil {
		t.Fatal(err)
	}
	if c, res := r.Sniff([]byte("*2\r\n$3\r\nGET\r\n")); res != codecs.Match || c.Name() != Name {
		t.Errorf("registry sniff: %v %v", c, res)
	}
	long := "GET /" + string(make([]byte, 100))
	if _, res := r.Sniff([]byte(long)); res != codecs.NoMatch {
		t.Errorf("registry sniff of an HTTP request: %v", res)
	}
}

package sockio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection.
func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func TestTryWriteNeverBlocks(t *testing.T) {
	c, s := pair(t)
	w := New(c)
	if w == nil {
		t.Fatal("no TryWriter for a TCP connection")
	}
	if n, err := w.TryWrite([]byte("hello")); n != 5 || err != nil {
		t.Fatalf("TryWrite = %d, %v", n, err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(s, got); err != nil || string(got) != "hello" {
		t.Fatalf("peer read %q, %v", got, err)
	}
	// The peer reads nothing more: the socket fills and TryWrite returns
	// short, without blocking and without an error.
	big := bytes.Repeat([]byte("x"), 64<<20)
	done := make(chan struct{})
	var n int
	var err error
	go func() {
		defer close(done)
		n, err = w.TryWrite(big)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("TryWrite blocked on a full socket")
	}
	if err != nil || n <= 0 || n >= len(big) {
		t.Fatalf("TryWrite on a full socket = %d of %d, %v; want a short write", n, len(big), err)
	}
	// WriteAll finishes the rest once the peer reads.
	go io.Copy(io.Discard, s)
	if m, err := WriteAll(w, c, big[n:]); err != nil || m != len(big)-n {
		t.Fatalf("WriteAll = %d, %v", m, err)
	}
}

func TestTryWriteAfterPeerReset(t *testing.T) {
	c, s := pair(t)
	s.SetLinger(0)
	s.Close()
	w := New(c)
	var err error
	for i := 0; i < 100 && err == nil; i++ { // the reset arrives after a write
		_, err = w.TryWrite([]byte("data"))
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("TryWrite to a reset connection kept succeeding")
	}
}

func TestReader(t *testing.T) {
	c, s := pair(t)
	r := NewReader(s)
	if r == nil {
		t.Fatal("no Reader for a TCP connection")
	}
	go c.Write([]byte("ping"))
	buf := make([]byte, 16)
	n, err := r.Read(buf) // waits in the netpoller until data comes
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read = %q, %v", buf[:n], err)
	}
	// A deadline ends a wait with the usual timeout error.
	s.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := r.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	s.SetReadDeadline(time.Time{})
	// The peer's close is io.EOF.
	c.Close()
	if _, err := r.Read(buf); err != io.EOF {
		t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
	}
	// Our own close is net.ErrClosed.
	s.Close()
	if _, err := r.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
	}
}

func TestNotASocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if New(a) != nil || NewReader(a) != nil {
		t.Fatal("net.Pipe has no socket, want nil")
	}
}

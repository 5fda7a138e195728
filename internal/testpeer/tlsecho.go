package testpeer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// TLSEcho is a TLS server that echoes, presenting a self-signed
// certificate for one name and serving the negotiated ALPN protocol.
type TLSEcho struct {
	Name string
	ln   net.Listener
	wg   sync.WaitGroup
}

// StartTLSEcho starts a TLS echo server for name on 127.0.0.1:0 that
// accepts the given ALPN protocols.
func StartTLSEcho(t testing.TB, name string, alpn ...string) *TLSEcho {
	t.Helper()
	cert := SelfSigned(t, name)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: alpn})
	if err != nil {
		t.Fatalf("listen tls echo: %v", err)
	}
	e := &TLSEcho{Name: name, ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); e.wg.Wait() })
	return e
}

// Addr is the server's address.
func (e *TLSEcho) Addr() *net.TCPAddr { return e.ln.Addr().(*net.TCPAddr) }

// SelfSigned makes a throwaway ECDSA certificate for name.
func SelfSigned(t testing.TB, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

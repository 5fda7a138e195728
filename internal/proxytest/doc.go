// Package proxytest runs downstream sessions on a loopback listener for
// tests of the session and pool packages. Test-only.
package proxytest

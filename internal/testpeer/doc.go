// Package testpeer starts the real peers tests talk to: a TCP echo server
// that counts its connections, redis-server from Debian on an ephemeral
// loopback port, and a hermetic Dubbo 2 provider with a multiplexing
// consumer (dubbo.go, dubboclient.go). Every peer stops at test cleanup. A peer whose
// binary is missing fails the test with the command that installs it.
package testpeer

// Package tcpproxy is Envoy's envoy.filters.network.tcp_proxy: the
// terminal network filter that connects a downstream connection to one
// upstream host and moves bytes both ways.
//
// Bytes move with (*net.TCPConn).ReadFrom between two TCP sockets, which
// Go implements with splice(2): payload never enters user space. Half-close
// is forwarded (a FIN from one side becomes CloseWrite on the other), and
// the idle timeout reads the kernel's TCP_INFO byte counters instead of
// wrapping the sockets, so it costs nothing on the data path.
package tcpproxy

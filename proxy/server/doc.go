// Package server is Sidewire's runtime: it turns config snapshots into
// running clusters and listeners and swaps them in without dropping
// connections. Apply builds everything a snapshot needs first and commits
// only when every piece built, so a bad snapshot leaves the running one in
// place. Listeners whose address is unchanged keep their socket and get the
// new filter chains for new connections; a listener whose address changed
// or that went away drains for the drain time, then closes.
package server

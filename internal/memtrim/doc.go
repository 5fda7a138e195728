// Package memtrim gives back the resident pages of the program's own
// code and read-only data once startup is over.
//
// A Go binary's package initialisers, flag and config parsing and the
// registration of every protobuf descriptor touch code and read-only
// data spread over the whole executable, and the kernel's fault-around
// maps up to 16 neighbouring pages with each one touched: after startup
// nearly all of the text and most of rodata are resident, though serving
// traffic uses a fraction of them. ReleaseCode drops those mappings
// (madvise MADV_DONTNEED on the executable's read-only, unmodified
// private mappings); the pages stay in the page cache, shared, and the
// ones serving still needs fault back in on first use.
//
// Only mappings that cannot hold process state are released: they must
// be private, not writable, backed by the executable and hold no
// anonymous (copy-on-write) pages, so what faults back in is exactly
// what was there.
package memtrim

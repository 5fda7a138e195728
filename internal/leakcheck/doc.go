// Package leakcheck fails a test that leaves goroutines behind.
//
// Call Check at the top of a test (before starting anything):
//
//	func TestX(t *testing.T) {
//		leakcheck.Check(t)
//		...
//	}
//
// Check records the goroutines alive at that moment and registers a
// cleanup, run after the test's other cleanups, that waits up to a grace
// period for every newer goroutine to exit and reports the stacks of
// those that did not. Tests using it must not run in parallel with
// other tests of the same binary, whose goroutines would look leaked.
package leakcheck

// Package ring provides Ring, a growable first-in first-out queue backed
// by a circular slice. Pushing and popping reuse the backing array, so a
// queue that reaches its working size stops allocating. It is not safe
// for concurrent use; callers hold their own lock.
package ring

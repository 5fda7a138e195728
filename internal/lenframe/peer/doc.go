// Package peer provides real TCP peers speaking lenframe for tests: an
// upstream Server with scriptable misbehaviour (slow, out of order,
// dying mid-flight, pushing, heartbeating) and a downstream Client that
// pipelines or multiplexes calls over one connection. Test-only.
package peer

package xds

import "google.golang.org/protobuf/encoding/protowire"

// wireName returns the name of a serialized resource of a type the dump
// keeps: field 1, a string, in each of them (Listener.name, Cluster.name,
// ClusterLoadAssignment.cluster_name, Secret.name,
// MultipleRouteConfiguration.name). As in protobuf, the last occurrence
// wins. Malformed bytes give "" (an accepted resource is never
// malformed; a rejected one may be anything a peer sent).
func wireName(b []byte) string { return string(wireNameBytes(b)) }

// wireNameBytes is wireName without a copy: the name aliases b.
func wireNameBytes(b []byte) []byte {
	var name []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil
			}
			name, b = v, b[n:]
			continue
		}
		if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
			return nil
		}
		b = b[n:]
	}
	return name
}

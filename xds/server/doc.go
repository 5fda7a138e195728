// Package server is Sidewire's embedded control plane, behind `sidewire
// control-plane`: it serves a directory of Envoy v3 resources over the
// Aggregated Discovery Service, state of the world
// (StreamAggregatedResources) and delta (DeltaAggregatedResources), with
// go-control-plane's server and snapshot cache, and reloads the directory
// when it changes.
//
// # Directory layout
//
//	resources/
//	  listeners.yaml        any name ending in .yaml, .yml or .json
//	  clusters.yaml
//	  endpoints.json
//	  nodes/
//	    edge-1/             overrides for node.id "edge-1"
//	      clusters.yaml
//
// A file is in Envoy's DiscoveryResponse file format, the one
// path_config_source reads, so the same files serve both:
//
//	version_info: "1"        optional, ignored (versions are hashes)
//	type_url: ...            optional; then every resource must be of it
//	resources:
//	- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
//	  name: app
//	  ...
//
// or holds one resource with "@type" at the top. Types of different
// kinds may share a file (Envoy's path_config_source reads one type per
// file: keep them apart to use a file both ways). The served types are Listener, Cluster,
// ClusterLoadAssignment, RouteConfiguration and Secret (extensions
// transport_sockets.tls.v3). Every resource needs its name (cluster_name
// for a ClusterLoadAssignment); a name defined twice is an error naming
// both files. An empty file holds nothing. Hidden entries (".git",
// editor swap files, Kubernetes' "..data") and files with other
// extensions are ignored; symbolic links are followed, so a mounted
// ConfigMap works; any other directory is an error.
//
// Files in nodes/<node-id>/ apply to that node only: a resource there
// replaces the shared one of the same type and name, or is added. Nodes
// without a directory are served the shared resources. A node cannot
// remove a shared resource.
//
// # Validation
//
// A load is all or nothing, and reports every problem at once as joined
// *FileError values ("clusters.yaml: resources[1].connect_timeout: ..."):
//
//  1. YAML becomes JSON strictly (a key given twice is an error) and each
//     resource is decoded with protojson, unknown fields being errors.
//  2. With CheckSidewire (the default), listeners, clusters, load
//     assignments and route configurations go through Sidewire's
//     translators (xds.TranslateListener, TranslateCluster,
//     TranslateLoadAssignment, TranslateRouteConfiguration, which also run
//     Envoy's generated ValidateAll) and the set each node is served
//     through config.Snapshot.Validate (route configurations with
//     validate_clusters checked against the node's clusters), so what
//     Sidewire's ADS client would NACK is refused here, with the file and
//     field path. Secrets run ValidateAll. With CheckEnvoy every
//     resource runs ValidateAll only. DataSources naming a file or an
//     environment variable (Redis passwords) refer to the proxy's host:
//     they are not read here, and the proxy checks them on arrival.
//     Types in Any values (typed_config) must be linked into the binary
//     (the extensions Sidewire supports, and what its dependencies
//     register); others fail to decode ("unable to resolve").
//  3. Each EDS cluster must have its ClusterLoadAssignment
//     (eds_cluster_config.service_name, else the cluster name) and each
//     assignment an EDS cluster; then the snapshot of every node must pass
//     go-control-plane's Snapshot.Consistent (listeners name their RDS
//     routes too). go-control-plane's ADS cache would otherwise hold EDS
//     or RDS responses back.
//
// # Versions and updates
//
// Each resource type is versioned by a hash of its resources, so an
// unchanged type keeps its version across reloads and clients are sent
// only the types that changed (delta clients only the resources that
// changed). The directory is polled (every 250ms by default; file size
// and modification time first, content hashes when they change) and a
// change is loaded once the files stayed the same for one interval, so
// a file being written is not caught half way. A refused load is logged
// (slog, "resource directory rejected") and counted in Status.Rejected,
// and the last good configuration stays served; it is not retried until
// the files change again. The first load, in New, must succeed.
//
// A client that rejects what it was sent anyway (a NACK: a request with
// error_detail) is logged as "client rejected resources" and counted in
// Status.NACKs.
//
// # Nodes
//
// The cache keys snapshots by node.id. The first request of a stream must
// carry the node; when a node opens its first stream it is given the
// snapshot for its id, and every publish updates the connected nodes. A
// node whose last stream closed is forgotten. Options.Nodes restricts the
// node ids served; other nodes are refused with PermissionDenied.
//
// # Lifecycle
//
// New loads the directory; Serve serves gRPC (plain, or TLS with
// Options.TLS) and watches the directory until its context is done, then
// ends the open streams and stops gracefully. AdminHandler serves /ready
// and /status for an optional admin port.
package server

// Package xds is the only package that touches Envoy's v3 API protos. It
// loads bootstrap files and translates Envoy resources into Sidewire's
// config IR (package proxy/config); the ADS client that receives the same
// resources from a control plane builds on the same translators.
//
// # Loading a bootstrap
//
// LoadBootstrap takes an Envoy v3 Bootstrap as YAML or JSON and returns a
// validated *config.Snapshot:
//
//  1. YAML becomes JSON (sigs.k8s.io/yaml, strict: a key given twice is
//     an error).
//  2. The JSON is decoded into the Bootstrap message strictly, as protojson
//     does with DiscardUnknown=false, but by a walker that names the Envoy
//     field path of every problem and reports all of them: unknown fields
//     (with a hint for fields removed in v3, such as Cluster.hosts),
//     malformed values ("5 s" for a duration), oneof conflicts, fields set
//     twice under their JSON and proto names. protojson still parses every
//     value, so values mean exactly what they mean to Envoy's tooling.
//  3. Every populated field is checked against an allow-list (fieldRules),
//     by walking the message with protoreflect: a field with a non-default
//     value that Sidewire would silently ignore is an error,
//     "<path>: not supported". Fields added to Envoy's API later are
//     rejected automatically.
//  4. Envoy's own validation rules run (the generated ValidateAll), their
//     Go field names mapped back to Envoy paths.
//  5. The resources are translated; semantic problems (a cluster that does
//     not exist, a Maglev table that is not prime) are reported with paths.
//  6. config.Snapshot.Validate checks cross-references.
//
// Errors are joined *config.FieldError values ("<path>: <what>", paths in
// Envoy's field names such as static_resources.listeners[0].filter_chains
// [0].filters[0]), so errors.As works; input that is not YAML at all gives
// one plain "parse bootstrap: ..." error. Steps 3 to 5 run together, so
// one run reports every problem of a file; validation rule violations
// inside a field that is not supported anyway are left out.
//
// TranslateListener, TranslateCluster and TranslateLoadAssignment perform
// steps 3 to 5 on one resource, as it arrives over xDS.
//
// # Dynamic resources: ADS and files
//
// ADSClient runs a bootstrap's dynamic_resources (LoadBootstrapDynamic
// returns them as DynamicResources) and hands complete, warmed
// configurations to an Applier (proxy/server's Apply behind it). Its
// sources are an Aggregated Discovery Service stream, state of the world
// (StreamAggregatedResources) or incremental (DeltaAggregatedResources),
// and files (path config sources). The sources differ only in how a
// change arrives and is acknowledged; one engine (engine.go) takes every
// change, whatever its source, through the same steps:
//
//   - Every resource is decoded and translated with TranslateListener,
//     TranslateCluster or TranslateLoadAssignment, under paths such as
//     `listener "l1".filter_chains[0]`. Any error rejects the whole
//     change and the accepted state stays.
//   - The change is merged into a copy of the accepted state (see
//     changeMode): state of the world replaces listeners and clusters
//     and merges load assignments by name; delta merges by name and
//     drops removed_resources (a removed assignment of a remaining
//     cluster leaves it without endpoints, as in Envoy); a file replaces
//     its type whole. Load assignments no EDS cluster names are dropped.
//   - Warming: the state is applied only when every cluster a listener's
//     filters name (tcp_proxy cluster and weighted_clusters, redis_proxy
//     route, read and mirror clusters, the route, weighted and mirror
//     clusters of an http_connection_manager's inline route_config that
//     validates clusters) has arrived and every EDS cluster has its
//     assignment (one with no endpoints counts), every SDS secret a
//     listener's TLS context names has arrived, every Dubbo route
//     configuration a dubbo_proxy's drds names and every HTTP route
//     configuration an http_connection_manager's rds names, and, for an
//     HTTP route configuration with validate_clusters, the clusters it
//     names. Until then the change is accepted and ADSStatus.Warming says
//     what is missing. A
//     warm state is checked with config.Snapshot.Validate (paths renamed
//     to resources) and given to the Applier; either refusing rejects the
//     change that completed it.
//   - Each acceptance or rejection is reported to ADSConfig.OnResponse
//     (Envoy's update_success / update_rejected stats), logged when
//     rejected, and recorded in ADSStatus.
//
// Over ADS, the client subscribes to every Listener and Cluster
// (wildcard; not to a type a file provides) and to the
// ClusterLoadAssignment of each EDS cluster whose eds_config is ads, by
// name (eds_cluster_config.service_name, else the cluster name),
// following the set as clusters come and go from any source, and to the
// Secrets the listeners' TLS contexts name with sds_config ads, by name,
// as listeners come and go (secrets nothing names are dropped). A new
// version of a secret rotates the certificate for new handshakes without
// rebuilding the listener; live connections keep their session. The
// same holds for the Dubbo route configurations (MultipleRouteConfiguration,
// DubboRouteTypeURL) dubbo_proxy filters name in drds, and for the HTTP
// route configurations (RouteConfiguration, RouteTypeURL) that
// http_connection_manager filters name in rds (Update.HTTPRoutes, which
// the runtime reads by name): subscribed to by name, a new version routes
// the next request without rebuilding the listener, and one no listener
// names is dropped and, over delta, unsubscribed from. A route
// configuration removed over delta makes its listeners wait for it again. A rejection is a NACK with an error_detail (google.rpc.Status, INVALID_ARGUMENT)
// listing every problem; a version rejected again at once is NACKed after
// a backoff delay, so a control plane that resends it immediately is not
// spun against. The stream is reopened after failures with exponential
// backoff and jitter. State of the world: requests carry version_info and
// the response_nonce, and a new stream's requests the accepted versions.
// Delta: listeners and clusters are legacy wildcard subscriptions (an
// empty first request), load assignments are subscribed to and
// unsubscribed from by name (resource_names_subscribe /
// _unsubscribe); ACKs and NACKs name the response_nonce; a new stream's
// first requests carry initial_resource_versions, the versions of every
// accepted resource, so the server sends only what changed and what was
// removed meanwhile; system_version_info is the version shown in
// ADSStatus.Versions.
//
// Files: lds_config, cds_config and eds_config may be a
// path_config_source {path, watched_directory} or the deprecated path.
// The file holds a DiscoveryResponse in YAML or JSON, `resources` whose
// elements carry "@type", and an optional version_info (else the version
// is a hash of the file); it is decoded as strictly as a bootstrap. Files
// are polled (ADSConfig.PollInterval, default 300ms; no inotify
// dependency): a change of the file's identity, size or modification time,
// or of the watched directory, reads it, and new contents are applied. So
// every way of replacing a file is seen: written in place, renamed over
// (sed -i), a symlinked directory swapped (Kubernetes ConfigMaps). A
// file that is unreadable or rejected is logged and counted, and the
// last good configuration stays. An EDS file is read for the EDS
// clusters naming it and reapplied when that set changes; its
// assignments are matched by cluster_name. A secret file (an
// SdsSecretConfig's sds_config path_config_source; watched_directory is
// not used) holds Secret resources; it is read for the listeners naming
// it and replaces the secrets they take from it.
//
// Run returns when its context is done, leaving no goroutines.
//
// # /config_dump
//
// ConfigDump.Render writes the admin /config_dump as Envoy's
// admin.v3.ConfigDump, so istioctl proxy-config and other Envoy-aware
// tools read it: a BootstrapConfigDump, a ClustersConfigDump (static,
// dynamic_active and dynamic_warming clusters), with ?include_eds an
// EndpointsConfigDump, a ListenersConfigDump (static and dynamic
// listeners with active_state, warming_state and error_state), with
// dynamic resources or inline HTTP route configurations a
// RoutesConfigDump (static_route_configs: the route_config inline in the
// HTTP connection managers of static listeners and of the dynamic
// listeners in force; dynamic_route_configs: the RDS route
// configurations, then the Dubbo ones of drds, with version_info,
// last_updated and error_state), and with dynamic resources a
// SecretsConfigDump (static, dynamic active and warming secrets). A
// static-only bootstrap without HTTP shows the first three, as before
// dynamic resources were dumped (its secrets are in the bootstrap).
//
// The ADS client keeps every accepted resource as the bytes it arrived
// in, with its version (the response's, or the resource's own over delta)
// and the time it was accepted, and decodes them only when /config_dump
// asks: 10,000 clusters and 100,000 endpoints cost about 6.5 MB. A
// resource sent again unchanged keeps its version and time, as in Envoy.
// Sidewire applies the state as a whole once it is warm, so a resource
// is active once the state holding it was applied and warming while a
// newer accepted state waits (for a load assignment, a cluster, a secret
// or a route configuration): a cluster can be active and warming at once.
// Load assignments and route configurations, which Envoy's dump does not
// split by state, are shown as accepted. A rejection is shown as Envoy's
// error_state (the resource as received, when, the version and the
// reasons that name it) on the rejected resource's newest entry; a
// listener that was never accepted appears with its error_state alone.
// Sensitive fields are redacted in dynamic resources and failed
// configurations as in static ones, and an Any of a type this build does
// not know becomes a google.protobuf.StringValue saying so.
//
// What Envoy's dumps do not say, the xDS client's state, is the last
// config: an xds.type.v3.TypedStruct of type_url
// sidewire.io/sidewire.admin.v1.XdsClientStatus (XDSStatusTypeURL) with
// ads_cluster, delta, lds_source, cds_source, connected, version_info by
// type URL, last_updated, warming (what the accepted state waits for),
// last_error, last_error_time, updates_applied and updates_rejected.
//
// ParseDumpQuery reads Envoy's query parameters strictly (anything else,
// or a bad value, is a *QueryError, which the admin server answers with
// 400): resource (a repeated field of a dump: the configs become its
// elements), mask (a FieldMask applied to each dump, or to each element
// with resource), name_regex (resources whose name it matches whole; not
// the bootstrap) and include_eds. The status extension is left out when
// resource or mask is given.
//
// # typed_config and Any
//
// Extensions are identified by the type of their typed_config first and by
// name second, as Envoy does; an entry without typed_config gets the named
// extension's empty config. Only the config types Sidewire supports resolve
// in a bootstrap's Any values, whatever else the binary links, so an
// unsupported extension is reported the same way everywhere, naming the
// field, the extension and the type URL:
//
//	static_resources.listeners[0].filter_chains[0].filters[0]: unsupported
//	filter "envoy.filters.network.mongo_proxy" (typed_config is
//	type.googleapis.com/envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy)
//
// Any values in fields Sidewire ignores (typed_filter_metadata) are kept
// opaque and never fail a load.
//
// # Sidewire extensions
//
// Where Sidewire goes beyond Envoy, an entry's typed_config is an
// xds.type.v3.TypedStruct (or udpa.type.v1.TypedStruct) whose type_url is
// under sidewire.io/ and whose value holds the options as a JSON object.
// Each extension list registers its Sidewire types with
// sidewireExtension; an unknown sidewire.io/ type is an error naming the
// known ones, and a TypedStruct of any other type is rejected (Envoy
// configs are given directly). Values are read strictly, with paths such
// as "...typed_config.value.routes[0].allow[2]". The one so far is the
// network filter sidewire.filters.network.redis_command_policy
// (sidewire.io/sidewire.filters.network.redis.v1.CommandPolicy), which
// stands before a redis_proxy and allows or denies commands per prefix
// route:
//
//	filters:
//	- name: sidewire.filters.network.redis_command_policy
//	  typed_config:
//	    "@type": type.googleapis.com/xds.type.v3.TypedStruct
//	    type_url: sidewire.io/sidewire.filters.network.redis.v1.CommandPolicy
//	    value:
//	      routes: [{prefix: "cache:", allow: [GET, SET]}]
//	      default: {deny: [FLUSHALL, KEYS]}
//
// See config.RedisCommandPolicy for what it means.
//
// # What is supported
//
// Bootstrap: node.id, node.cluster, node.metadata and node.locality (sent
// to the control plane as they are, with user agent "sidewire" and its
// version), admin.address, admin.access_log,
// dynamic_resources with an optional ads_config (api_type GRPC,
// AGGREGATED_GRPC, DELTA_GRPC or AGGREGATED_DELTA_GRPC,
// transport_api_version V3, one envoy_grpc service naming a STATIC
// cluster with one endpoint; translated into config.Snapshot.ADS) and
// lds_config and cds_config, each ads (which needs the ads_config) or a
// file (path_config_source with path and watched_directory, or path),
// resource_api_version V3,
// admin.access_log_path (deprecated; "/dev/null" means none),
// static_resources.listeners and .clusters, and layered_runtime limited to
// admin layers and empty static layers.
//
// Listener: name, address.socket_address (IP literal, TCP, port_value),
// stat_prefix, filter_chains with filter_chain_match {destination_port,
// server_names, transport_protocol, application_protocols},
// default_filter_chain, listener_filters (envoy.filters.listener.
// tls_inspector with an empty config), listener_filters_timeout (default
// 15s; 0 means none), continue_on_listener_filters_timeout,
// per_connection_buffer_limit_bytes (default 1 MiB), and on a filter
// chain transport_socket envoy.transport_sockets.tls with a
// DownstreamTlsContext: require_client_certificate and common_tls_context
// {tls_params {tls_minimum_protocol_version, tls_maximum_protocol_version},
// tls_certificates {certificate_chain, private_key} (DataSources),
// tls_certificate_sds_secret_configs, validation_context {trusted_ca,
// match_typed_subject_alt_names of type DNS, EMAIL, URI or IP_ADDRESS with
// a non-regex matcher}, validation_context_sds_secret_config,
// alpn_protocols}. Certificates, keys and CAs are parsed when the
// configuration loads. SDS secret configs with an sds_config of ads (which
// needs dynamic_resources.ads_config) or path_config_source are
// subscribed to and warmed; in static listeners too, where, with no
// dynamic_resources in the bootstrap, an ADS client runs for the secret
// files alone (Envoy's file-based certificate rotation). Without
// sds_config they name a static secret of static_resources.secrets,
// accepted in static listeners only. Secret resources (SDS and static)
// take tls_certificate or validation_context.
//
// Clusters: transport_socket envoy.transport_sockets.tls with an
// UpstreamTlsContext originates TLS to the hosts: sni, common_tls_context
// as above with at most one client certificate (inline or a secret),
// max_session_keys (ignored: every upstream connection makes a full
// handshake); allow_renegotiation is rejected. As in Envoy, the server's
// certificate is checked against the validation context only (its CA
// and SAN matchers; the name is not checked against sni), and not at all
// without one. The same secret rules as listeners apply: SDS secret
// configs (which warm until their secrets arrive) in any cluster, static
// secrets in static clusters. The ADS cluster's TLS context secures the
// stream to the control plane; it takes inline material or static
// secrets, as its stream cannot deliver its own.
//
// HTTP: envoy.filters.network.http_connection_manager (by name or by
// typed_config type) with stat_prefix, codec_type (AUTO, HTTP1, HTTP2),
// route_config or rds (config_source ads, route_config_name; in
// listeners from LDS only), http_filters (exactly one, last:
// envoy.filters.http.router with an empty Router config; the fault and
// grpc_stats filters are not supported yet), stream_idle_timeout (default
// 5m), request_timeout, request_headers_timeout, drain_timeout (default
// 5s), common_http_protocol_options.idle_timeout (default 1h),
// max_request_headers_kb (default 60), server_name (default "sidewire"),
// server_header_transformation, use_remote_address,
// xff_num_trusted_hops, generate_request_id (default true),
// preserve_external_request_id, access_log, empty http_protocol_options
// and http2_protocol_options, and normalize_path and merge_slashes false,
// path_with_escaped_slashes_action KEEP_UNCHANGED or its default (paths
// are routed as the client sent them). Route configurations (inline or
// RDS): name, validate_clusters (default true inline, false over RDS, as
// in Envoy), max_direct_response_body_size_bytes (default 4096), header
// mutations (request_headers_to_add / _remove, response_headers_to_add
// / _remove with header {key, value}, append_action, the deprecated
// append and keep_empty_value; values may use %DOWNSTREAM_REMOTE_ADDRESS%,
// %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%, %PROTOCOL%, %REQ(name)% and,
// in responses, %UPSTREAM_HOST%; "%%" is a literal "%") at the table,
// virtual host and route levels; virtual_hosts with name, domains (lower
// cased; a domain once per table, so one "*"), retry_policy and routes;
// a route's name, match (prefix, path, safe_regex, path_separated_prefix,
// case_sensitive, headers with every HeaderMatcher form but
// treat_missing_header_as_empty, query_parameters with string_match or
// present_match, grpc) and one of route (cluster, weighted_clusters with
// name and weight and the deprecated total_weight, cluster_header,
// timeout (default 15s, 0 disables), idle_timeout, prefix_rewrite,
// regex_rewrite, host_rewrite_literal, auto_host_rewrite, retry_policy
// {retry_on, num_retries (default 1), per_try_timeout,
// retriable_status_codes, retry_back_off}, hash_policy with header or
// connection_properties.source_ip and terminal, request_mirror_policies
// with cluster and runtime_fraction), redirect (https_redirect,
// scheme_redirect, host_redirect, port_redirect, path_redirect,
// prefix_rewrite, response_code, strip_query) or direct_response (status,
// body as a DataSource read at load). Regular expressions are RE2 as Go's
// regexp compiles them. Clusters take the HTTP protocol they are spoken
// to in typed_extension_protocol_options
// ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]:
// explicit_http_config with http_protocol_options (HTTP/1.1, the default
// without options) or http2_protocol_options, or
// use_downstream_protocol_config, and common_http_protocol_options
// idle_timeout (default 1h) and max_requests_per_connection; the
// deprecated Cluster.http2_protocol_options means HTTP/2. The ADS
// cluster, when it has such options, must say HTTP/2. Other fields are
// rejected, some with a hint (upgrade_configs: WebSocket is not
// supported yet; scoped_routes; tracing; cors; rate_limits).
//
// Network filters: envoy.filters.network.tcp_proxy (stat_prefix, cluster,
// weighted_clusters, idle_timeout (default 1h, 0 disables),
// max_connect_attempts (default 1), hash_policy source_ip, access_log) and
// envoy.filters.network.connection_limit (stat_prefix, max_connections,
// delay), envoy.filters.network.redis_proxy (every field but
// external_auth_provider and settings.dns_cache_config, and read_policy
// but LOCAL_ZONE_AFFINITY and LOCAL_ZONE_AFFINITY_REPLICAS_AND_PRIMARY)
// and Sidewire's sidewire.filters.network.redis_command_policy. Access
// loggers: envoy.access_loggers.file (path, format,
// json_format, log_format with text_format, text_format_source.
// inline_string or json_format), envoy.access_loggers.stdout and .stderr.
// JSON formats must be flat with string values. Formats are checked with
// telemetry.ValidateAccessLogFormat when the file loads.
//
// Cluster: name, type STATIC / STRICT_DNS / LOGICAL_DNS / EDS
// (eds_cluster_config with service_name and an eds_config of ads, path or
// path_config_source), connect_timeout (default 5s), lb_policy
// ROUND_ROBIN / LEAST_REQUEST / RANDOM / RING_HASH / MAGLEV with their lb
// configs, dns_refresh_rate (default 5s) and dns_lookup_family,
// load_assignment, circuit_breakers thresholds of DEFAULT priority,
// tcp_health_check health checks, outlier_detection (consecutive-failure
// detectors) and typed_extension_protocol_options for extensions that
// register a translator in protocolOptions: RedisProtocolOptions under
// "envoy.filters.network.redis_proxy" (auth_username, auth_password,
// credentials; not aws_iam). cluster_type envoy.clusters.redis takes a
// RedisClusterConfig (every field; enable_zone_discovery only false),
// lb_policy CLUSTER_PROVIDED, dns_lookup_family and a load_assignment of
// seeds that may be host names.
//
// DataSources of secrets (Redis passwords) are read once, when the
// configuration loads: inline_string, inline_bytes, environment_variable
// (must be set) or filename (a regular file of at most 64 KiB).
// /config_dump shows the fields Envoy's API marks sensitive as
// "[redacted]", as Envoy's does.
//
// # Decisions
//
// Accepted and ignored (inert), because they change nothing Sidewire does:
// admin.ignore_global_conn_limit (there is no global limit), metadata on
// listeners, filter chains, clusters, localities, route configurations,
// virtual hosts and routes, typed_filter_metadata everywhere, listener
// traffic_direction, route decorator (a tracing span name), health check
// name and load_assignment.cluster_name. Everything else not listed above is
// rejected when set, including config sources other than ads and files
// (api_config_source, self, initial_fetch_timeout),
// stats_config, watchdogs, overload_manager, listener and admin socket
// options, access log filters and listener-level access_log.
//
// Stricter than Envoy, where Envoy would silently ignore a setting:
// dns_refresh_rate or dns_lookup_family on a STATIC or EDS cluster, an lb
// config for another lb_policy (ring_hash_lb_config with ROUND_ROBIN),
// eds_cluster_config on a non-EDS cluster, load_assignment on an EDS
// cluster, HIGH priority circuit breakers (Sidewire has no request
// priorities), a runtime key in a static layer, reuse_connection: false
// and, in outlier_detection, a non-zero enforcing_* value for the
// success-rate, failure-percentage and gateway-failure detectors, which
// Sidewire does not implement. Note that Envoy runs the success-rate
// detector by default (it needs 5 hosts with 100 requests each); Sidewire
// does not, so write enforcing_success_rate: 0 to say so explicitly.
//
// Stricter than Envoy for HTTP: a retry_on condition Sidewire does not
// implement (Envoy ignores unknown ones), retriable_status_codes without
// retriable-status-codes in retry_on, a max_interval below base_interval,
// prefix_rewrite on a route that matches path or safe_regex (Envoy
// replaces the whole path; use regex_rewrite, or path_redirect in a
// redirect), a path_redirect not starting with "/", a route idle_timeout
// of 0s (which would disable the connection manager's), case_sensitive
// false on a safe_regex match, query parameter present_match false, a
// hash_policy source_ip false, a domain with a wildcard inside it or two,
// header names outside RFC 9110 token characters, and header values with
// command operators other than those listed above. A route configuration
// with validate_clusters that names a cluster not received yet holds the
// state back (warming) instead of being NACKed as Envoy does, the way
// listeners wait for their clusters.
//
// Stricter than Envoy for Redis: op_timeout 0 (every command would time
// out); buffer_flush_timeout without max_buffer_size_before_flush,
// max_upstream_unknown_connections without enable_redirection; a
// read_policy other than MASTER when no cluster of the redis_proxy is an
// envoy.clusters.redis cluster; a prefix or remove_prefix on the
// catch_all_route (Envoy would strip it from keys that lack it); a
// key_formatter without %KEY% or with another command operator (Sidewire
// substitutes %KEY% only); an empty downstream password (Envoy skips it),
// an empty username, a username without passwords and an upstream
// auth_username without auth_password (nobody could authenticate); two
// credentials for one address; an envoy.clusters.redis cluster without
// lb_policy CLUSTER_PROVIDED (Envoy falls back to a slot-unaware policy)
// or with dns_refresh_rate (seeds are resolved once); empty command names
// or names with white space. Fractions (mirror runtime_fraction, fault
// fault_enabled) are numerator over denominator; runtime_key is accepted
// and never found, as Sidewire has no runtime values.
//
// Like Envoy: listener names are optional, but a nameless listener is named
// after its address ("127.0.0.1_10000", as Envoy spells addresses in stat
// names) instead of a random UUID; the TLS inspector is added when a chain
// matches on server_names, application_protocols or transport_protocol
// "tls" without one; two chains with the same match are an error; EDS
// endpoints, STATIC endpoints and listener addresses must be IP literals
// (canonicalized, "0:0::1" becomes "::1"); health status TIMEOUT counts as
// unhealthy; server names are matched in lower case.
//
// Also here: DefaultBootstrapYAML, the bootstrap Sidewire runs without a
// config file, and ConfigDump, Envoy's /config_dump (see above).
package xds

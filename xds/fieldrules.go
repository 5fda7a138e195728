package xds

import "google.golang.org/protobuf/reflect/protoreflect"

// fieldRules is the allow-list of every Envoy message Sidewire reads,
// keyed by message name. A populated field not listed is rejected (see
// rule). Messages reached through a used field but missing here accept
// no fields at all; TestFieldRules checks every name exists in the
// linked descriptors.
//
// Fields marked inert, and why ignoring them is safe:
//   - Admin.ignore_global_conn_limit: Sidewire has no global connection
//     limit, so admin connections are never counted against one.
//   - metadata and typed_filter_metadata on listeners, filter chains,
//     clusters and localities: data for filters and extensions Sidewire
//     does not run. Endpoint metadata is used (filter_metadata "envoy.lb").
//   - Listener.traffic_direction: a hint for tracing and stats in Envoy.
//   - ClusterLoadAssignment.cluster_name: a label in static clusters; EDS
//     matches assignments by resource name.
//   - HealthCheck.name: a label for Envoy's health check event logs.
//   - UpstreamTlsContext.max_session_keys: how many TLS sessions Envoy
//     keeps for resumption; Sidewire does a full handshake per upstream
//     connection, which pooled, long-lived connections make rare.
//   - RuntimeFractionalPercent.runtime_key: Sidewire has no runtime values
//     (static layer keys are rejected), so the key is never found and
//     default_value applies, as in an Envoy whose runtime lacks the key.
//   - metadata on route configurations, virtual hosts and routes: data
//     for HTTP filters Sidewire does not run.
//   - Route.decorator: names the route's span for tracing, which the
//     HTTP connection manager does not do.
var fieldRules = map[protoreflect.FullName]map[protoreflect.Name]rule{
	// Bootstrap.
	"envoy.config.bootstrap.v3.Bootstrap": {
		"node": use, "static_resources": use, "admin": use, "layered_runtime": use,
		"dynamic_resources": use, "deferred_stat_options": use,
	},
	"envoy.config.bootstrap.v3.Bootstrap.DeferredStatOptions": {"enable_deferred_creation_stats": use},
	"envoy.config.bootstrap.v3.Bootstrap.DynamicResources": {
		"ads_config": use, "lds_config": use, "cds_config": use,
	},
	"envoy.config.core.v3.ApiConfigSource": {
		"api_type": use, "transport_api_version": use, "grpc_services": use,
	},
	"envoy.config.core.v3.GrpcService":                    {"envoy_grpc": use},
	"envoy.config.core.v3.GrpcService.EnvoyGrpc":          {"cluster_name": use},
	"envoy.config.bootstrap.v3.Bootstrap.StaticResources": {"listeners": use, "clusters": use, "secrets": use},
	"envoy.config.core.v3.Node":                           {"id": use, "cluster": use, "metadata": use, "locality": use},
	"envoy.config.bootstrap.v3.Admin": {
		"address": use, "access_log": use, "access_log_path": use, "ignore_global_conn_limit": inert,
	},
	"envoy.config.bootstrap.v3.LayeredRuntime":                  {"layers": use},
	"envoy.config.bootstrap.v3.RuntimeLayer":                    {"name": use, "static_layer": use, "admin_layer": use},
	"envoy.config.bootstrap.v3.RuntimeLayer.AdminLayer":         {},
	"envoy.config.core.v3.Address":                              {"socket_address": use},
	"envoy.config.core.v3.SocketAddress":                        {"protocol": use, "address": use, "port_value": use},
	"envoy.config.accesslog.v3.AccessLog":                       {"name": use, "typed_config": use},
	"envoy.extensions.access_loggers.file.v3.FileAccessLog":     {"path": use, "format": use, "json_format": use, "log_format": use},
	"envoy.extensions.access_loggers.stream.v3.StdoutAccessLog": {"log_format": use},
	"envoy.extensions.access_loggers.stream.v3.StderrAccessLog": {"log_format": use},
	"envoy.config.core.v3.SubstitutionFormatString": {
		"text_format": use, "json_format": use, "text_format_source": use,
	},
	// Readers of a DataSource say which specifiers they take.
	"envoy.config.core.v3.DataSource": {
		"inline_string": use, "inline_bytes": use, "environment_variable": use, "filename": use,
	},

	// Listener.
	"envoy.config.listener.v3.Listener": {
		"name": use, "address": use, "stat_prefix": use,
		"filter_chains": use, "default_filter_chain": use,
		"listener_filters": use, "listener_filters_timeout": use,
		"continue_on_listener_filters_timeout": use,
		"per_connection_buffer_limit_bytes":    use,
		"metadata":                             inert, "traffic_direction": inert,
	},
	"envoy.config.listener.v3.FilterChain": {
		"filter_chain_match": use, "filters": use, "name": use, "metadata": inert,
		"transport_socket": use,
	},
	// TLS termination and SDS secrets.
	"envoy.config.core.v3.TransportSocket": {"name": use, "typed_config": use},
	"envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext": {
		"common_tls_context": use, "require_client_certificate": use,
	},
	"envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext": {
		"common_tls_context": use, "sni": use, "allow_renegotiation": use, "max_session_keys": inert,
	},
	"envoy.extensions.transport_sockets.tls.v3.CommonTlsContext": {
		"tls_params": use, "tls_certificates": use, "tls_certificate_sds_secret_configs": use,
		"validation_context": use, "validation_context_sds_secret_config": use, "alpn_protocols": use,
	},
	"envoy.extensions.transport_sockets.tls.v3.TlsParameters": {
		"tls_minimum_protocol_version": use, "tls_maximum_protocol_version": use,
	},
	"envoy.extensions.transport_sockets.tls.v3.TlsCertificate":  {"certificate_chain": use, "private_key": use},
	"envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig": {"name": use, "sds_config": use},
	"envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext": {
		"trusted_ca": use, "match_typed_subject_alt_names": use,
	},
	"envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher": {"san_type": use, "matcher": use},
	"envoy.extensions.transport_sockets.tls.v3.Secret": {
		"name": use, "tls_certificate": use, "validation_context": use,
	},
	"envoy.config.listener.v3.FilterChainMatch": {
		"destination_port": use, "server_names": use, "transport_protocol": use, "application_protocols": use,
	},
	"envoy.config.listener.v3.Filter":                                 {"name": use, "typed_config": use},
	"envoy.config.listener.v3.ListenerFilter":                         {"name": use, "typed_config": use},
	"envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector": {},

	// Network filters.
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy": {
		"stat_prefix": use, "cluster": use, "weighted_clusters": use, "idle_timeout": use,
		"max_connect_attempts": use, "hash_policy": use, "access_log": use,
	},
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster":               {"clusters": use},
	"envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight": {"name": use, "weight": use},
	"envoy.type.v3.HashPolicy":          {"source_ip": use},
	"envoy.type.v3.HashPolicy.SourceIp": {},
	"envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit": {
		"stat_prefix": use, "max_connections": use, "delay": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy": {
		"stat_prefix": use, "settings": use, "latency_in_micros": use, "prefix_routes": use,
		"downstream_auth_password": use, "downstream_auth_passwords": use, "downstream_auth_username": use,
		"faults": use, "custom_commands": use, "protocol_version": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.ConnPoolSettings": {
		"op_timeout": use, "enable_hashtagging": use, "enable_redirection": use,
		"max_buffer_size_before_flush": use, "buffer_flush_timeout": use,
		"max_upstream_unknown_connections": use, "enable_command_stats": use,
		"read_policy": use, "connection_rate_limit": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.ConnectionRateLimit": {"connection_rate_limit_per_sec": use},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.PrefixRoutes": {
		"routes": use, "case_insensitive": use, "catch_all_route": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.PrefixRoutes.Route": {
		"prefix": use, "remove_prefix": use, "cluster": use, "request_mirror_policy": use,
		"key_formatter": use, "read_command_policy": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.PrefixRoutes.Route.RequestMirrorPolicy": {
		"cluster": use, "runtime_fraction": use, "exclude_read_commands": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.PrefixRoutes.Route.ReadCommandPolicy": {"cluster": use},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProxy.RedisFault": {
		"fault_type": use, "fault_enabled": use, "delay": use, "commands": use,
	},
	"envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy": {
		"stat_prefix": use, "protocol_type": use, "serialization_type": use, "route_config": use,
		"multiple_route_config": use, "drds": use, "dubbo_filters": use,
	},
	"envoy.extensions.filters.network.dubbo_proxy.v3.Drds": {"config_source": use, "route_config_name": use},
	// The config Any is checked by dubboFilterConfig.
	"envoy.extensions.filters.network.dubbo_proxy.v3.DubboFilter":                {"name": use, "config": use},
	"envoy.extensions.filters.network.dubbo_proxy.router.v3.Router":              {},
	"envoy.extensions.filters.network.dubbo_proxy.v3.MultipleRouteConfiguration": {"name": use, "route_config": use},
	"envoy.extensions.filters.network.dubbo_proxy.v3.RouteConfiguration": {
		"name": use, "interface": use, "group": use, "version": use, "routes": use,
	},
	"envoy.extensions.filters.network.dubbo_proxy.v3.Route":       {"match": use, "route": use},
	"envoy.extensions.filters.network.dubbo_proxy.v3.RouteMatch":  {"method": use, "headers": use},
	"envoy.extensions.filters.network.dubbo_proxy.v3.MethodMatch": {"name": use, "params_match": use},
	"envoy.extensions.filters.network.dubbo_proxy.v3.MethodMatch.ParameterMatchSpecifier": {
		"exact_match": use, "range_match": use,
	},
	"envoy.extensions.filters.network.dubbo_proxy.v3.RouteAction": {
		"cluster": use, "weighted_clusters": use, "metadata_match": use,
	},
	"envoy.config.route.v3.WeightedCluster":               {"clusters": use, "total_weight": use},
	"envoy.config.route.v3.WeightedCluster.ClusterWeight": {"name": use, "weight": use},
	"envoy.config.route.v3.HeaderMatcher": {
		"name": use, "exact_match": use, "safe_regex_match": use, "range_match": use, "present_match": use,
		"prefix_match": use, "suffix_match": use, "contains_match": use, "string_match": use, "invert_match": use,
	},
	"envoy.type.matcher.v3.StringMatcher": {
		"exact": use, "prefix": use, "suffix": use, "safe_regex": use, "contains": use, "ignore_case": use,
	},
	"envoy.type.matcher.v3.RegexMatcher":            {"regex": use},
	"envoy.type.v3.Int64Range":                      {"start": use, "end": use},
	"envoy.config.core.v3.RuntimeFractionalPercent": {"default_value": use, "runtime_key": inert},
	"envoy.type.v3.FractionalPercent":               {"numerator": use, "denominator": use},

	// HTTP connection manager and route configurations (RDS).
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": {
		"codec_type": use, "stat_prefix": use, "rds": use, "route_config": use, "http_filters": use,
		"common_http_protocol_options": use, "http_protocol_options": use, "http2_protocol_options": use,
		"server_name": use, "server_header_transformation": use, "max_request_headers_kb": use,
		"stream_idle_timeout": use, "request_timeout": use, "request_headers_timeout": use,
		"drain_timeout": use, "access_log": use, "use_remote_address": use, "xff_num_trusted_hops": use,
		"generate_request_id": use, "preserve_external_request_id": use,
		// Only the values that mean what Sidewire does are accepted.
		"normalize_path": use, "merge_slashes": use, "path_with_escaped_slashes_action": use,
	},
	"envoy.extensions.filters.network.http_connection_manager.v3.Rds": {"config_source": use, "route_config_name": use},
	// The typed_config Any is checked by httpFilters.
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter": {"name": use, "typed_config": use},
	"envoy.extensions.filters.http.router.v3.Router":                         {},
	"envoy.config.route.v3.RouteConfiguration": {
		"name": use, "virtual_hosts": use, "validate_clusters": use, "max_direct_response_body_size_bytes": use,
		"request_headers_to_add": use, "request_headers_to_remove": use,
		"response_headers_to_add": use, "response_headers_to_remove": use, "metadata": inert,
	},
	"envoy.config.route.v3.VirtualHost": {
		"name": use, "domains": use, "routes": use, "retry_policy": use,
		"request_headers_to_add": use, "request_headers_to_remove": use,
		"response_headers_to_add": use, "response_headers_to_remove": use, "metadata": inert,
	},
	"envoy.config.route.v3.Route": {
		"name": use, "match": use, "route": use, "redirect": use, "direct_response": use,
		"request_headers_to_add": use, "request_headers_to_remove": use,
		"response_headers_to_add": use, "response_headers_to_remove": use,
		"metadata": inert, "decorator": inert,
	},
	"envoy.config.route.v3.RouteMatch": {
		"prefix": use, "path": use, "safe_regex": use, "path_separated_prefix": use,
		"case_sensitive": use, "headers": use, "query_parameters": use, "grpc": use,
	},
	"envoy.config.route.v3.RouteMatch.GrpcRouteMatchOptions": {},
	"envoy.config.route.v3.QueryParameterMatcher":            {"name": use, "string_match": use, "present_match": use},
	"envoy.config.route.v3.RouteAction": {
		"cluster": use, "cluster_header": use, "weighted_clusters": use,
		"prefix_rewrite": use, "regex_rewrite": use, "host_rewrite_literal": use, "auto_host_rewrite": use,
		"timeout": use, "idle_timeout": use, "retry_policy": use, "hash_policy": use,
		"request_mirror_policies": use,
	},
	"envoy.type.matcher.v3.RegexMatchAndSubstitute": {"pattern": use, "substitution": use},
	"envoy.config.route.v3.RetryPolicy": {
		"retry_on": use, "num_retries": use, "per_try_timeout": use, "retriable_status_codes": use,
		"retry_back_off": use,
	},
	"envoy.config.route.v3.RetryPolicy.RetryBackOff":                    {"base_interval": use, "max_interval": use},
	"envoy.config.route.v3.RouteAction.HashPolicy":                      {"header": use, "connection_properties": use, "terminal": use},
	"envoy.config.route.v3.RouteAction.HashPolicy.Header":               {"header_name": use},
	"envoy.config.route.v3.RouteAction.HashPolicy.ConnectionProperties": {"source_ip": use},
	"envoy.config.route.v3.RouteAction.RequestMirrorPolicy":             {"cluster": use, "runtime_fraction": use},
	"envoy.config.route.v3.DirectResponseAction":                        {"status": use, "body": use},
	"envoy.config.core.v3.HeaderValueOption":                            {"header": use, "append": use, "append_action": use, "keep_empty_value": use},
	"envoy.config.core.v3.HeaderValue":                                  {"key": use, "value": use},
	"envoy.config.route.v3.RedirectAction": {
		"https_redirect": use, "scheme_redirect": use, "host_redirect": use, "port_redirect": use,
		"path_redirect": use, "prefix_rewrite": use, "response_code": use, "strip_query": use,
	},

	// Sidewire extensions: the value is read by the extension's translator.
	"xds.type.v3.TypedStruct":  {"type_url": use, "value": use},
	"udpa.type.v1.TypedStruct": {"type_url": use, "value": use},

	// Cluster.
	"envoy.config.cluster.v3.Cluster": {
		"name": use, "type": use, "eds_cluster_config": use, "connect_timeout": use,
		"lb_policy": use, "ring_hash_lb_config": use, "maglev_lb_config": use,
		"least_request_lb_config": use, "round_robin_lb_config": use,
		"dns_refresh_rate": use, "dns_lookup_family": use, "load_assignment": use,
		"circuit_breakers": use, "health_checks": use, "outlier_detection": use,
		"typed_extension_protocol_options": use, "metadata": inert, "cluster_type": use,
		"http2_protocol_options": use, "transport_socket": use,
	},
	"envoy.config.cluster.v3.Cluster.CustomClusterType": {"name": use, "typed_config": use},
	// Upstream HTTP options: the protocol, and when to close connections.
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
		"explicit_http_config": use, "use_downstream_protocol_config": use, "common_http_protocol_options": use,
	},
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig": {
		"http_protocol_options": use, "http2_protocol_options": use,
	},
	"envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig": {
		"http_protocol_options": use, "http2_protocol_options": use,
	},
	// Shared by clusters and the HTTP connection manager, which rejects
	// max_requests_per_connection itself (downstream connections have no
	// such limit).
	"envoy.config.core.v3.HttpProtocolOptions": {"idle_timeout": use, "max_requests_per_connection": use},
	// HTTP/1.1 and HTTP/2 are spoken with their defaults: no field tunes
	// them.
	"envoy.config.core.v3.Http1ProtocolOptions": {},
	"envoy.config.core.v3.Http2ProtocolOptions": {},
	"envoy.extensions.clusters.redis.v3.RedisClusterConfig": {
		"cluster_refresh_rate": use, "cluster_refresh_timeout": use, "redirect_refresh_interval": use,
		"redirect_refresh_threshold": use, "failure_refresh_threshold": use,
		"host_degraded_refresh_threshold": use,
		// Zone discovery is not supported; it may only be disabled.
		"enable_zone_discovery": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions": {
		"auth_password": use, "auth_username": use, "credentials": use,
	},
	"envoy.extensions.filters.network.redis_proxy.v3.RedisProtocolOptions.Credential": {
		"address": use, "auth_password": use, "auth_username": use,
	},
	"envoy.config.cluster.v3.Cluster.EdsClusterConfig": {"eds_config": use, "service_name": use},
	"envoy.config.core.v3.ConfigSource": {
		"ads": use, "path": use, "path_config_source": use, "resource_api_version": use,
	},
	"envoy.config.core.v3.AggregatedConfigSource":           {},
	"envoy.config.core.v3.PathConfigSource":                 {"path": use, "watched_directory": use},
	"envoy.config.core.v3.WatchedDirectory":                 {"path": use},
	"envoy.config.cluster.v3.Cluster.RingHashLbConfig":      {"minimum_ring_size": use, "maximum_ring_size": use, "hash_function": use},
	"envoy.config.cluster.v3.Cluster.MaglevLbConfig":        {"table_size": use},
	"envoy.config.cluster.v3.Cluster.LeastRequestLbConfig":  {"choice_count": use},
	"envoy.config.cluster.v3.Cluster.RoundRobinLbConfig":    {},
	"envoy.config.endpoint.v3.ClusterLoadAssignment":        {"cluster_name": inert, "endpoints": use, "policy": use},
	"envoy.config.endpoint.v3.ClusterLoadAssignment.Policy": {"overprovisioning_factor": use},
	"envoy.config.endpoint.v3.LocalityLbEndpoints": {
		"locality": use, "lb_endpoints": use, "load_balancing_weight": use, "priority": use, "metadata": inert,
	},
	"envoy.config.core.v3.Locality": {"region": use, "zone": use, "sub_zone": use},
	"envoy.config.endpoint.v3.LbEndpoint": {
		"endpoint": use, "health_status": use, "metadata": use, "load_balancing_weight": use,
	},
	"envoy.config.endpoint.v3.Endpoint":       {"address": use, "hostname": use},
	"envoy.config.core.v3.Metadata":           {"filter_metadata": use, "typed_filter_metadata": inert},
	"envoy.config.cluster.v3.CircuitBreakers": {"thresholds": use},
	"envoy.config.cluster.v3.CircuitBreakers.Thresholds": {
		"priority": use, "max_connections": use, "max_pending_requests": use, "max_requests": use, "max_retries": use,
	},
	"envoy.config.core.v3.HealthCheck": {
		"name": inert, "timeout": use, "interval": use, "interval_jitter": use,
		"unhealthy_threshold": use, "healthy_threshold": use, "no_traffic_interval": use,
		"reuse_connection": use, "tcp_health_check": use,
	},
	"envoy.config.core.v3.HealthCheck.TcpHealthCheck": {"send": use, "receive": use},
	"envoy.config.core.v3.HealthCheck.Payload":        {"text": use, "binary": use},
	"envoy.config.cluster.v3.OutlierDetection": {
		"consecutive_5xx": use, "interval": use, "base_ejection_time": use,
		"max_ejection_percent": use, "enforcing_consecutive_5xx": use,
		"split_external_local_origin_errors": use, "consecutive_local_origin_failure": use,
		"enforcing_consecutive_local_origin_failure": use, "max_ejection_time": use,
		// Detectors Sidewire does not implement may only be disabled (0).
		"enforcing_success_rate": use, "enforcing_consecutive_gateway_failure": use,
		"enforcing_local_origin_success_rate": use, "enforcing_failure_percentage": use,
		"enforcing_failure_percentage_local_origin":   use,
		"successful_active_health_check_uneject_host": use,
	},
}

// fieldHints explain, after "not supported", why some fields Envoy users
// are likely to set are rejected, or what to use instead.
var fieldHints = map[protoreflect.FullName]map[protoreflect.Name]string{
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager": {
		"scoped_routes":   "scoped route configurations (SRDS) are not supported yet; use route_config or rds",
		"upgrade_configs": "WebSocket and other HTTP upgrades are not supported yet",
		"tracing":         "the HTTP connection manager does not trace requests yet",
	},
	"envoy.config.route.v3.RouteAction": {
		"upgrade_configs": "WebSocket and other HTTP upgrades are not supported yet",
		"cors":            "CORS is not supported yet",
		"rate_limits":     "rate limiting is not supported yet",
	},
	"envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter": {
		"is_optional": "Sidewire runs every HTTP filter it is given and rejects those it does not know",
	},
}

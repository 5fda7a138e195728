package xds

import (
	"maps"
	"slices"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	accesslogfilev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	accesslogstreamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sidewire/sidewire/proxy/config"
	"github.com/sidewire/sidewire/telemetry"
)

// accessLogs translates a list of AccessLog entries. Supported loggers are
// envoy.access_loggers.file, .stdout and .stderr; access log filters are
// not supported.
func (t *translator) accessLogs(path string, logs []*accesslogv3.AccessLog) []config.AccessLog {
	var out []config.AccessLog
	for i, al := range logs {
		p := index(path, i)
		_, msg, ok := t.typedConfig(p, "access logger", al.GetName(), al.GetTypedConfig(), accessLoggers)
		if !ok {
			continue
		}
		cp := field(p, "typed_config")
		var log config.AccessLog
		switch m := msg.(type) {
		case *accesslogfilev3.FileAccessLog:
			log.Path = m.GetPath()
			switch f := m.GetAccessLogFormat().(type) {
			case *accesslogfilev3.FileAccessLog_Format:
				log.Text = f.Format
				t.checkFormat(field(cp, "format"), log)
			case *accesslogfilev3.FileAccessLog_JsonFormat:
				log.JSON = t.jsonFormat(field(cp, "json_format"), f.JsonFormat)
			case *accesslogfilev3.FileAccessLog_LogFormat:
				t.substitutionFormat(field(cp, "log_format"), f.LogFormat, &log)
			}
		case *accesslogstreamv3.StdoutAccessLog:
			log.Path = "/dev/stdout"
			t.substitutionFormat(field(cp, "log_format"), m.GetLogFormat(), &log)
		case *accesslogstreamv3.StderrAccessLog:
			log.Path = "/dev/stderr"
			t.substitutionFormat(field(cp, "log_format"), m.GetLogFormat(), &log)
		}
		out = append(out, log)
	}
	return out
}

// substitutionFormat fills the format of log from a SubstitutionFormatString
// (nil means Envoy's default format).
func (t *translator) substitutionFormat(path string, f *corev3.SubstitutionFormatString, log *config.AccessLog) {
	switch v := f.GetFormat().(type) {
	case *corev3.SubstitutionFormatString_TextFormat:
		log.Text = v.TextFormat
		t.checkFormat(field(path, "text_format"), *log)
	case *corev3.SubstitutionFormatString_TextFormatSource:
		ds := v.TextFormatSource
		if _, ok := ds.GetSpecifier().(*corev3.DataSource_InlineString); !ok {
			t.errs.add(field(path, "text_format_source"), "inline_string is required")
			return
		}
		log.Text = ds.GetInlineString()
		t.checkFormat(field(path, "text_format_source.inline_string"), *log)
	case *corev3.SubstitutionFormatString_JsonFormat:
		log.JSON = t.jsonFormat(field(path, "json_format"), v.JsonFormat)
	}
}

// jsonFormat translates a JSON access log format. Only flat objects with
// string values are supported.
func (t *translator) jsonFormat(path string, s *structpb.Struct) map[string]string {
	if len(s.GetFields()) == 0 {
		t.errs.add(path, "is empty")
		return nil
	}
	out := make(map[string]string, len(s.GetFields()))
	ok := true
	for _, k := range slices.Sorted(maps.Keys(s.GetFields())) {
		sv, isString := s.GetFields()[k].GetKind().(*structpb.Value_StringValue)
		if !isString {
			t.errs.add(key(path, k), "only string values are supported")
			ok = false
			continue
		}
		out[k] = sv.StringValue
	}
	if ok {
		t.checkFormat(path, config.AccessLog{JSON: out})
	}
	return out
}

// checkFormat validates the command operators of a log format.
func (t *translator) checkFormat(path string, log config.AccessLog) {
	if err := telemetry.ValidateAccessLogFormat(log.Text, log.JSON); err != nil {
		t.errs.wrap(path, err)
	}
}

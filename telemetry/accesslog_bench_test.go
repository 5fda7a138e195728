package telemetry

import (
	"path/filepath"
	"testing"

	"github.com/sidewire/sidewire/proxy/config"
)

const benchText = `[%START_TIME%] %DOWNSTREAM_REMOTE_ADDRESS% -> %UPSTREAM_HOST% (%UPSTREAM_CLUSTER%) ` +
	`%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESPONSE_FLAGS% %CONNECTION_ID% %REQUESTED_SERVER_NAME%`

var benchJSON = map[string]string{
	"start_time": "%START_TIME%", "downstream": "%DOWNSTREAM_REMOTE_ADDRESS%", "upstream": "%UPSTREAM_HOST%",
	"cluster": "%UPSTREAM_CLUSTER%", "rx": "%BYTES_RECEIVED%", "tx": "%BYTES_SENT%", "duration": "%DURATION%",
	"flags": "%RESPONSE_FLAGS%", "id": "%CONNECTION_ID%", "sni": "%REQUESTED_SERVER_NAME%",
}

func TestLogDoesNotAllocate(t *testing.T) {
	for name, cfg := range map[string]config.AccessLog{
		"text":    {Text: benchText},
		"json":    {JSON: benchJSON},
		"default": {},
	} {
		cfg.Path = filepath.Join(t.TempDir(), name+".log")
		l := newLogger(t, cfg)
		e := tcpEntry()
		e.RequestedServerName = "api.example.com"
		l.Log(e) // warm the pool and the buffer
		if n := testing.AllocsPerRun(1000, func() { l.Log(e) }); n != 0 {
			t.Errorf("%s: Log allocates %v times per call", name, n)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func benchmarkLog(b *testing.B, cfg config.AccessLog, parallel bool) {
	cfg.Path = filepath.Join(b.TempDir(), "bench.log")
	l, err := NewAccessLogger(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	if parallel {
		b.RunParallel(func(pb *testing.PB) {
			e := tcpEntry()
			for pb.Next() {
				l.Log(e)
			}
		})
		return
	}
	e := tcpEntry()
	for b.Loop() {
		l.Log(e)
	}
}

func BenchmarkLogText(b *testing.B)         { benchmarkLog(b, config.AccessLog{Text: benchText}, false) }
func BenchmarkLogTextParallel(b *testing.B) { benchmarkLog(b, config.AccessLog{Text: benchText}, true) }
func BenchmarkLogDefault(b *testing.B)      { benchmarkLog(b, config.AccessLog{}, false) }
func BenchmarkLogJSON(b *testing.B)         { benchmarkLog(b, config.AccessLog{JSON: benchJSON}, false) }
func BenchmarkLogJSONParallel(b *testing.B) { benchmarkLog(b, config.AccessLog{JSON: benchJSON}, true) }

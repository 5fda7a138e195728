// Package dubbolog sets the log level of dubbo-go and of its transport,
// dubbo-getty, which keeps a logger of its own (debug by default, one
// line per packet).
package dubbolog

import (
	"fmt"

	getty "github.com/apache/dubbo-getty"
	"github.com/dubbogo/gost/log/logger"
)

// SetLevel sets dubbo-go's and getty's log level: debug, info, warn,
// error or fatal (next to silent: peers that go away are logged as
// errors, with stacks, which tests that kill peers do on purpose).
func SetLevel(level string) error {
	levels := map[string]getty.LoggerLevel{
		"debug": getty.LoggerLevelDebug,
		"info":  getty.LoggerLevelInfo,
		"warn":  getty.LoggerLevelWarn,
		"error": getty.LoggerLevelError,
		"fatal": getty.LoggerLevelFatal,
	}
	gl, ok := levels[level]
	if !ok {
		return fmt.Errorf("set log level %q: want debug, info, warn, error or fatal", level)
	}
	if !logger.SetLoggerLevel(level) {
		return fmt.Errorf("set log level %q: dubbo-go logger refused it", level)
	}
	if err := getty.SetLoggerLevel(gl); err != nil {
		return fmt.Errorf("set getty log level %q: %w", level, err)
	}
	return nil
}

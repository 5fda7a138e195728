package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/envoyproxy/go-control-plane/pkg/log"
)

// logAdapter sends go-control-plane's messages to slog. Its Info
// messages (every watch opened) are Debug here, and its warnings Info:
// the usual one, an ADS request that does not name every resource yet,
// is a normal step while a client follows a change.
type logAdapter struct{ l *slog.Logger }

var _ log.Logger = logAdapter{}

func (a logAdapter) Debugf(format string, args ...any) { a.log(slog.LevelDebug, format, args) }
func (a logAdapter) Infof(format string, args ...any)  { a.log(slog.LevelDebug, format, args) }
func (a logAdapter) Warnf(format string, args ...any)  { a.log(slog.LevelInfo, format, args) }
func (a logAdapter) Errorf(format string, args ...any) { a.log(slog.LevelError, format, args) }

func (a logAdapter) log(lv slog.Level, format string, args []any) {
	if !a.l.Enabled(context.Background(), lv) {
		return
	}
	a.l.Log(context.Background(), lv, fmt.Sprintf(format, args...), "component", "go-control-plane")
}

package main

import (
	"fmt"
	"strings"

	"github.com/sidewire/sidewire/xds"
	"github.com/spf13/cobra"
)

func validateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check an Envoy v3 bootstrap file; exit 1 with the errors if it is not valid",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			snap, err := xds.LoadBootstrapFile(args[0])
			if err != nil {
				return &configError{source: args[0], err: err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%d listeners, %d clusters)\n", args[0], len(snap.Listeners), len(snap.Clusters))
			return nil
		},
	}
}

// configError prints every problem of a config on its own line.
type configError struct {
	source string
	err    error
}

func (e *configError) Error() string {
	return "invalid config " + e.source + ":\n  " + strings.ReplaceAll(strings.TrimSpace(e.err.Error()), "\n", "\n  ")
}

func (e *configError) Unwrap() error { return e.err }

// Command sidewire is the Sidewire proxy: `sidewire run` serves a bootstrap
// (or the embedded default), `sidewire validate` checks one,
// `sidewire control-plane` serves a directory of Envoy resources over ADS,
// and `sidewire version` prints the build.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sidewire:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "sidewire",
		Short:         "Protocol-aware sidecar and edge proxy configured with Envoy's v3 API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), validateCmd(), controlPlaneCmd(), versionCmd())
	return root
}

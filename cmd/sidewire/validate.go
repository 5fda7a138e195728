package main

import (
	"fmt"

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
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid (%d listeners, %d clusters)\n", args[0], len(snap.Listeners), len(snap.Clusters))
			return nil
		},
	}
}

package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database schema",
		Long: `Applies the embedded schema migrations. Opening a store already does this
(unless serve runs with --no-migrate); run it on its own before starting
several replicas, or to check that the database is reachable.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := a.manager(cmd.Context()); err != nil {
				return err
			}
			m, ok := a.store.(interface{ Migrate(context.Context) error })
			if !ok {
				return fmt.Errorf("this store has no migrations")
			}
			if err := m.Migrate(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema is up to date (%s)\n", a.dsnLabel())
			return nil
		},
	}
}

package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// keyStore is what key rotation needs from a store; both stores have it.
type keyStore interface {
	KeyUsage(ctx context.Context) (map[string]int, error)
	Reencrypt(ctx context.Context) (int, error)
}

func newKeysCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Show and rotate the keys that encrypt stored tokens",
		Long: `Tokens are encrypted with the first key in IGTOKEN_ENCRYPTION_KEY (or the
generated key file); every key in the list can decrypt. To rotate:

  1. put a new key first:  IGTOKEN_ENCRYPTION_KEY=<new>,<old>
  2. igtoken keys rotate   (re-encrypts every token with the new key)
  3. igtoken keys status   (shows no token left under the old key)
  4. drop the old key:     IGTOKEN_ENCRYPTION_KEY=<new>`,
		Args: usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newKeysStatusCmd(a), newKeysRotateCmd(a))
	return cmd
}

func (a *app) keyStore(ctx context.Context) (keyStore, error) {
	if _, err := a.manager(ctx); err != nil {
		return nil, err
	}
	ks, ok := a.store.(keyStore)
	if !ok {
		return nil, fmt.Errorf("this store cannot rotate keys")
	}
	return ks, nil
}

func newKeysStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show how many tokens each key id encrypts",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := a.keyStore(cmd.Context())
			if err != nil {
				return err
			}
			usage, err := ks.KeyUsage(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "keys: %s\n", a.keySource)
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY ID\tTOKENS")
			ids := slices.Sorted(maps.Keys(usage))
			for _, id := range ids {
				fmt.Fprintf(tw, "%s\t%d\n", id, usage[id])
			}
			return tw.Flush()
		},
	}
}

func newKeysRotateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every token with the first configured key",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := a.keyStore(cmd.Context())
			if err != nil {
				return err
			}
			n, err := ks.Reencrypt(cmd.Context())
			if err != nil {
				return err
			}
			usage, err := ks.KeyUsage(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "re-encrypted %d token%s; tokens by key id now: %v\n", n, plural(n), usage)
			if len(usage) <= 1 {
				fmt.Fprintln(cmd.OutOrStdout(), "no token uses an older key: it can be dropped from IGTOKEN_ENCRYPTION_KEY")
			}
			return nil
		},
	}
}

package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// annNoConfig marks commands that run without reading the configuration.
const annNoConfig = "igtoken/no-config"

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "igtoken",
		Short: "Keep Instagram access tokens alive",
		Long: `igtoken keeps Instagram access tokens alive for any number of accounts.

It runs the OAuth login, turns the one-hour token into a 60-day token at once,
stores every token encrypted, refreshes each one well before it expires, and
tells you when a user must reconnect.

Connect an account:
  igtoken auth-url                       # open the URL it prints
  igtoken authenticate --code <code or the whole redirect URL>
  igtoken status

Keep tokens alive from cron or a systemd timer:
  igtoken auto-refresh

Settings come from IGTOKEN_* environment variables (see igtoken doctor).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// The root runs only for "igtoken" alone or an unknown command:
		// cobra would otherwise print help and succeed on a typo.
		Args:        cobra.ArbitraryArgs,
		Annotations: map[string]string{annNoConfig: "true"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := "unknown command %q for %q"
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += " (did you mean " + s[0] + "?)"
			}
			return usageErrorf(cmd, msg, args[0], cmd.CommandPath())
		},
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.init(cmd)
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err: err, cmdPath: cmd.CommandPath()}
	})
	root.SetGlobalNormalizationFunc(normalizeFlag)
	root.AddCommand(
		newAuthURLCmd(a),
		newAuthenticateCmd(a),
		newStatusCmd(a),
		newValidateCmd(a),
		newRefreshCmd(a),
		newConvertCmd(a),
		newAutoRefreshCmd(a),
		newTokenCmd(a),
		newSendCmd(a),
		newPublishCmd(a),
		newDoctorCmd(a),
		newImportCmd(a),
		newHistoryCmd(a),
		newRemoveCmd(a),
		newEmulatorCmd(a),
		newServeCmd(a),
		newSandboxCmd(a),
		newMigrateCmd(a),
		newKeysCmd(a),
		newVersionCmd(),
	)
	return root
}

// normalizeFlag makes --channel-id, seed 003's name, an alias of --account.
func normalizeFlag(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if name == "channel-id" {
		name = "account"
	}
	return pflag.NormalizedName(name)
}

// addAccountFlag adds --account (alias --channel-id) to cmd.
func addAccountFlag(cmd *cobra.Command, p *string, what string) {
	cmd.Flags().StringVar(p, "account", "", what+": an Instagram account id or username (alias --channel-id)")
}

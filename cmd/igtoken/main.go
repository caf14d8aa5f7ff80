// Command igtoken keeps Instagram access tokens alive for any number of
// accounts: it logs accounts in, stores their tokens encrypted, refreshes
// them before they expire, and says when a user must reconnect.
//
// This package only wires things together: the rules live in package
// igtoken, the settings in internal/config. Each command is in its own file.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Main runs igtoken with args (without the program name), the given
// streams and environment, and returns the exit status: 0 on success, 2
// for a usage or configuration error, 1 for any other failure, including
// "some accounts failed".
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{getenv: getenv}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if cerr := a.close(); cerr != nil && err == nil {
		err = cerr
	}
	return report(stderr, err)
}

// Command invoke runs one function's real binary with a sample event through the local Lambda Runtime API host, against the running local stack.
//
//	go run ./scripts/invoke <function> <event.json>
//	go run ./scripts/invoke -list <function>
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/lambdahost"
	"breakwater/shared/topology"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := emulators.RepoRoot()
	if err == nil {
		inv := invoker{
			root:      root,
			functions: topology.Functions,
			build:     lambdahost.Build,
			ping:      emulators.Ping,
			stdin:     os.Stdin,
			stdout:    os.Stdout,
			stderr:    os.Stderr,
		}
		err = inv.run(ctx, os.Args[1:])
	}
	var fe *lambdahost.FunctionError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.As(err, &fe):
		os.Exit(1) // the error payload is already on stdout
	default:
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

// Command osemu runs the OpenSearch Service emulator.
//
//	osemu serve [flags]   serve the API and the embedded S3 endpoint
//	osemu version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/osemu/osemu"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}

	switch args[0] {
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "osemu %s\n", osemu.Version)
		return 0
	case "serve":
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()

		m := NewMain(stderr)
		if err := m.ParseFlags(args[1:]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(stderr, "osemu: %v\n", err)
			return 2
		}
		if err := m.Run(ctx); err != nil {
			fmt.Fprintf(stderr, "osemu: %v\n", err)
			return 1
		}
		return 0
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}

	fmt.Fprintf(stderr, "osemu: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `osemu emulates the Amazon OpenSearch Service configuration API.

Usage:
  osemu serve [flags]   serve the API and the embedded S3 endpoint
  osemu version         print the version

Run "osemu serve -h" for the flags.
`)
}

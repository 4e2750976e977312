// Command build compiles every Lambda function in topology.Functions into <out>/<name>/bootstrap for
// provided.al2023, in parallel, leaving a binary untouched when it did not change so CDK's asset hash stays put.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"breakwater/shared/topology"
)

func main() {
	out := flag.String("out", "", "folder that receives <function>/bootstrap (default: CDK context assetDir when run by cdk, else build)")
	arch := flag.String("arch", "arm64", "GOARCH of the Lambda functions (arm64 or amd64)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var names []string
	for _, f := range topology.Functions {
		names = append(names, f.Name)
	}
	if *out == "" {
		*out = assetDir(os.Getenv("CDK_CONTEXT_JSON"), os.Getenv("CONTEXT_OVERFLOW_LOCATION_ENV"))
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	results, err := buildAll(ctx, builder{Root: root, Out: *out, Arch: *arch}, names)
	for _, r := range results {
		fmt.Fprintln(os.Stderr, r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
}

// Command push answers a page's WebSocket hello with the connection's own id, which the page then registers
// through the HTTP API (which authenticates) to receive pokes; it needs no AWS permission and reads no setting.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	if err := run(context.Background()); err != nil {
		slog.Error("cold start failed", "err", err)
		os.Exit(1)
	}
}

func run(context.Context) error {
	lambda.Start(handle)
	return nil
}

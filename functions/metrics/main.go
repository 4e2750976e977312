// Command metrics publishes the human queues' depth and oldest wait every minute, for alarms and the dashboard.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/lambdaenv"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
)

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	if err := run(context.Background()); err != nil {
		slog.Error("cold start failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	var env lambdaenv.Env
	contacts := env.String(topology.Contacts.EnvVar)
	if err := env.Err(); err != nil {
		return err
	}
	cfg, err := sdkconfig.Load(ctx)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	h := &handler{
		queues:  dynamo.NewContacts(sdkconfig.DynamoDB(cfg), contacts, 24*time.Hour),
		targets: humanqueue.DefaultTargets(),
		metrics: emf.New(os.Stdout, topology.MetricsNamespace),
	}
	lambda.Start(h.handle)
	return nil
}

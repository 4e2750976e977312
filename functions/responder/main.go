// Command responder answers routine contacts from the intake queue and routes the rest to human queues.
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
	"breakwater/shared/catalog"
	"breakwater/shared/catalog/builtin"
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
	catalogTable := env.String(topology.Catalog.EnvVar)
	retention := env.Int(topology.EnvRetentionDays, topology.DefaultRetentionDays)
	refresh := env.Duration(topology.EnvTemplateTTL, topology.DefaultTemplateTTL)
	if err := env.Err(); err != nil {
		return err
	}
	cfg, err := sdkconfig.Load(ctx)
	if err != nil {
		return fmt.Errorf("responder: %w", err)
	}
	db := sdkconfig.DynamoDB(cfg)
	cache := catalog.NewCache(dynamo.NewCatalog(db, catalogTable), refresh).Holding(builtin.Snapshot())
	// Load templates and build the index during init, not on the first contact's clock.
	if _, err := cache.Get(ctx); err != nil {
		slog.Warn("templates not loaded at cold start; the first batch tries again", "err", err)
	}
	h := &handler{
		triage:  cache,
		store:   dynamo.NewContacts(db, contacts, time.Duration(retention)*24*time.Hour),
		metrics: emf.New(os.Stdout, topology.MetricsNamespace),
		now:     time.Now,
		margin:  2 * time.Second,
	}
	lambda.Start(h.handle)
	return nil
}

// Command agent serves the agent console and the API agents use to work the human queues.
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
	"breakwater/shared/aws/lambdaenv"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
	"breakwater/shared/webui"
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
	hold := env.Int(topology.EnvLeaseSeconds, topology.DefaultLeaseSeconds)
	a := auth{mode: env.Optional(topology.EnvAgentAuth, topology.DefaultAgentAuth)}
	switch a.mode {
	case "token":
		a.token = env.String(topology.EnvAgentToken)
	case "jwt":
		a.group = env.Optional(topology.EnvAgentGroup, "agents")
	default:
		return fmt.Errorf("environment variable %s=%q must be token or jwt", topology.EnvAgentAuth, a.mode)
	}
	console := webui.ConsoleConfig{Auth: a.mode, Region: env.Optional(topology.EnvCognitoRegion, ""), ClientID: env.Optional(topology.EnvCognitoClientID, "")}
	if err := env.Err(); err != nil {
		return err
	}
	cfg, err := sdkconfig.Load(ctx)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	db := sdkconfig.DynamoDB(cfg)
	cache := catalog.NewCache(dynamo.NewCatalog(db, catalogTable), time.Minute).Holding(builtin.Snapshot())
	// Build the index during init: a claim's lease runs from the moment it is taken, so the first claim of a
	// fresh environment must not spend it building the suggestions' index.
	if _, err := cache.Get(ctx); err != nil {
		slog.Warn("templates not loaded at cold start; the first claim tries again", "err", err)
	}
	h := &handler{
		queues:  dynamo.NewContacts(db, contacts, time.Duration(retention)*24*time.Hour),
		triage:  cache,
		auth:    a,
		hold:    time.Duration(hold) * time.Second,
		targets: humanqueue.DefaultTargets(),
		page:    webui.Console(console),
		pageH:   console.Headers(),
		// Consoles refresh every 3 s; one read per 2 s per instance serves them all.
		overview: statsCache{ttl: 2 * time.Second},
	}
	lambda.Start(h.handle)
	return nil
}

// Command intake accepts shoppers' contacts onto the intake queue and tells them where their contact stands.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/emf"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/aws/lambdaenv"
	"breakwater/shared/aws/push"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/aws/secrets"
	"breakwater/shared/storefront"
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
	table := env.String(topology.Contacts.EnvVar)
	messages := env.String(topology.Messages.EnvVar)
	queueURL := env.String(topology.Intake.EnvVar)
	retention := env.Int(topology.EnvRetentionDays, topology.DefaultRetentionDays)
	handleSeconds := env.Int(topology.EnvAverageHandleSeconds, topology.DefaultAverageHandleSeconds)
	staticKeys := env.Optional(topology.EnvStorefrontKeys, "")
	secretPrefix := env.Optional(topology.EnvStorefrontSecrets, "")
	pushEndpoint := env.Optional(topology.EnvPushEndpoint, "")
	pushURL := env.Optional(topology.EnvPushURL, "")
	if err := env.Err(); err != nil {
		return err
	}
	cfg, err := sdkconfig.Load(ctx)
	if err != nil {
		return fmt.Errorf("intake: %w", err)
	}
	store := dynamo.NewContacts(sdkconfig.DynamoDB(cfg), table, time.Duration(retention)*24*time.Hour).WithMessages(messages)
	var keys storefront.Keyring
	switch {
	case staticKeys != "":
		if keys, err = storefront.ParseStaticKeys(staticKeys); err != nil {
			return fmt.Errorf("environment variable %s: %w", topology.EnvStorefrontKeys, err)
		}
	case secretPrefix != "":
		keys = secrets.NewKeyring(secretsmanager.NewFromConfig(cfg), secretPrefix)
	default:
		slog.Warn("no storefront keys configured: every shopper is anonymous", "set", topology.EnvStorefrontSecrets)
	}
	// Status polls share one read of each queue per interval instead of counting the queues per poll, so a deep
	// queue in a surge costs reads per instance, not per poll; the position a shopper sees is at most this old.
	store.PositionTTL = topology.PositionTTL
	h := &handler{
		store:         store,
		queue:         intakequeue.NewIntake(sdkconfig.SQS(cfg), queueURL),
		metrics:       emf.New(os.Stdout, topology.MetricsNamespace),
		keys:          keys,
		page:          webui.ShopperPage(pushURL),
		pageH:         webui.ShopperHeaders(pushURL),
		now:           time.Now,
		handleSeconds: handleSeconds,
		staffing:      staffingCache{ttl: 15 * time.Second},
		margin:        2 * time.Second,
	}
	if pushEndpoint != "" {
		h.push = push.New(cfg, pushEndpoint)
	}
	lambda.Start(h.handle)
	return nil
}

// Command voice is the voice of the customer: every hour it gathers contacts' outcomes, groups each merchant's
// into problems, alerts owners to spikes, sends the 09:00 digests and proposes draft templates from gaps; every
// five minutes it publishes the templates agents approved since (a publish event).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/lambdaenv"
	"breakwater/shared/aws/notify"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	if err := run(context.Background()); err != nil {
		slog.Error("cold start failed", "err", err)
		os.Exit(1)
	}
}

// config is what the voice function reads from its environment.
type config struct {
	contacts, catalog, voice string
	notify                   string // "aws" or "outbox"
	topic, emailFrom         string
	retention                time.Duration
}

func configFromEnv() (config, error) {
	var env lambdaenv.Env
	c := config{
		contacts:  env.String(topology.Contacts.EnvVar),
		catalog:   env.String(topology.Catalog.EnvVar),
		voice:     env.String(topology.Voice.EnvVar),
		notify:    env.Optional(topology.EnvVoiceNotify, topology.DefaultVoiceNotify),
		topic:     env.String(topology.EnvVoiceTopic),
		emailFrom: env.Optional(topology.EnvVoiceEmailFrom, ""),
		retention: time.Duration(env.Int(topology.EnvVoiceRetentionDays, topology.DefaultVoiceRetentionDays)) * 24 * time.Hour,
	}
	if c.notify != "aws" && c.notify != "outbox" {
		return c, fmt.Errorf("environment variable %s=%q must be aws or outbox", topology.EnvVoiceNotify, c.notify)
	}
	return c, env.Err()
}

func run(ctx context.Context) error {
	c, err := configFromEnv()
	if err != nil {
		return err
	}
	cfg, err := sdkconfig.Load(ctx)
	if err != nil {
		return fmt.Errorf("voice: %w", err)
	}
	h, r, err := wire(ctx, sdkconfig.DynamoDB(cfg), c)
	if err != nil {
		return err
	}
	if c.notify == "aws" {
		senders := notify.Router{Fallback: r.DefaultOwner, Senders: map[voice.OwnerKind]notify.Sender{
			voice.SNS:     notify.Topic{SNS: sns.NewFromConfig(cfg)},
			voice.Webhook: notify.Hook{},
		}}
		if c.emailFrom != "" {
			senders.Senders[voice.Email] = notify.Mail{SES: sesv2.NewFromConfig(cfg), From: c.emailFrom}
		}
		r.Send = senders
	}
	lambda.Start(h.handle)
	return nil
}

// wire builds the handler on db: the hourly runner, whose owners' messages go to the voice table's outbox until
// the caller sets its Send, and the publisher of staged templates.
func wire(ctx context.Context, db *dynamodb.Client, c config) (*handler, *voice.Runner, error) {
	store := dynamo.NewVoice(db, c.voice, c.retention)
	cat := dynamo.NewCatalog(db, c.catalog)
	// The templates' example questions weigh the words every shopper uses; read once per cold start.
	contents, err := catalog.Load(ctx, cat)
	if err != nil {
		return nil, nil, fmt.Errorf("voice: %w", err)
	}
	var background []string
	for _, t := range contents.Templates {
		background = append(background, t.Examples...)
	}
	r := &voice.Runner{
		Contacts:     dynamo.NewContactScan(db, c.contacts, 4),
		Store:        store,
		Send:         store,
		Grouper:      voice.NewGrouper(background),
		Started:      started(catalog.NewCache(cat, time.Minute)),
		Thresholds:   voice.DefaultThresholds,
		Gaps:         voice.DefaultGaps,
		DefaultOwner: voice.Owner{ID: "platform", Kind: voice.SNS, Target: c.topic, Locale: "en"},
		Now:          time.Now,
		// Merchants at once: their reads and writes overlap, and a gigabyte gives most of a core.
		Parallel: 8,
	}
	h := &handler{
		runner: r,
		// Agents' approvals stage templates; every few minutes this publishes them, trained once (1 GB: most of a
		// core, so seconds).
		publish: &drafting.Publisher{Catalog: catalog.NewWriter(cat), Drafts: store, Now: time.Now},
		now:     time.Now,
	}
	return h, r, nil
}

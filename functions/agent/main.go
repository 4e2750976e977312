// Command agent serves the agent console and the API agents use to work the human queues.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"breakwater/shared/answer"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/lambdaenv"
	"breakwater/shared/aws/push"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/catalog/builtin"
	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
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
	messages := env.String(topology.Messages.EnvVar)
	catalogTable := env.String(topology.Catalog.EnvVar)
	voiceTable := env.String(topology.Voice.EnvVar)
	retention := env.Int(topology.EnvRetentionDays, topology.DefaultRetentionDays)
	hold := env.Int(topology.EnvLeaseSeconds, topology.DefaultLeaseSeconds)
	a := auth{mode: env.Optional(topology.EnvAgentAuth, topology.DefaultAgentAuth)}
	switch a.mode {
	case "token":
		var err error
		if a.agents, err = parseAgents(env.String(topology.EnvAgents)); err != nil {
			return fmt.Errorf("environment variable %s: %w", topology.EnvAgents, err)
		}
	case "jwt":
		a.group = env.Optional(topology.EnvAgentGroup, "agents")
	default:
		return fmt.Errorf("environment variable %s=%q must be token or jwt", topology.EnvAgentAuth, a.mode)
	}
	pushEndpoint := env.Optional(topology.EnvPushEndpoint, "")
	console := webui.ConsoleConfig{Auth: a.mode, Region: env.Optional(topology.EnvCognitoRegion, ""), ClientID: env.Optional(topology.EnvCognitoClientID, ""),
		Push: env.Optional(topology.EnvPushURL, "")}
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
		queues:  dynamo.NewContacts(db, contacts, time.Duration(retention)*24*time.Hour).WithMessages(messages),
		triage:  cache,
		auth:    a,
		hold:    time.Duration(hold) * time.Second,
		targets: humanqueue.DefaultTargets(),
		page:    webui.Console(console),
		pageH:   console.Headers(),
		// Consoles refresh every 3 s; one read per 2 s per instance serves them all.
		overview: statsCache{ttl: time.Duration(topology.OverviewSeconds) * time.Second}, // as old as the console's own timer
	}
	if pushEndpoint != "" {
		h.push = push.New(cfg, pushEndpoint)
	}
	store := dynamo.NewVoice(db, voiceTable, time.Duration(topology.DefaultVoiceRetentionDays)*24*time.Hour)
	cat := dynamo.NewCatalog(db, catalogTable)
	writer := catalog.NewWriter(cat)
	h.voice = &insights{
		read:     &lazyInsights{store: store, templates: writer},
		problems: store,
		// Approval stages the templates; the voice function's publish tick trains and publishes them.
		review: &drafting.Reviewer{Drafts: store, Approvals: dynamo.Approvals{Voice: store, Catalog: cat}, Catalog: writer, Now: time.Now},
		now:    time.Now,
	}
	lambda.Start(h.handle)
	return nil
}

// lazyInsights builds the voice runner the first time an agent opens the voice of the customer: it needs every
// template's examples, which a cold start that serves claims should not wait for.
type lazyInsights struct {
	store     *dynamo.Voice
	templates interface {
		Templates(ctx context.Context) ([]answer.Template, error)
	}
	once   sync.Mutex
	runner *voice.Runner
}

func (l *lazyInsights) Insights(ctx context.Context, merchant string, from, to time.Time) (voice.Insights, error) {
	l.once.Lock()
	if l.runner == nil {
		ts, err := l.templates.Templates(ctx)
		if err != nil {
			l.once.Unlock()
			return voice.Insights{}, fmt.Errorf("insights of %s: %w", merchant, err)
		}
		var bg []string
		for _, t := range ts {
			bg = append(bg, t.Examples...)
		}
		l.runner = &voice.Runner{Store: l.store, Grouper: voice.NewGrouper(bg), Thresholds: voice.DefaultThresholds, Now: time.Now,
			DefaultOwner: voice.Owner{ID: "platform", Kind: voice.SNS}}
	}
	r := l.runner
	l.once.Unlock()
	return r.Insights(ctx, merchant, from, to)
}

// Command voice runs the voice of the customer on demand, with the same code the hourly function runs: it
// gathers the contacts settled since the last gather, groups each merchant's contacts of the window into
// problems, compares them with the same hours of the last week, routes them, and prints them.
//
//	go run ./scripts/voice [-since 1h] [-merchant M] [-json]
//	go run ./scripts/voice -routing rules.json        # store a merchant's owners and rules first
//	go run ./scripts/voice -notify -digest            # also alert owners and send digests now
//	go run ./scripts/voice -outbox 1h                 # print what owners were sent (local stack)
//
// It reaches the running local stack (go run ./scripts/local); with VOICE_TABLE, CONTACTS_TABLE and
// CATALOG_TABLE set it reaches those tables through the usual AWS environment instead.
//
// With -json it prints one line per problem:
// {"merchant","cluster","label","count","baseline","spike":bool,"owner","examples":[...]}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
	"breakwater/shared/voice"
	"breakwater/shared/voice/drafting"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "voice:", err)
		os.Exit(1)
	}
}

// line is one problem in -json output; its shape is a contract other tools read.
type line struct {
	Merchant string   `json:"merchant"`
	Cluster  string   `json:"cluster"`
	Label    string   `json:"label"`
	Count    int      `json:"count"`
	Baseline float64  `json:"baseline"`
	Spike    bool     `json:"spike"`
	Owner    string   `json:"owner"`
	Examples []string `json:"examples"`
}

// target is where the tables are: their names and an SDK configuration that reaches them.
type target struct {
	cfg                      aws.Config
	contacts, catalog, voice string
	topic                    string
	local                    bool
}

func locate(ctx context.Context) (target, error) {
	if v := os.Getenv(topology.Voice.EnvVar); v != "" {
		t := target{voice: v, contacts: os.Getenv(topology.Contacts.EnvVar), catalog: os.Getenv(topology.Catalog.EnvVar), topic: os.Getenv(topology.EnvVoiceTopic)}
		if t.contacts == "" || t.catalog == "" {
			return t, fmt.Errorf("with %s set, set %s and %s too", topology.Voice.EnvVar, topology.Contacts.EnvVar, topology.Catalog.EnvVar)
		}
		cfg, err := sdkconfig.Load(ctx)
		t.cfg = cfg
		return t, err
	}
	root, err := emulators.RepoRoot()
	if err != nil {
		return target{}, err
	}
	st, err := emulators.ReadState(root)
	if err != nil {
		return target{}, err
	}
	t := target{voice: st.Env[topology.Voice.EnvVar], contacts: st.Env[topology.Contacts.EnvVar], catalog: st.Env[topology.Catalog.EnvVar],
		topic: runner.LocalVoiceTopic, local: true}
	if t.voice == "" {
		return t, errors.New("the running local stack has no voice table: restart go run ./scripts/local")
	}
	t.cfg, err = emulators.Config(ctx, st.Env["AWS_ENDPOINT_URL_DYNAMODB"], st.Env["AWS_ENDPOINT_URL_SQS"])
	return t, err
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("voice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	since := fs.Duration("since", time.Hour, "the window to report: this long up to now")
	merchant := fs.String("merchant", "", "one merchant (default: every merchant with voices)")
	asJSON := fs.Bool("json", false, "one JSON object per problem and line")
	gather := fs.Bool("gather", true, "gather the contacts settled since the last gather first")
	notify := fs.Bool("notify", false, "alert owners to spikes and regressions (locally: into the outbox)")
	digest := fs.Bool("digest", false, "send each owner's digest now")
	routing := fs.String("routing", "", "store the owners and rules in this JSON file (one routing or a list) first")
	outbox := fs.Duration("outbox", 0, "print the messages kept in the outbox over this long, and stop")
	segments := fs.Int("segments", 4, "parallel scan segments reading the contacts")
	parallel := fs.Int("parallel", 8, "merchants grouped at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *since <= 0 || *since > 8*24*time.Hour {
		return fmt.Errorf("-since %s: want more than 0 and at most 8 days (voices are kept about two weeks)", *since)
	}
	t, err := locate(ctx)
	if err != nil {
		return err
	}
	db := sdkconfig.DynamoDB(t.cfg, emulators.DynamoOptions)
	store := dynamo.NewVoice(db, t.voice, time.Duration(topology.DefaultVoiceRetentionDays)*24*time.Hour)
	if *outbox > 0 {
		return printOutbox(ctx, store, time.Now().Add(-*outbox), stdout)
	}
	if *routing != "" {
		if err := putRouting(ctx, store, *routing, stderr); err != nil {
			return err
		}
	}
	began := time.Now()
	cat := dynamo.NewCatalog(db, t.catalog)
	contents, err := catalog.Load(ctx, cat)
	if err != nil {
		return err
	}
	var background []string
	for _, tpl := range contents.Templates {
		background = append(background, tpl.Examples...)
	}
	cache := catalog.NewCache(cat, time.Minute)
	r := &voice.Runner{
		Contacts: dynamo.NewContactScan(db, t.contacts, *segments),
		Store:    store,
		Send:     store, // the outbox: this command alerts no one by itself but through it
		Grouper:  voice.NewGrouper(background),
		Started: func(rec contact.Record) string {
			tri, err := cache.Get(ctx)
			if err != nil {
				return ""
			}
			return drafting.StartedFromSuggestions(tri.Template)(rec)
		},
		Thresholds:   voice.DefaultThresholds,
		Gaps:         voice.DefaultGaps,
		DefaultOwner: voice.Owner{ID: "platform", Kind: voice.SNS, Target: t.topic, Locale: "en"},
		Now:          time.Now,
		Parallel:     *parallel,
	}
	gathered := 0
	if *gather {
		if gathered, err = r.Gather(ctx); err != nil {
			return err
		}
	}
	gatheredAt := time.Since(began)
	now := time.Now()
	rep, err := r.Run(ctx, voice.Options{From: now.Add(-*since), To: now, Merchant: *merchant, Notify: *notify, Digest: *digest, ForceDigest: *digest})
	took := time.Since(began)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, m := range rep.Merchants {
			for _, p := range m.Problems {
				ex := p.Examples
				if ex == nil {
					ex = []string{}
				}
				if e := enc.Encode(line{Merchant: m.Merchant, Cluster: p.ID, Label: p.Label, Count: p.Count, Baseline: round1(p.Baseline),
					Spike: p.Spike, Owner: p.Owner, Examples: ex}); e != nil {
					return e
				}
			}
		}
	} else {
		printReport(rep, *since, stdout)
	}
	fmt.Fprintf(stderr, "voice: gathered %d voices in %s; reported %d merchants over the last %s in %s in all\n",
		gathered, gatheredAt.Round(time.Millisecond), len(rep.Merchants), *since, took.Round(time.Millisecond))
	return err
}

func round1(x float64) float64 { return float64(int(x*10+0.5)) / 10 }

func putRouting(ctx context.Context, store *dynamo.Voice, path string, stderr io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read routing: %w", err)
	}
	var rs []voice.Routing
	if err := json.Unmarshal(b, &rs); err != nil {
		var one voice.Routing
		if err1 := json.Unmarshal(b, &one); err1 != nil {
			return fmt.Errorf("read routing %s: %w", path, err1)
		}
		rs = []voice.Routing{one}
	}
	for _, r := range rs {
		if err := store.PutRouting(ctx, r); err != nil {
			return fmt.Errorf("routing %s: %w", path, err)
		}
		fmt.Fprintf(stderr, "voice: stored routing of %s: %d owners, %d rules, default %s\n", r.Merchant, len(r.Owners), len(r.Rules), r.Default)
	}
	return nil
}

func printReport(rep voice.Report, since time.Duration, w io.Writer) {
	if len(rep.Merchants) == 0 {
		fmt.Fprintf(w, "No voices in the last %s.\n", since)
		return
	}
	for _, m := range rep.Merchants {
		pending := 0
		for _, d := range m.Drafts {
			if d.Status == voice.Pending {
				pending++
			}
		}
		fmt.Fprintf(w, "%s: %d problems over the last %s, %d messages in none, %d drafts to review\n", m.Merchant, len(m.Problems), since, m.Unclustered, pending)
		for _, p := range m.Problems {
			flag := "     "
			switch {
			case p.Regression:
				flag = "BACK "
			case p.Spike:
				flag = "SPIKE"
			case p.New:
				flag = "new  "
			}
			usual := "no history"
			if p.Days > 0 {
				usual = fmt.Sprintf("usually %.1f", p.Baseline)
			}
			fmt.Fprintf(w, "  %s %-14s %4d (%s)  %-10s %s\n", flag, p.ID, p.Count, usual, p.Owner, p.Label)
			for _, e := range p.Examples {
				fmt.Fprintf(w, "        « %s »\n", e)
			}
		}
		for _, d := range m.Drafts {
			fmt.Fprintf(w, "  draft %s (%s, %s, intent %s, %d contacts, %.0f%% of replies alike): %q",
				d.ID, d.Status, d.Locale, d.Intent, d.Impact, 100*d.Agreement, d.Answer)
			if d.Status == voice.Approved {
				win := m.DraftWindow[d.ID]
				fmt.Fprintf(w, "\n        approved by %s, published %s; in this window the bot answered %d from it and %d still went to a person (hourly totals since approval: %d, %d)",
					d.DecidedBy, strings.Join(d.Published, ", "), win[0], win[1], d.Answered, d.HandedOff)
			}
			fmt.Fprintln(w)
		}
		for _, s := range m.Sent {
			fmt.Fprintf(w, "  sent %s\n", s)
		}
	}
}

func printOutbox(ctx context.Context, store *dynamo.Voice, from time.Time, w io.Writer) error {
	ms, err := store.Outbox(ctx, from)
	if err != nil {
		return err
	}
	for _, m := range ms {
		fmt.Fprintf(w, "── %s %s to %s (%s %s)\n%s\n%s\n", m.At.Format(time.RFC3339), m.Kind, m.Owner.ID, m.Owner.Kind, m.Owner.Target,
			m.Subject, strings.TrimRight(m.Text, "\n"))
	}
	if len(ms) == 0 {
		fmt.Fprintln(w, "The outbox is empty.")
	}
	return nil
}

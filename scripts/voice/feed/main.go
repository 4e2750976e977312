// Command feed plays shoppers and agents against the running local stack with the voice of the customer's
// labelled fixture: it posts the fixture's messages as contacts through the HTTP API, waits for the responder,
// then claims what went to people and replies as agents do, each problem with its team's usual reply most of
// the time. It is how to see a gap become an answer end to end:
//
//	go run ./scripts/local                                    # in another terminal
//	go run ./scripts/voice/feed -n 1200 -agents               # shoppers write, agents answer
//	go run ./scripts/voice                                    # problems, spikes and a draft
//	curl -X POST $URL/agent/insights/drafts/<id>/approve ...  # or approve it in the console (202: publishing)
//	go run ./scripts/invoke voice events/voice/publish.json   # publish now (the stack does every five minutes)
//	go run ./scripts/voice/feed -groups coupon.invalid -n 40  # the next such questions: the bot answers them
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/shared/local/emulators"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "feed:", err)
		os.Exit(1)
	}
}

type row struct {
	ID, Group, Locale, Text string
}

// replies are what each team usually answers; agents use them most of the time, in the shopper's language.
var replies = map[string][2]string{
	"coupon.invalid": {"Sorry about that! The SAVE20 campaign ended at midnight, but code SAVE20B gives the same discount at checkout.",
		"抱歉！SAVE20活动已于零点结束，结算时输入SAVE20B可享受同样的优惠。"},
	"carrier.stuck.chengdu": {"The Chengdu hub is clearing a backlog; your parcel will move within 48 hours and we will refund the shipping.",
		"成都转运中心正在处理积压，您的包裹会在48小时内发出，运费我们退还给您。"},
	"size.small.jacket": {"Our size chart for this jacket runs one size small; we will exchange it for a bigger one free of charge.",
		"这款外套的尺码表偏小一码，我们为您免费换大一码。"},
	"app.crash.checkout": {"We fixed the checkout crash in app version 5.2.1; please update the app and try again.",
		"结算闪退已在5.2.1版本修复，请更新APP后重试。"},
	"sms.code": {"Verification texts are delayed at one carrier; please use the e-mail code option on the login page.",
		"部分运营商短信延迟，请在登录页选择邮箱验证码。"},
}

// variants are what agents write when they do not use the usual reply.
var variants = [][2]string{
	{"Let me check this with the team and get back to you.", "我帮您核实一下，稍后回复您。"},
	{"Thanks for telling us, I have escalated it.", "感谢反馈，已为您升级处理。"},
	{"Could you send me a screenshot please?", "麻烦发一张截图给我。"},
}

func run(ctx context.Context) error {
	root, err := emulators.RepoRoot()
	if err != nil {
		return err
	}
	file := flag.String("file", filepath.Join(root, "shared", "voice", "testdata", "fixture.jsonl"), "labelled fixture (JSON lines)")
	n := flag.Int("n", 600, "messages to post")
	groups := flag.String("groups", "", "only these problems, comma-separated (default: every problem and the noise)")
	merchant := flag.String("merchant", "m1", "the merchant the shoppers write to")
	agents := flag.Bool("agents", false, "then claim what went to people and reply as agents")
	usual := flag.Float64("usual", 0.8, "share of agents' replies that are their team's usual reply")
	conc := flag.Int("c", 8, "requests at once")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed (which messages, which replies)")
	bmp := flag.Bool("bmp", true, "drop characters beyond the Basic Multilingual Plane (emoji): the local SQS emulator, fauxqs 1.9.2, refuses them although SQS accepts them, and the intake answers 503")
	flag.Parse()

	st, err := emulators.ReadState(root)
	if err != nil {
		return err
	}
	rows, err := read(*file, *groups)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 1))
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	rows = rows[:min(*n, len(rows))]
	if *bmp {
		for i := range rows {
			rows[i].Text = strings.TrimSpace(strings.Map(func(r rune) rune {
				if r > 0xFFFF {
					return -1
				}
				return r
			}, rows[i].Text))
		}
	}
	group := map[string]string{}
	for _, r := range rows {
		group[r.Text] = r.Group
	}
	c := &client{base: st.URL, token: st.AgentToken, http: &http.Client{Timeout: 20 * time.Second}}

	began := time.Now()
	var posted, failed atomic.Int64
	work := make(chan row)
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			for r := range work {
				body := map[string]any{"merchant": *merchant, "shopper": map[string]string{"id": "feed-" + r.ID, "tier": "standard"},
					"text": r.Text, "locale": r.Locale, "channel": "web"}
				if r.Group == "carrier.stuck.chengdu" {
					body["context"] = map[string]any{"order": map[string]string{"carrier": "SF Express", "status": "in_transit"}}
				}
				if code, out, err := c.do(ctx, http.MethodPost, "/contacts", body, ""); err != nil || code != http.StatusAccepted {
					if failed.Add(1) <= 3 {
						fmt.Fprintf(os.Stderr, "feed: POST /contacts: %d %s %v\n", code, bytes.TrimSpace(out), err)
					}
					continue
				}
				posted.Add(1)
			}
		})
	}
	for _, r := range rows {
		work <- r
	}
	close(work)
	wg.Wait()
	fmt.Fprintf(os.Stderr, "feed: posted %d contacts to %s (%d failed) in %s\n", posted.Load(), *merchant, failed.Load(), time.Since(began).Round(time.Millisecond))
	if err := c.drained(ctx, 2*time.Minute); err != nil {
		return err
	}
	if !*agents {
		return nil
	}
	began = time.Now()
	var replied, usualReplies atomic.Int64
	var agentsWG sync.WaitGroup
	for a := range *conc {
		agentsWG.Go(func() {
			name := fmt.Sprintf("feed-agent-%d", a)
			rng := rand.New(rand.NewPCG(*seed, uint64(a)+2))
			for {
				code, body, err := c.do(ctx, http.MethodPost, "/agent/claim", map[string]any{}, name)
				if err != nil || code != http.StatusOK {
					return // 204: nothing waits
				}
				var claim struct {
					Contact struct {
						ID, Text, Locale string
					} `json:"contact"`
					Lease struct{ Token string } `json:"lease"`
				}
				if json.Unmarshal(body, &claim) != nil {
					return
				}
				lang := 0
				if strings.HasPrefix(claim.Contact.Locale, "zh") {
					lang = 1
				}
				text := variants[rng.IntN(len(variants))][lang]
				if r, ok := replies[group[claim.Contact.Text]]; ok && rng.Float64() < *usual {
					text = r[lang]
					usualReplies.Add(1)
				}
				if code, _, err := c.do(ctx, http.MethodPost, "/agent/contacts/"+claim.Contact.ID+"/reply", map[string]any{"lease": claim.Lease.Token, "text": text}, name); err == nil && code == http.StatusOK {
					replied.Add(1)
				}
			}
		})
	}
	agentsWG.Wait()
	fmt.Fprintf(os.Stderr, "feed: agents replied to %d contacts (%d with their team's usual reply) in %s\n", replied.Load(), usualReplies.Load(), time.Since(began).Round(time.Millisecond))
	return nil
}

func read(path, groups string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]bool{}
	for _, g := range strings.Split(groups, ",") {
		if g = strings.TrimSpace(g); g != "" {
			want[g] = true
		}
	}
	var out []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if len(want) == 0 || want[r.Group] {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no messages of %q in %s", groups, path)
	}
	return out, sc.Err()
}

type client struct {
	base, token string
	http        *http.Client
}

func (c *client) do(ctx context.Context, method, path string, body any, agent string) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if agent != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("X-Agent-Name", agent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// drained waits until the intake queue is empty: every posted contact answered or queued for people.
func (c *client) drained(ctx context.Context, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/_local/intake", nil)
		resp, err := c.http.Do(req)
		if err == nil {
			var s struct {
				Intake struct{ Visible, InFlight int } `json:"intake"`
			}
			err = json.NewDecoder(resp.Body).Decode(&s)
			resp.Body.Close()
			if err == nil && s.Intake.Visible+s.Intake.InFlight == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return errors.New("the intake queue did not drain in time")
}

package runner_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"

	"breakwater/shared/local/await"
)

func TestMain(m *testing.M) { emulators.Main(m) }

// syncBuffer collects the functions' output, which several processes write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, o runner.Options) (*runner.Stack, client, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	o.Emulators = emulators.Shared(t)
	o.Log = logs
	if o.Concurrency == 0 {
		o.Concurrency = 4
	}
	o.MetricsEvery = -1
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := runner.Start(ctx, o)
	if err != nil {
		t.Fatalf("start local stack: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close local stack: %v", err)
		}
		if t.Failed() {
			t.Logf("function logs:\n%s", tail(logs.String(), 60))
		}
	})
	return s, client{t: t, url: s.URL, agent: s.AgentToken}, logs
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func order() map[string]any {
	return map[string]any{"order": map[string]any{"id": "A100", "carrier": "SF Express", "trackingNumber": "SF123456", "estimatedDelivery": "2026-11-25", "amount": 59.0}}
}

func TestRoutineAnsweredAndOthersQueued(t *testing.T) {
	_, c, _ := start(t, runner.Options{})
	tests := []struct {
		name     string
		req      map[string]any
		status   string
		priority string
		answer   string // a part the answer must contain
	}{
		{"tracking in English", map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "s1", "tier": "standard"}, "text": "where is my parcel??", "context": order()}, "answered", "", "SF123456"},
		{"tracking in Chinese", map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "s2", "tier": "standard"}, "locale": "zh-CN", "text": "我的快递到哪了", "context": order()}, "answered", "", "SF123456"},
		{"charged twice", map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "s3", "tier": "standard"}, "text": "I was charged twice for my order!"}, "queued", "urgent", ""},
		{"person asked for", map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "s4", "tier": "standard"}, "text": "转人工"}, "queued", "high", ""},
		{"angry about shipping", map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "s5", "tier": "standard"}, "text": "快递太慢了，差评！"}, "queued", "high", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			s := c.settle(c.post(tt.req), 20*time.Second)
			if got, want := s.Status, tt.status; got != want {
				t.Fatalf("status = %q, want %q (%+v)", got, want, s)
			}
			if tt.answer != "" && !strings.Contains(s.Answer, tt.answer) {
				t.Errorf("answer = %q, want it to contain %q", s.Answer, tt.answer)
			}
			if tt.priority != "" {
				if s.Queue == nil || s.Queue.Priority != tt.priority {
					t.Fatalf("queue = %+v, want priority %s", s.Queue, tt.priority)
				}
				// No agent has worked yet: a position, and no invented wait.
				if s.Queue.Position == nil || *s.Queue.Position < 1 || s.Queue.EstimatedWaitSeconds != nil ||
					s.Queue.AgentsOnline == nil || *s.Queue.AgentsOnline != 0 {
					t.Errorf("queue = %+v, want a position, no agent online and so no wait estimate", s.Queue)
				}
			}
		})
	}
}

func TestBadInputAndOtherPeoplesContacts(t *testing.T) {
	_, c, _ := start(t, runner.Options{})
	for _, tt := range []struct {
		name string
		body string
		code int
	}{
		{"empty text", `{"merchant":"m1","shopper":{"id":"s1"},"text":"  "}`, 400},
		{"unknown field", `{"merchant":"m1","shopper":{"id":"s1"},"text":"hi","admin":true}`, 400},
		{"not JSON", `hello`, 400},
		{"too large", `{"merchant":"m1","shopper":{"id":"s1"},"text":"` + strings.Repeat("a", 20000) + `"}`, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(c.url+"/contacts", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct{ Code, Field, Message string } `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if got, want := resp.StatusCode, tt.code; got != want {
				t.Fatalf("status = %d, want %d", got, want)
			}
			if body.Error.Message == "" || body.Error.Field == "" {
				t.Errorf("error body = %+v, want the field and a message", body)
			}
		})
	}
	a := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "s1"}, "text": "hello"})
	if got := c.do("GET", "/contacts/"+a.ID, nil, map[string]string{"X-Contact-Token": a.Token + "x"}, nil); got != 404 {
		t.Errorf("wrong token: status = %d, want 404", got)
	}
	if got := c.do("GET", "/contacts/c_aaaaaaaaaaaaaaaaaaaaaaaaaa", nil, map[string]string{"X-Contact-Token": a.Token}, nil); got != 404 {
		t.Errorf("unknown id: status = %d, want 404", got)
	}
	if got := c.do("POST", "/agent/claim", nil, map[string]string{"X-Contact-Token": a.Token}, nil); got != 401 {
		t.Errorf("claim with a shopper's token: status = %d, want 401", got)
	}
}

// hundred makes 100 varied contacts in English and Chinese: mostly routine, some that need a person.
func hundred() []map[string]any {
	routine := []struct{ locale, text string }{
		{"en", "where is my order"}, {"en", "when will my package arrive?"}, {"en", "what payment methods do you accept"},
		{"en", "how do i return an item"}, {"en", "can I get an invoice for my order"}, {"en", "what are your customer service hours"},
		{"zh-CN", "我的快递到哪了"}, {"zh-CN", "支持哪些付款方式"}, {"zh-CN", "怎么退货"}, {"zh-CN", "可以开发票吗"},
		{"zh-CN", "几天能到货"}, {"zh-CN", "客服几点上班"},
	}
	human := []struct{ locale, text string }{
		{"en", "I was charged twice, fix this now"}, {"en", "I want to speak to a real person"}, {"en", "this is a scam, you stole my money"},
		{"zh-CN", "转人工"}, {"zh-CN", "快递太慢了，差评！"}, {"zh-CN", "付款了但是显示未付款"},
	}
	tiers := []string{"standard", "silver", "gold", "platinum"}
	var out []map[string]any
	for i := range 100 {
		var m struct{ locale, text string }
		if i%5 == 4 {
			m = human[i%len(human)]
		} else {
			m = routine[i%len(routine)]
		}
		req := map[string]any{"merchant": "m1", "shopper": map[string]any{"id": fmt.Sprintf("shopper-%d", i), "tier": tiers[i%4]}, "locale": m.locale, "text": m.text, "channel": "web"}
		if i%2 == 0 {
			req["context"] = order()
		}
		out = append(out, req)
	}
	return out
}

func TestHundredContactsSettle(t *testing.T) {
	_, c, _ := start(t, runner.Options{})
	reqs := hundred()
	acc := make([]accepted, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { acc[i] = c.post(r) })
	}
	wg.Wait()
	counts := map[string]int{}
	for i, a := range acc {
		s := c.settle(a, 30*time.Second)
		counts[s.Status]++
		if s.Status == "answered" && s.Answer == "" {
			t.Errorf("contact %d (%v) answered with no text", i, reqs[i]["text"])
		}
		if i%5 == 4 && s.Status != "queued" {
			t.Errorf("contact %d %q: status %s, want queued for a person", i, reqs[i]["text"], s.Status)
		}
	}
	t.Logf("100 contacts: %v", counts)
	if got, want := counts["answered"]+counts["queued"], 100; got != want {
		t.Errorf("answered + queued = %d, want %d (%v)", got, want, counts)
	}
	if counts["answered"] < 60 {
		t.Errorf("answered = %d of 80 routine contacts, want most of them", counts["answered"])
	}
}

func TestAgentsServeMostUrgentFirstAndLeasesExpire(t *testing.T) {
	_, c, _ := start(t, runner.Options{ExtraEnv: map[string]string{topology.EnvLeaseSeconds: "2"}})
	off := c.settle(c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "a"}, "text": "I would like to ask something about my order"}), 20*time.Second)
	high := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "b"}, "text": "I want to talk to a real person"})
	urgent := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "c"}, "text": "I was charged twice for the same order"})
	c.settle(high, 20*time.Second)
	c.settle(urgent, 20*time.Second)
	if off.Status != "queued" {
		t.Fatalf("vague contact: %+v, want queued", off)
	}
	// What no shop handles is declined politely, in the shopper's language, and takes no agent's time.
	if d := c.settle(c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "d"}, "text": "一加一等于几"}), 20*time.Second); d.Status != "answered" || !strings.Contains(d.Answer, "人工") {
		t.Errorf("off-topic contact: %+v, want a decline in Chinese that offers a person", d)
	}

	first, code := c.claim()
	if code != 200 || first.Contact.ID != urgent.ID {
		t.Fatalf("first claim = %d %s (%s), want the urgent contact %s", code, first.Contact.ID, first.Contact.Priority, urgent.ID)
	}
	if got := c.status(urgent).Status; got != "claimed" {
		t.Errorf("shopper sees %q while an agent holds the contact, want claimed", got)
	}
	// Release puts it back at once, in its place.
	if code := c.agentDo("POST", "/agent/contacts/"+urgent.ID+"/release", map[string]any{"lease": first.Lease.Token}, nil); code != 200 {
		t.Fatalf("release = %d, want 200", code)
	}
	again, _ := c.claim()
	if again.Contact.ID != urgent.ID {
		t.Fatalf("claim after release = %s, want %s again", again.Contact.ID, urgent.ID)
	}
	if code := c.agentDo("POST", "/agent/contacts/"+urgent.ID+"/reply", map[string]any{"lease": first.Lease.Token, "text": "stale"}, nil); code != 409 {
		t.Errorf("reply with a released lease = %d, want 409", code)
	}
	if code := c.agentDo("POST", "/agent/contacts/"+urgent.ID+"/reply", map[string]any{"lease": again.Lease.Token, "text": "Refunded the second charge."}, nil); code != 200 {
		t.Fatalf("reply = %d, want 200", code)
	}
	if s := c.status(urgent); s.Status != "resolved" || s.Answer != "Refunded the second charge." {
		t.Errorf("shopper sees %+v, want resolved with the agent's reply", s)
	}

	second, _ := c.claim()
	if second.Contact.ID != high.ID {
		t.Fatalf("second claim = %s, want the high contact %s", second.Contact.ID, high.ID)
	}
	// Extend keeps it past the 2 s lease.
	if code := c.agentDo("POST", "/agent/contacts/"+high.ID+"/extend", map[string]any{"lease": second.Lease.Token, "seconds": 60}, nil); code != 200 {
		t.Fatalf("extend = %d, want 200", code)
	}
	third, _ := c.claim()
	if third.Contact.ID == high.ID {
		t.Fatalf("an extended contact was handed to another agent")
	}
	// Escalate the low one to urgent; a lease left to expire returns the contact.
	if code := c.agentDo("POST", "/agent/contacts/"+third.Contact.ID+"/escalate", map[string]any{"lease": third.Lease.Token, "priority": "urgent"}, nil); code != 200 {
		t.Fatalf("escalate = %d, want 200", code)
	}
	fourth, _ := c.claim()
	if fourth.Contact.ID != third.Contact.ID || fourth.Contact.Priority != "urgent" {
		t.Fatalf("claim after escalate = %s (%s), want %s at urgent", fourth.Contact.ID, fourth.Contact.Priority, third.Contact.ID)
	}
	if _, code := c.claim(); code != 204 {
		t.Fatalf("claim with everything held = %d, want 204", code)
	}
	// Nothing else waits, so the first claim that succeeds is the contact coming back as its lease runs out.
	back := await.Value(t, time.Until(fourth.Lease.ExpiresAt)+30*time.Second, "contact back after its lease expired", func() (claimed, bool) {
		back, code := c.claim()
		if code != 200 && code != 204 {
			t.Fatalf("claim while waiting for the lease to expire = %d", code)
		}
		return back, code == 200
	})
	if back.Contact.ID != third.Contact.ID || time.Now().Before(fourth.Lease.ExpiresAt) {
		t.Fatalf("claim after the lease expired = %s, want %s back, not before %s", back.Contact.ID, third.Contact.ID, fourth.Lease.ExpiresAt)
	}
	if code := c.agentDo("POST", "/agent/contacts/"+third.Contact.ID+"/reply", map[string]any{"lease": fourth.Lease.Token, "text": "late"}, nil); code != 409 {
		t.Errorf("reply with an expired lease = %d, want 409", code)
	}
	var q struct {
		Queues []struct {
			Priority string `json:"priority"`
			Depth    int    `json:"depth"`
			Claimed  int    `json:"claimed"`
		} `json:"queues"`
	}
	if code := c.agentDo("GET", "/agent/queues", nil, &q); code != 200 || len(q.Queues) != 4 {
		t.Fatalf("queues = %d %+v", code, q)
	}
}

// emfTotals sums the responder's EMF counts in the function logs: each settle of a contact is counted once.
func emfTotals(t *testing.T, logs string) map[string]float64 {
	t.Helper()
	totals := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `"_aws"`) {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line[strings.Index(line, "{"):]), &rec); err != nil {
			continue
		}
		for _, name := range []string{topology.MetricAnswered, topology.MetricQueued, topology.MetricRejected} {
			if v, ok := rec[name].(float64); ok {
				totals[name] += v
			}
		}
	}
	return totals
}

func TestResponderKilledMidBatchLosesNothing(t *testing.T) {
	s, c, logs := start(t, runner.Options{KillResponderEvery: 13, Visibility: 2 * time.Second})
	reqs := hundred()[:60]
	acc := make([]accepted, len(reqs))
	for i, r := range reqs {
		acc[i] = c.post(r)
	}
	counts := map[string]int{}
	for _, a := range acc {
		counts[c.settle(a, 60*time.Second).Status]++
	}
	if s.Kills() == 0 {
		t.Fatalf("the crash simulation killed no responder")
	}
	ctx := context.Background()
	await.Until(t, 30*time.Second, "intake queue empty", func() bool {
		n, err := s.IntakeDepth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n == 0
	})
	dlq, err := s.DLQDepth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	totals := emfTotals(t, logs.String())
	settled := int(totals[topology.MetricAnswered] + totals[topology.MetricQueued] + totals[topology.MetricRejected])
	t.Logf("%d responder kills; outcomes %v; settles counted %v; DLQ %d", s.Kills(), counts, totals, dlq)
	if got, want := counts["answered"]+counts["queued"]+counts["rejected"], len(reqs); got != want {
		t.Errorf("settled contacts = %d, want %d", got, want)
	}
	// A process killed after its transaction committed never writes its metrics line, so the count can fall short;
	// a second settle of any contact would push it over.
	if settled > len(reqs) {
		t.Errorf("the responder settled %d times for %d contacts: a contact was settled twice", settled, len(reqs))
	}
	if dlq != 0 {
		t.Errorf("DLQ holds %d messages, want 0", dlq)
	}
}

// TestDrainControl holds the responder, fills the intake queue through the API, releases it and sees it drain,
// with every contact's settle time recorded after the release.
func TestDrainControl(t *testing.T) {
	s, c, _ := start(t, runner.Options{})
	ctl := func(method, path string) runner.IntakeState {
		t.Helper()
		var st runner.IntakeState
		if code := c.do(method, "/_local/intake"+path, nil, map[string]string{runner.ControlHeader: "test"}, &st); code != http.StatusOK {
			t.Fatalf("%s /_local/intake%s: status %d", method, path, code)
		}
		return st
	}
	if st := ctl("POST", "/hold"); !st.Held {
		t.Fatalf("held = false after hold")
	}
	reqs := hundred()[:30]
	acc := make([]accepted, len(reqs))
	for i, r := range reqs {
		acc[i] = c.post(r)
	}
	if got, want := ctl("GET", "").Intake.Total(), len(reqs); got != want {
		t.Fatalf("messages on the held queue = %d, want %d", got, want)
	}
	if got := c.status(acc[0]).Status; got != "pending" {
		t.Fatalf("status while held = %s, want pending", got)
	}
	released := ctl("POST", "/release").ReleasedAt
	await.Until(t, time.Minute, "intake queue empty after the release", func() bool { return ctl("GET", "").Intake.Total() == 0 })
	var set runner.Settled
	c.do("GET", "/_local/intake/settled", nil, nil, &set)
	if !set.ReleasedAt.Equal(released) {
		t.Fatalf("settled times count from %s, want the release at %s", set.ReleasedAt, released)
	}
	for i, a := range acc {
		ms, ok := set.Millis[a.ID]
		if !ok || ms < 0 {
			t.Errorf("contact %d: settle time %v (recorded %v), want one after the release", i, ms, ok)
		}
		if st := c.status(a).Status; st != "answered" && st != "queued" {
			t.Errorf("contact %d: status %s after the drain, want answered or queued", i, st)
		}
	}
	if n, err := s.DLQDepth(context.Background()); err != nil || n != 0 {
		t.Fatalf("dead letters = %d (%v), want 0", n, err)
	}
}

// Two merchants' agents each see only their own contacts, the platform's agent only what is the platform's, and
// a shopper's wait estimate appears once agents of its merchant are at work.
func TestMerchantsAgentsSeeOnlyTheirOwn(t *testing.T) {
	s, c, _ := start(t, runner.Options{})
	as := func(name string) client { cc := c; cc.agent = s.Agent(name).Token; return cc }
	m1 := c.settle(c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "x1"}, "text": "my parcel arrived broken, I want a replacement"}), 30*time.Second)
	m2 := c.settle(c.post(map[string]any{"merchant": "m2", "shopper": map[string]any{"id": "x2"}, "text": "我要投诉，东西是坏的"}), 30*time.Second)
	fraud := c.settle(c.post(map[string]any{"merchant": "m2", "shopper": map[string]any{"id": "x3"}, "text": "someone hacked my account and placed orders, this is fraud"}), 30*time.Second)
	for _, st := range []status{m1, m2, fraud} {
		if st.Status != "queued" {
			t.Fatalf("contact %s = %s, want queued", st.ID, st.Status)
		}
	}
	claims := map[string]string{}
	for _, name := range []string{"alice", "chen", "pat"} {
		got, code := as(name).claim()
		if code != 200 {
			t.Fatalf("%s's claim = %d", name, code)
		}
		claims[name] = got.Contact.ID
		if _, code := as(name).claim(); code != 204 {
			t.Errorf("%s's second claim = %d, want nothing more of its tenant", name, code)
		}
	}
	if claims["alice"] != m1.ID || claims["chen"] != m2.ID || claims["pat"] != fraud.ID {
		t.Fatalf("claims = %v; want alice m1's %s, chen m2's %s, pat the fraud %s", claims, m1.ID, m2.ID, fraud.ID)
	}
	if code := as("chen").do("GET", "/agent/contacts/"+m1.ID, nil, map[string]string{"Authorization": "Bearer " + s.Agent("chen").Token}, nil); code != 404 {
		t.Errorf("m2's agent reading m1's contact = %d, want 404", code)
	}
	if code := as("dong").agentDo("GET", "/agent/queues", nil, nil); code != 200 {
		t.Errorf("a Chinese-only agent's overview = %d", code)
	}
	// Agents of m1 are at work now: a new m1 hand-off gets an estimate; m1 has one agent active.
	next := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "x4"}, "text": "I want to talk to a real person"})
	await.Until(t, 30*time.Second, "an estimate from m1's one active agent", func() bool {
		st := c.status(next)
		return st.Queue != nil && st.Queue.EstimatedWaitSeconds != nil && st.Queue.AgentsOnline != nil && *st.Queue.AgentsOnline == 1
	})
}

// The local stack signs demo shoppers as their merchant's storefront would: a signed gold shopper is raised a
// step and shown to agents as verified; a tier typed into the body, or another shopper's signature, raises
// nothing and is shown as unverified. The shopper page is marked to sign; the control header is required.
func TestSignedShopperGetsItsTier(t *testing.T) {
	s, c, _ := start(t, runner.Options{})
	sign := func(shopper string) string {
		t.Helper()
		var out runner.SignResponse
		if code := c.do("POST", runner.SignPath, runner.SignRequest{Merchant: "m2", Shopper: shopper, Tier: "gold"},
			map[string]string{runner.ControlHeader: "1"}, &out); code != http.StatusOK || out.Identity == "" {
			t.Fatalf("sign %s = %d %+v", shopper, code, out)
		}
		return out.Identity
	}
	if code := c.do("POST", runner.SignPath, runner.SignRequest{Merchant: "m2", Shopper: "x"}, nil, nil); code != http.StatusForbidden {
		t.Errorf("sign without %s = %d, want 403", runner.ControlHeader, code)
	}
	ask := func(shopper, identity string) accepted {
		req := map[string]any{"merchant": "m2", "shopper": map[string]any{"id": shopper, "tier": "gold"}, "locale": "en", "text": "I want to talk to a real person"}
		if identity != "" {
			req["identity"] = identity
		}
		return c.post(req)
	}
	signed := ask("gold-1", sign("gold-1"))
	typed := ask("gold-2", "")
	borrowed := ask("gold-3", sign("gold-1"))
	for _, tt := range []struct {
		name     string
		a        accepted
		priority string
	}{{"signed gold", signed, "urgent"}, {"gold typed into the body", typed, "high"}, {"another shopper's signature", borrowed, "high"}} {
		if st := c.settle(tt.a, 30*time.Second); st.Queue == nil || st.Queue.Priority != tt.priority {
			t.Errorf("%s: %+v, want queued %s", tt.name, st, tt.priority)
		}
	}
	chen := c
	chen.agent = s.Agent("chen").Token
	// Most urgent first: the signed one, then the two others in the order they came.
	for _, want := range []struct {
		id       string
		verified bool
	}{{signed.ID, true}, {typed.ID, false}, {borrowed.ID, false}} {
		got, code := chen.claim()
		if code != http.StatusOK || got.Contact.ID != want.id {
			t.Fatalf("claim = %d %s, want %s", code, got.Contact.ID, want.id)
		}
		if got.Contact.Verified != want.verified || slices.Contains(got.Contact.Reasons, "tier.gold") != want.verified {
			t.Errorf("contact %s: verified %t, reasons %v; want verified %t, with tier.gold only when signed", got.Contact.ID, got.Contact.Verified, got.Contact.Reasons, want.verified)
		}
	}
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if !bytes.Contains(page, []byte(`<body `+runner.LocalSignAttr+`="`+runner.SignPath+`">`)) {
		t.Errorf("the local shopper page is not marked to sign at %s", runner.SignPath)
	}
}

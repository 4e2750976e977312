package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"

	"breakwater/shared/local/await"
)

// startRig runs the stack behind fault proxies on the test binary's shared emulators.
func startRig(t *testing.T, o RigOptions) *Rig {
	t.Helper()
	o.Stack.Emulators = emulators.Shared(t)
	o.Stack.MetricsEvery = -1
	if o.Stack.Concurrency == 0 {
		o.Stack.Concurrency = 4
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	r, err := StartRig(ctx, o)
	if err != nil {
		t.Fatalf("start stack behind fault proxies: %v", err)
	}
	r.Settles.Capture()
	t.Cleanup(func() {
		if t.Failed() {
			lines := strings.Split(r.Settles.Logs(), "\n")
			t.Logf("function logs (tail):\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
		if err := r.Close(); err != nil {
			t.Errorf("close rig: %v", err)
		}
	})
	return r
}

// contactBody is contact i of a test: mostly routine questions, every fifth one for a person.
func contactBody(i int) []byte {
	texts := []string{"where is my order", "我的快递到哪了", "how do i return an item", "支持哪些付款方式", "I was charged twice, fix this now"}
	req := map[string]any{"merchant": "m1", "shopper": map[string]any{"id": fmt.Sprintf("shopper-%d", i), "tier": "gold"}, "text": texts[i%len(texts)]}
	if i%2 == 0 {
		req["context"] = map[string]any{"order": map[string]any{"id": fmt.Sprintf("A%d", i), "carrier": "SF Express", "trackingNumber": fmt.Sprintf("SF%06d", i), "estimatedDelivery": "2026-11-25"}}
	}
	b, _ := json.Marshal(req)
	return b
}

// sendAll submits n contacts from c storefront connections and watches each until it settles.
func sendAll(t *testing.T, r *Rig, n, c int, key func(i int) string) []Submission {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	subs := make([]Submission, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for i := range work {
				subs[i] = r.Submit(ctx, contactBody(i), key(i), 12)
				if subs[i].Accepted {
					if err := r.Watch(ctx, &subs[i], 100*time.Millisecond); err != nil {
						t.Errorf("contact %d: %v", i, err)
					}
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return subs
}

func account(t *testing.T, r *Rig, subs []Submission) Ledger {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := r.Account(ctx, subs)
	if err != nil {
		t.Fatalf("account: %v", err)
	}
	t.Logf("faults %v; %s; settles counted %d", r.Faults(), l, r.Settles.Total())
	if err := l.Check(); err != nil {
		t.Error(err)
	}
	if got, limit := r.Settles.Total(), l.Accepted+len(l.Phantoms); got > limit {
		t.Errorf("the responder counted %d settles for %d contacts: a contact was settled twice", got, limit)
	}
	return l
}

func byKey(prefix string) func(int) string {
	return func(i int) string { return prefix + "-" + strconv.Itoa(i) }
}

// DynamoDB throttles and fails, SQS sends fail and time out (with and without having done the work): every shopper
// ends with a 202 for a contact that is then processed once, or a 503 and nothing.
func TestStorageAndQueueFaultsLoseNothing(t *testing.T) {
	t.Parallel()
	r := startRig(t, RigOptions{
		Dynamo: Options{Rate: 0.1, Seed: 11},
		SQS:    Options{Rate: 0.15, Seed: 12, Kinds: Kinds, Operations: []string{"SendMessage"}},
	})
	// Every fourth storefront sends no Idempotency-Key: its retries are new contacts, the failed ones withdrawn.
	subs := sendAll(t, r, 80, 16, func(i int) string {
		if i%4 == 3 {
			return ""
		}
		return "faults-" + strconv.Itoa(i)
	})
	l := account(t, r, subs)
	if got, want := l.Accepted, len(subs); got != want {
		t.Errorf("accepted %d of %d: a storefront retrying 12 times should get through 10%% faults", got, want)
	}
	faults := r.Faults()
	if faults["dynamodb throttle"] == 0 || faults["sqs timeout"]+faults["sqs late"] == 0 {
		t.Errorf("faults injected %v, want DynamoDB throttles and SQS timeouts among them", faults)
	}
}

// The responder keeps a margin before its Lambda deadline: a settle held past it (the write done, its answer
// late) is reported as failed, redelivered, and found settled, never settled twice or lost.
func TestSlowStorageAndShortResponderTimeout(t *testing.T) {
	t.Parallel()
	r := startRig(t, RigOptions{
		Stack: runner.Options{ResponderTimeout: 3 * time.Second, Visibility: 2 * time.Second},
		// Settles: an UpdateItem a contact.
		Dynamo: Options{Rate: 0.3, Seed: 21, Kinds: []Kind{Late, Timeout}, Delay: 3 * time.Second,
			Operations: []string{"UpdateItem"}, KeyPrefix: "C#"},
		SQS: Options{},
	})
	subs := sendAll(t, r, 40, 8, func(int) string { return "" }) // no key: the intake uses PutItem, only settles are slowed
	l := account(t, r, subs)
	st := r.Stack.Mapping.Stats()
	t.Logf("event source: %+v", st)
	if r.Dynamo.Counts()[Late] == 0 {
		t.Errorf("no settle was answered late")
	}
	if st.Retried == 0 {
		t.Errorf("no message was retried: the slow settles were not reported as failures")
	}
	if l.InDLQ != 0 {
		t.Errorf("%d contacts in the DLQ, want 0", l.InDLQ)
	}
}

// A message no retry can fix, with no contact id to reject, goes to the DLQ after maxReceiveCount receives, and
// the DLQ's visible depth (the alarm's metric) shows it; the contacts around it are answered.
func TestPoisonMessageReachesTheDLQ(t *testing.T) {
	t.Parallel()
	r := startRig(t, RigOptions{Stack: runner.Options{Visibility: time.Second}})
	ctx := context.Background()
	if _, err := r.sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &r.Stack.Resources.QueueURL, MessageBody: aws.String(`{"v":1,"hello":"no contact here"}`)}); err != nil {
		t.Fatal(err)
	}
	subs := sendAll(t, r, 10, 4, byKey("poison"))
	dlqURL := r.Stack.Resources.DLQURL
	visible := await.Value(t, 90*time.Second, "the poison message in the DLQ", func() (int, bool) {
		out, err := r.sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &dlqURL,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		return n, n > 0
	})
	if visible != 1 {
		t.Errorf("DLQ visible depth = %d, want 1 (the alarm fires at 1)", visible)
	}
	l := account(t, r, subs)
	if l.DLQ != 1 || len(l.DLQContacts) != 0 {
		t.Errorf("DLQ = %d messages for contacts %v, want only the poison message", l.DLQ, l.DLQContacts)
	}
	if l.Answered+l.Queued != len(subs) {
		t.Errorf("the contacts around the poison message: %s", l)
	}
}

// A storefront posting the same contact twice with an Idempotency-Key gets the first contact back, faults or not;
// an agent's lease that runs out returns the contact to its queue, and the stale lease is refused.
func TestRepostsAndExpiredLeasesUnderFaults(t *testing.T) {
	t.Parallel()
	r := startRig(t, RigOptions{
		// 8 s: under 20% throttles the SDK's backoff alone can spend several seconds on one call.
		Stack:  runner.Options{ExtraEnv: map[string]string{topology.EnvLeaseSeconds: "8"}},
		Dynamo: Options{Rate: 0.2, Seed: 31},
		SQS:    Options{Rate: 0.2, Seed: 32},
	})
	subs := sendAll(t, r, 30, 8, byKey("repost"))
	var wg sync.WaitGroup
	for i, s := range subs {
		wg.Go(func() {
			again := r.Submit(context.Background(), contactBody(i), "repost-"+strconv.Itoa(i), 12)
			// The first token is stored nowhere (only its hash), so a repost gets a read token of its own.
			if !again.Accepted || again.ID != s.ID || again.Token == "" {
				t.Errorf("repost %d = %+v, want the first contact %s", i, again, s.ID)
			}
		})
	}
	wg.Wait()
	// An agent claims, lets the lease run out, and the contact comes back.
	first := claim(t, r)
	// Claims go to the most urgent contact; ours comes back among the queued ones once its lease has run out.
	back := await.Value(t, time.Until(first.Lease.ExpiresAt)+30*time.Second, "contact back after its lease expired", func() (claimed, bool) {
		var back claimed
		switch code := agent(t, r, "POST", "/agent/claim", nil, &back); code {
		case http.StatusOK, http.StatusNoContent: // our contact, another one, or all held for now
		default:
			t.Fatalf("claim = %d", code)
		}
		if back.Contact.ID != "" && back.Contact.ID != first.Contact.ID {
			// Not ours: give it back at once, or the agent's lease slots (humanqueue.MaxLeases) fill up.
			agent(t, r, "POST", "/agent/contacts/"+back.Contact.ID+"/release", map[string]any{"lease": back.Lease.Token}, nil)
		}
		return back, back.Contact.ID == first.Contact.ID
	})
	if code := agent(t, r, "POST", "/agent/contacts/"+first.Contact.ID+"/reply", map[string]any{"lease": first.Lease.Token, "text": "late"}, nil); code != http.StatusConflict {
		t.Errorf("reply with an expired lease = %d, want 409", code)
	}
	if code := agent(t, r, "POST", "/agent/contacts/"+back.Contact.ID+"/reply", map[string]any{"lease": back.Lease.Token, "text": "Refunded."}, nil); code != http.StatusOK {
		t.Fatalf("reply = %d, want 200 (lease expires %s, now %s)", code, back.Lease.ExpiresAt.Format(time.StampMilli), time.Now().Format(time.StampMilli))
	}
	l := account(t, r, subs)
	if l.Resolved != 1 {
		t.Errorf("resolved = %d, want 1", l.Resolved)
	}
	if got, want := l.Items["idempotency"], len(subs); got != want {
		t.Errorf("%d idempotency keys for %d contacts", got, want)
	}
}

type claimed struct {
	Contact struct {
		ID string `json:"id"`
	} `json:"contact"`
	Lease struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expiresAt"`
	} `json:"lease"`
}

func claim(t *testing.T, r *Rig) claimed {
	t.Helper()
	var c claimed
	for range 10 {
		switch code := agent(t, r, "POST", "/agent/claim", nil, &c); code {
		case http.StatusOK:
			return c
		case http.StatusServiceUnavailable:
			continue // an injected fault; agents' consoles retry
		default:
			t.Fatalf("claim = %d, want 200", code)
		}
	}
	t.Fatalf("claim kept failing")
	return c
}

// agent calls the agent API as a console does, retrying 503s.
func agent(t *testing.T, r *Rig, method, path string, body any, out any) int {
	t.Helper()
	var code int
	for range 10 {
		var rd *strings.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		} else {
			rd = strings.NewReader("")
		}
		req, err := http.NewRequest(method, r.Stack.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+r.Stack.AgentToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		code = resp.StatusCode
		if code == http.StatusOK && out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		resp.Body.Close()
		if code != http.StatusServiceUnavailable {
			return code
		}
		time.Sleep(100 * time.Millisecond)
	}
	return code
}

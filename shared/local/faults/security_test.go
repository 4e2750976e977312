package faults

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// Contacts run through the whole stack; then neither a shopper's token, the agents' token, a lease nor anything a
// shopper or agent wrote appears in the functions' logs, every item expires by TTL after RETENTION_DAYS, and a
// shopper reads only their own contact.
func TestNoSecretsOrTextInLogsAndEverythingExpires(t *testing.T) {
	t.Parallel()
	r := startRig(t, RigOptions{Stack: runner.Options{ExtraEnv: map[string]string{topology.EnvRetentionDays: "3"}}})
	subs := sendAll(t, r, 10, 4, byKey("secrets"))
	first := claim(t, r)
	reply := "Refund issued to card ending zq-7731-marker"
	if code := agent(t, r, "POST", "/agent/contacts/"+first.Contact.ID+"/reply", map[string]any{"lease": first.Lease.Token, "text": reply}, nil); code != http.StatusOK {
		t.Fatalf("reply = %d", code)
	}
	l := account(t, r, subs)
	if l.Items["contact"] == 0 || l.Items["shopper"] == 0 || l.Items["idempotency"] == 0 {
		t.Errorf("items %v: want contacts, shopper notes and idempotency keys, all checked for expiresAt", l.Items)
	}

	logs := r.Settles.Logs()
	if !strings.Contains(logs, "contact accepted") {
		t.Fatalf("no intake log lines captured; the scan would prove nothing")
	}
	secrets := map[string]string{"agent token": r.Stack.AgentToken, "lease": first.Lease.Token, "agent reply": reply}
	for i, s := range subs {
		secrets["token of contact "+strconv.Itoa(i)] = s.Token
	}
	for _, text := range []string{"where is my order", "我的快递到哪了", "how do i return an item", "支持哪些付款方式", "I was charged twice, fix this now"} {
		secrets["shopper text "+text] = text
	}
	for i := range subs {
		if i%2 == 0 {
			secrets["tracking number of contact "+strconv.Itoa(i)] = fmt.Sprintf("SF%06d", i)
		}
	}
	for what, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the function logs contain the %s", what)
		}
	}

	// expiresAt follows RETENTION_DAYS.
	ctx := context.Background()
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.Stack.Resources.Tables[topology.Contacts.ID]),
		Key: map[string]types.AttributeValue{topology.ContactKey: &types.AttributeValueMemberS{Value: "C#" + subs[0].ID}}})
	if err != nil || out.Item == nil {
		t.Fatalf("read contact: %v", err)
	}
	exp, _ := strconv.ParseInt(out.Item[topology.ContactTTL].(*types.AttributeValueMemberN).Value, 10, 64)
	received, _ := strconv.ParseInt(out.Item["receivedAt"].(*types.AttributeValueMemberN).Value, 10, 64)
	if got, want := time.Unix(exp, 0).Sub(time.UnixMilli(received)).Round(time.Hour), 72*time.Hour; got != want {
		t.Errorf("contact expires %s after it was received, want %s (RETENTION_DAYS=3)", got, want)
	}

	// A shopper reads only their own contact.
	for _, tt := range []struct {
		name, id, token string
		code            int
	}{
		{"own token", subs[0].ID, subs[0].Token, http.StatusOK},
		{"another contact's token", subs[0].ID, subs[1].Token, http.StatusNotFound},
		{"no token", subs[0].ID, "", http.StatusNotFound},
		{"token with a character more", subs[0].ID, subs[0].Token + "A", http.StatusNotFound},
		{"the token's hash", subs[0].ID, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", http.StatusNotFound},
		{"unknown id", "c_aaaaaaaaaaaaaaaaaaaaaaaaaa", subs[0].Token, http.StatusNotFound},
	} {
		if _, code, err := r.Read(ctx, tt.id, tt.token); err != nil || code != tt.code {
			t.Errorf("%s: status %d (%v), want %d", tt.name, code, err, tt.code)
		}
	}
	// Agent routes need the agents' token.
	for _, auth := range []string{"", "Bearer ", "Bearer " + subs[0].Token, "Bearer " + r.Stack.AgentToken + "x", "Basic " + r.Stack.AgentToken} {
		req, _ := http.NewRequest(http.MethodPost, r.Stack.URL+"/agent/claim", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("claim with Authorization %q = %d, want 401", auth, resp.StatusCode)
		}
	}
}

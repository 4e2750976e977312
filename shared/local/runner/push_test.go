package runner_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/local/await"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// pushSocket is a page's WebSocket to the stack's push stage, with what it received.
type pushSocket struct {
	conn *websocket.Conn
	id   string
	got  chan map[string]string
}

// dialPush connects to the stack's WebSocket stage as a page does and says hello, returning its connection id.
func dialPush(t *testing.T, s *runner.Stack) *pushSocket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http://", "ws://", 1)+"/"+topology.PushStage, nil)
	if err != nil {
		t.Fatalf("dial push: %v", err)
	}
	p := &pushSocket{conn: conn, got: make(chan map[string]string, 16)}
	t.Cleanup(func() { _ = conn.CloseNow() })
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				close(p.got)
				return
			}
			var m map[string]string
			if json.Unmarshal(b, &m) == nil {
				p.got <- m
			}
		}
	}()
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"action":"ping"}`)); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte(`{"action":"hello"}`)); err != nil {
		t.Fatalf("hello: %v", err)
	}
	m := p.next(t, "the hello answer")
	if m["type"] != "hello" || m["connectionId"] == "" {
		t.Fatalf("hello answered %v, want {type: hello, connectionId}", m)
	}
	p.id = m["connectionId"]
	return p
}

// next waits for the socket's next frame.
func (p *pushSocket) next(t *testing.T, what string) map[string]string {
	t.Helper()
	return await.Value(t, 20*time.Second, what, func() (map[string]string, bool) {
		select {
		case m, ok := <-p.got:
			return m, ok
		default:
			return nil, false
		}
	})
}

// nothing reports a frame already received, if any.
func (p *pushSocket) nothing(t *testing.T) {
	t.Helper()
	select {
	case m := <-p.got:
		t.Errorf("unexpected frame %v", m)
	default:
	}
}

// The shopper's page and the agent's console each register a socket; an agent's claim and reply poke the page
// (content-free), which then reads the reply with its cursor; the shopper's answer pokes the console; a socket
// that closed is found gone and dropped, and the agent's request still succeeds.
func TestPushPokesPagesWhileAPersonIsInvolved(t *testing.T) {
	s, c, _ := start(t, runner.Options{})
	shopper := dialPush(t, s)
	a := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "push1"}, "locale": "en", "text": "I want to talk to a real person"})
	c.until(a, "queued", 1)

	register := func(body any, token string) int {
		return c.do("PUT", "/contacts/"+a.ID+"/push", body, map[string]string{"X-Contact-Token": token}, nil)
	}
	if code := register(map[string]any{"connectionId": shopper.id}, "wrong-token"); code != http.StatusNotFound {
		t.Errorf("registration with a wrong token = %d, want 404", code)
	}
	if code := register(map[string]any{"connectionId": "not an id"}, a.Token); code != http.StatusBadRequest {
		t.Errorf("registration of a malformed id = %d, want 400", code)
	}
	if code := register(map[string]any{"connectionId": shopper.id}, a.Token); code != http.StatusNoContent {
		t.Fatalf("registration = %d, want 204", code)
	}
	th := c.read(a, "")

	alice := c
	alice.agent = s.Agent("alice").Token
	console := dialPush(t, s)
	if code := alice.agentDo("PUT", "/agent/push", map[string]any{"connectionId": console.id}, nil); code != http.StatusNoContent {
		t.Fatalf("console registration = %d, want 204", code)
	}
	if code := c.do("PUT", "/agent/push", map[string]any{"connectionId": console.id}, nil, nil); code != http.StatusUnauthorized {
		t.Errorf("console registration without a token = %d, want 401", code)
	}
	var v agentView
	if code := alice.agentDo("POST", "/agent/claim", nil, &v); code != http.StatusOK || v.Contact.ID != a.ID {
		t.Fatalf("claim = %d %s, want %s", code, v.Contact.ID, a.ID)
	}
	if m := shopper.next(t, "the poke of the claim"); m["type"] != "changed" || m["contact"] != a.ID || len(m) != 2 {
		t.Fatalf("claim poked %v, want exactly {type: changed, contact: %s}", m, a.ID)
	}
	if code := alice.agentDo("POST", "/agent/contacts/"+a.ID+"/reply", map[string]any{"lease": v.Lease.Token, "text": "Which order is it about?", "resolve": false}, nil); code != http.StatusOK {
		t.Fatalf("reply = %d", code)
	}
	if m := shopper.next(t, "the poke of the reply"); m["contact"] != a.ID {
		t.Fatalf("reply poked %v", m)
	}
	// The page reads what is new after its cursor: the agent joined, the question, waiting.
	news := c.read(a, th.Cursor)
	if news.Status != "waiting" || !strings.Contains(froms(news.Messages), "agent") || !strings.Contains(news.Messages[len(news.Messages)-2].Text, "Which order") {
		t.Fatalf("after the poke: %s %s, want the agent's question", news.Status, froms(news.Messages))
	}
	console.nothing(t) // the agent's own actions do not poke the agent

	// The shopper answers: the console holding the conversation is poked, and reads the answer.
	if code := c.say(a, "Order A100", "push-ans"); code != http.StatusAccepted {
		t.Fatal("answer not accepted")
	}
	if m := console.next(t, "the console's poke of the shopper's answer"); m["type"] != "changed" || m["contact"] != a.ID {
		t.Fatalf("the shopper's answer poked %v", m)
	}
	var again agentView
	if code := alice.do("GET", "/agent/contacts/"+a.ID, nil, map[string]string{"Authorization": "Bearer " + alice.agent, "X-Lease": v.Lease.Token}, &again); code != http.StatusOK {
		t.Fatalf("console's read after the poke = %d", code)
	}
	if last := again.Contact.Messages[len(again.Contact.Messages)-1]; last.Text != "Order A100" {
		t.Errorf("console's thread %s, want the shopper's answer last", froms(again.Contact.Messages))
	}

	// The page goes away: the next poke finds the connection gone, drops it, and the reply still succeeds.
	if err := shopper.conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	await.Until(t, 10*time.Second, "the closed socket gone from the stack", func() bool { return s.Sockets.Connections() == 1 })
	if code := alice.agentDo("POST", "/agent/contacts/"+a.ID+"/reply", map[string]any{"lease": v.Lease.Token, "text": "Refunded."}, nil); code != http.StatusOK {
		t.Fatalf("reply after the page left = %d, want 200", code)
	}
	ctx := context.Background()
	cfg, err := s.Emulators.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := dynamo.NewContacts(sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), s.Resources.Tables[topology.Contacts.ID], time.Hour)
	rec, err := store.Get(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.PushConn != "" || rec.Status != "resolved" {
		t.Errorf("after the gone poke: status %s, registration %q; want resolved and the registration dropped", rec.Status, rec.PushConn)
	}
	c.until(a, "resolved", 1)
}

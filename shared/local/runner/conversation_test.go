package runner_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"breakwater/shared/local/await"
	"breakwater/shared/local/runner"
)

type message struct {
	ID    string `json:"id"`
	From  string `json:"from"`
	Text  string `json:"text"`
	Event string `json:"event"`
	Name  string `json:"name"`
	Ask   bool   `json:"ask"`
}

type thread struct {
	Status     string    `json:"status"`
	Answer     string    `json:"answer"`
	AnsweredBy string    `json:"answeredBy"`
	Messages   []message `json:"messages"`
	Cursor     string    `json:"cursor"`
	NextPollMs int64     `json:"nextPollMs"`
	Rated      int       `json:"rated"`
}

type agentView struct {
	Contact struct {
		ID        string    `json:"id"`
		Status    string    `json:"status"`
		Reasons   []string  `json:"reasons"`
		Unhelpful bool      `json:"unhelpful"`
		Messages  []message `json:"messages"`
	} `json:"contact"`
	Lease struct {
		Token string `json:"token"`
	} `json:"lease"`
}

// read returns a's conversation after cursor.
func (c client) read(a accepted, cursor string) thread {
	c.t.Helper()
	var th thread
	path := "/contacts/" + a.ID
	if cursor != "" {
		path += "?after=" + strings.ReplaceAll(cursor, "#", "%23")
	}
	if code := c.do("GET", path, nil, map[string]string{"X-Contact-Token": a.Token}, &th); code != http.StatusOK {
		c.t.Fatalf("GET %s = %d", path, code)
	}
	return th
}

// say posts the shopper's follow-up and returns the HTTP status.
func (c client) say(a accepted, text, clientID string) int {
	c.t.Helper()
	body := map[string]any{"text": text}
	if clientID != "" {
		body["clientMessageId"] = clientID
	}
	return c.do("POST", "/contacts/"+a.ID+"/messages", body, map[string]string{"X-Contact-Token": a.Token}, nil)
}

// until waits for a's conversation to reach status with at least n messages.
func (c client) until(a accepted, status string, n int) thread {
	c.t.Helper()
	return await.Value(c.t, 30*time.Second, fmt.Sprintf("contact %s %s with %d messages", a.ID, status, n), func() (thread, bool) {
		th := c.read(a, "")
		return th, th.Status == status && len(th.Messages) >= n
	})
}

func froms(ms []message) string {
	var b []string
	for _, m := range ms {
		w := m.From
		if m.Event != "" {
			w += ":" + m.Event
		}
		b = append(b, w)
	}
	return strings.Join(b, " ")
}

// A routine conversation never needs a person: the bot asks for the order number, answers with that order, takes
// a thank-you, and the page is told to stop polling once answered.
func TestBotCarriesAConversation(t *testing.T) {
	_, c, _ := start(t, runner.Options{})
	orders := []map[string]any{
		{"id": "SO1001", "carrier": "SF Express", "trackingNumber": "SF99887766", "estimatedDelivery": "2026-12-09"},
		{"id": "SO1002", "carrier": "YTO", "trackingNumber": "YT5550001", "estimatedDelivery": "2026-12-12"},
	}
	a := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "conv1"}, "text": "where is my package?", "context": map[string]any{"orders": orders}})
	th := c.until(a, "answered", 2)
	if th.Messages[1].From != "bot" || !th.Messages[1].Ask {
		t.Fatalf("the bot's first answer %+v, want it to ask for the order number", th.Messages[1])
	}
	if th.NextPollMs != 0 {
		t.Errorf("nextPollMs = %d once answered, want 0 (no polling until the shopper writes)", th.NextPollMs)
	}
	if code := c.say(a, "SO1002", "m-1"); code != http.StatusAccepted {
		t.Fatalf("follow-up = %d, want 202", code)
	}
	th = c.until(a, "answered", 4)
	if got := th.Messages[3]; got.From != "bot" || !strings.Contains(got.Text, "YT5550001") {
		t.Fatalf("answer to the order number = %+v, want order SO1002's tracking number", got)
	}
	// The same client message id again is the same message: not a second one, not a second answer.
	if code := c.say(a, "SO1002", "m-1"); code != http.StatusAccepted {
		t.Fatalf("repeated follow-up = %d, want 202", code)
	}
	cursor := th.Cursor
	if code := c.say(a, "Thanks a lot!", ""); code != http.StatusAccepted {
		t.Fatal("thanks not accepted")
	}
	th = c.until(a, "answered", 6)
	if len(th.Messages) != 6 || th.Messages[5].From != "bot" || th.Messages[5].Text == "" {
		t.Fatalf("thread = %s, want the thanks answered by the bot and the repeat stored once", froms(th.Messages))
	}
	if th.AnsweredBy != "bot" {
		t.Errorf("answeredBy = %q, want bot", th.AnsweredBy)
	}
	// Only what is new after a cursor.
	if got := c.read(a, cursor).Messages; len(got) != 2 || got[0].Text != "Thanks a lot!" {
		t.Errorf("after %s: %s, want the thanks and its answer only", cursor, froms(got))
	}
	// The order named stays the conversation's: asked again, the bot answers for it without asking.
	if code := c.say(a, "where is my order?", ""); code != http.StatusAccepted {
		t.Fatal("question not accepted")
	}
	if th = c.until(a, "answered", 8); !strings.Contains(th.Messages[7].Text, "YT5550001") {
		t.Errorf("second tracking question answered %q, want order SO1002's tracking number", th.Messages[7].Text)
	}
	// An order number that is not among the shopper's orders goes to a person.
	b := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "conv1b"}, "text": "where is my package?", "context": map[string]any{"orders": orders}})
	c.until(b, "answered", 2)
	if code := c.say(b, "SO9999", ""); code != http.StatusAccepted {
		t.Fatal("unknown order not accepted")
	}
	th = c.until(b, "queued", 4)
	if m := th.Messages[len(th.Messages)-1]; m.Event != "queued" {
		t.Errorf("thread %s, want it to end with the hand-off", froms(th.Messages))
	}
	if th.NextPollMs < 3000 {
		t.Errorf("nextPollMs = %d while queued, want at least 3 s", th.NextPollMs)
	}
}

// "That didn't help" reaches a person who sees what the bot said; the agent asks and waits, the shopper's answer
// comes back to that agent, who resolves; the shopper rates it; writing again reopens the conversation.
func TestUnhelpfulAnswerAgentAsksAndWaitsAndRating(t *testing.T) {
	s, c, _ := start(t, runner.Options{})
	a := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "conv2"}, "text": "what payment methods do you accept?"})
	th := c.until(a, "answered", 2)
	if code := c.do("POST", "/contacts/"+a.ID+"/feedback", map[string]any{"rating": 9}, map[string]string{"X-Contact-Token": a.Token}, nil); code != http.StatusBadRequest {
		t.Errorf("rating 9 = %d, want 400", code)
	}
	if code := c.do("POST", "/contacts/"+a.ID+"/feedback", map[string]any{"helpful": false}, map[string]string{"X-Contact-Token": "wrong"}, nil); code != http.StatusNotFound {
		t.Errorf("feedback with a wrong token = %d, want 404", code)
	}
	if code := c.do("POST", "/contacts/"+a.ID+"/feedback", map[string]any{"helpful": false}, map[string]string{"X-Contact-Token": a.Token}, nil); code != http.StatusAccepted {
		t.Fatalf("not helpful = %d, want 202", code)
	}
	c.until(a, "queued", 3)
	alice := c
	alice.agent = s.Agent("alice").Token
	var v agentView
	if code := alice.agentDo("POST", "/agent/claim", nil, &v); code != http.StatusOK || v.Contact.ID != a.ID {
		t.Fatalf("claim = %d %s, want %s", code, v.Contact.ID, a.ID)
	}
	if !v.Contact.Unhelpful || !strings.Contains(strings.Join(v.Contact.Reasons, ","), "bot.unhelpful") {
		t.Errorf("agent sees unhelpful %v reasons %v, want the shopper's verdict", v.Contact.Unhelpful, v.Contact.Reasons)
	}
	if len(v.Contact.Messages) < 3 || v.Contact.Messages[1].From != "bot" || v.Contact.Messages[1].Text != th.Messages[1].Text {
		t.Fatalf("agent's thread %s, want the bot's answer in it", froms(v.Contact.Messages))
	}
	lease := v.Lease.Token
	if code := alice.agentDo("POST", "/agent/contacts/"+a.ID+"/reply", map[string]any{"lease": lease, "text": "Which card did you try?", "resolve": false}, nil); code != http.StatusOK {
		t.Fatalf("reply without resolving = %d", code)
	}
	th = c.until(a, "waiting", 5)
	if last := th.Messages[len(th.Messages)-2]; last.From != "agent" || last.Name != "alice" {
		t.Errorf("shopper's thread %s: want alice's question", froms(th.Messages))
	}
	// Nothing else claims it while it waits.
	bob := c
	bob.agent = s.Agent("bob").Token
	if code := bob.agentDo("POST", "/agent/claim", nil, nil); code != http.StatusNoContent {
		t.Errorf("another agent's claim of a waiting conversation = %d, want 204", code)
	}
	if code := c.say(a, "A Visa card ending 4242", "ans-1"); code != http.StatusAccepted {
		t.Fatal("shopper's answer not accepted")
	}
	c.until(a, "claimed", 7)
	var again agentView
	if code := alice.do("GET", "/agent/contacts/"+a.ID, nil, map[string]string{"Authorization": "Bearer " + alice.agent, "X-Lease": lease}, &again); code != http.StatusOK {
		t.Fatalf("alice's view after the answer = %d", code)
	}
	if last := again.Contact.Messages[len(again.Contact.Messages)-1]; last.From != "shopper" || !strings.Contains(last.Text, "4242") {
		t.Errorf("alice's thread %s, want the shopper's answer last", froms(again.Contact.Messages))
	}
	if code := alice.agentDo("POST", "/agent/contacts/"+a.ID+"/reply", map[string]any{"lease": lease, "text": "Thanks, your payment went through now."}, nil); code != http.StatusOK {
		t.Fatalf("resolving reply = %d", code)
	}
	c.until(a, "resolved", 9)
	if code := c.do("POST", "/contacts/"+a.ID+"/feedback", map[string]any{"rating": 5, "comment": "quick and kind"}, map[string]string{"X-Contact-Token": a.Token}, nil); code != http.StatusAccepted {
		t.Fatalf("rating = %d, want 202", code)
	}
	if th := c.read(a, ""); th.Rated != 5 {
		t.Errorf("rated = %d, want 5", th.Rated)
	}
	// Writing again within a day reopens it, and the bot takes the new question.
	if code := c.say(a, "how long does shipping take to Berlin?", ""); code != http.StatusAccepted {
		t.Fatal("reopening message not accepted")
	}
	th = await.Value(t, 30*time.Second, "reopened conversation answered", func() (thread, bool) {
		th := c.read(a, "")
		return th, th.Status != "pending" && th.Status != "resolved"
	})
	if !strings.Contains(froms(th.Messages), "system:reopened") {
		t.Errorf("thread %s, want the reopening shown", froms(th.Messages))
	}
}

// Concurrent follow-ups to a conversation a person holds all land, once each, in one order every reader sees.
func TestConcurrentFollowUpsKeepOneOrder(t *testing.T) {
	_, c, _ := start(t, runner.Options{})
	a := c.post(map[string]any{"merchant": "m1", "shopper": map[string]any{"id": "conv3"}, "text": "I want to talk to a real person"})
	c.until(a, "queued", 1)
	var wg sync.WaitGroup
	codes := make([]int, 12)
	for i := range codes {
		wg.Go(func() {
			cc := c
			codes[i] = cc.say(a, fmt.Sprintf("detail %d", i), fmt.Sprintf("d-%d", i%6)) // every id posted twice
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusAccepted {
			t.Errorf("post %d = %d, want 202", i, code)
		}
	}
	th := c.read(a, "")
	seen := map[string]int{}
	for i, m := range th.Messages {
		if i > 0 && m.ID <= th.Messages[i-1].ID {
			t.Errorf("message %d id %s not after %s", i, m.ID, th.Messages[i-1].ID)
		}
		if m.From == "shopper" && strings.HasPrefix(m.Text, "detail ") {
			seen[m.Text]++
		}
	}
	if len(seen) != 6 {
		t.Errorf("thread holds %d distinct follow-ups (%v), want 6: one per client message id", len(seen), seen)
	}
	if again := c.read(a, ""); froms(again.Messages) != froms(th.Messages) {
		t.Errorf("a second read orders the thread differently")
	}
}

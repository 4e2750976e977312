package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/local/faults"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func newConversations(t *testing.T) *dynamo.Contacts {
	t.Helper()
	f := runner.Provisioned(t)
	return dynamo.NewContacts(f.DynamoDB, f.Tables[topology.Contacts.ID], 24*time.Hour).WithMessages(f.Tables[topology.Messages.ID])
}

// An agent who asks and waits keeps the conversation: no one else claims it, the shopper's answer comes back to
// that agent's hands while the lease holds, and to the queue, that agent first for a while, once released.
func TestAnAnswerGoesBackToTheAgentWhoAsked(t *testing.T) {
	ctx := context.Background()
	s := newConversations(t)
	now := time.Now()
	queue(t, s, queued("w1", priority.Normal, now.Add(-time.Minute)))
	r, lease, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil || r.ID != "w1" {
		t.Fatalf("claim = %s, %v", r.ID, err)
	}
	if r, err = s.Reply(ctx, alice, "w1", lease.Token, "Which size do you need?", false); err != nil || r.Status != contact.Waiting {
		t.Fatalf("reply without resolving: %s %v", r.Status, err)
	}
	if _, _, err := s.Claim(ctx, bob, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("bob's claim of a waiting conversation: %v, want nothing to claim", err)
	}
	if _, err := s.Extend(ctx, alice, "w1", lease.Token, time.Minute); err != nil {
		t.Fatalf("extend while waiting: %v", err)
	}
	if _, _, err := s.Claim(ctx, bob, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("bob's claim after alice extended her wait: %v, want nothing to claim", err)
	}
	cur, _ := s.Get(ctx, "w1")
	p, err := s.Post(ctx, cur, "Size M please", "a1")
	if err != nil || p.To != dynamo.ToPerson || p.Status != contact.Claimed {
		t.Fatalf("shopper's answer: %+v %v, want it back in alice's hands", p, err)
	}
	v, err := s.View(ctx, alice, "w1", lease.Token)
	if err != nil || v.Status != contact.Claimed {
		t.Fatalf("alice's view: %s %v", v.Status, err)
	}
	th, err := s.Thread(ctx, "w1", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range th {
		got = append(got, string(m.From)+":"+m.Event+m.Text)
	}
	want := []string{"system:agent.joined", "agent:Which size do you need?", "system:waiting", "shopper:Size M please"}
	if len(got) != len(want) {
		t.Fatalf("thread %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("thread %q, want %q", got, want)
		}
	}
	// Asked again, then released: the next answer goes to the queue, alice first.
	if _, err := s.Reply(ctx, alice, "w1", lease.Token, "And which colour?", false); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Release(ctx, alice, "w1", lease.Token); err != nil || r.Status != contact.Waiting {
		t.Fatalf("release while waiting: %s %v", r.Status, err)
	}
	cur, _ = s.Get(ctx, "w1")
	if p, err = s.Post(ctx, cur, "Blue", ""); err != nil || p.Status != contact.Queued {
		t.Fatalf("answer after the release: %+v %v, want it queued", p, err)
	}
	if _, _, err := s.Claim(ctx, bob, time.Minute, targets, 1); !errors.Is(err, contact.ErrNotFound) {
		t.Fatalf("bob's claim within alice's preference: %v, want nothing", err)
	}
	s.Now = func() time.Time { return time.Now().Add(dynamo.PreferFor + time.Second) }
	if r, _, err := s.Claim(ctx, bob, time.Minute, targets, 1); err != nil || r.ID != "w1" {
		t.Fatalf("bob's claim after alice's preference ran out: %s %v", r.ID, err)
	}
}

// A conversation closed for longer than contact.Reopen takes no more messages; within it, it reopens.
func TestClosedConversationsReopenOnlyWithinADay(t *testing.T) {
	ctx := context.Background()
	s := newConversations(t)
	now := time.Now()
	queue(t, s, queued("z1", priority.Normal, now.Add(-time.Minute)))
	r, lease, err := s.Claim(ctx, alice, time.Minute, targets, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = s.Reply(ctx, alice, r.ID, lease.Token, "Done!", true); err != nil || r.Status != contact.Resolved {
		t.Fatalf("resolve: %s %v", r.Status, err)
	}
	s.Now = func() time.Time { return time.Now().Add(contact.Reopen + time.Hour) }
	if _, err := s.Post(ctx, r, "one more thing", ""); !errors.Is(err, dynamo.ErrClosed) {
		t.Fatalf("post a day later: %v, want ErrClosed", err)
	}
	s.Now = time.Now
	p, err := s.Post(ctx, r, "one more thing", "")
	if err != nil || p.To != dynamo.ToBot || p.Status != contact.Pending {
		t.Fatalf("post within the day: %+v %v, want it back to the bot", p, err)
	}
	th, _ := s.Thread(ctx, "z1", "")
	if n := len(th); n < 2 || th[n-2].Event != contact.EventReopened || th[n-1].Text != "one more thing" {
		t.Errorf("thread ends %+v, want the reopening and the message", th)
	}
}

// A follow-up is written without a transaction (which DynamoDB bills twice an item): the client's message id, the
// message, then the conversation. A post that dies before the conversation moved leaves its message in the thread,
// and the page's repeat (same clientMessageId) finishes it with that message, once; a later repeat is a duplicate.
func TestPostWithoutTransactionIsFinishedByItsRepeat(t *testing.T) {
	ctx := context.Background()
	store, direct, proxy, db := throttled(t, faults.Options{Kinds: []faults.Kind{faults.Throttle}, Operations: []string{"UpdateItem"}, KeyPrefix: "C#"})
	now := time.Now()
	c := contact.Contact{ID: "c_postrepeat", Merchant: "m1", Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard},
		Locale: contact.English, Channel: "web", Text: "where is my order", ReceivedAt: now, TokenHash: "h"}
	if _, err := direct.Accept(ctx, c, "token", "", ""); err != nil {
		t.Fatal(err)
	}
	if res := direct.Settle(ctx, []contact.Record{{Contact: c, Status: contact.Answered, Answer: "On its way.", AnsweredBy: "bot",
		Intent: "order.track", UpdatedAt: now}}); len(res.Failed) > 0 {
		t.Fatal(res.Failed)
	}
	read := func() contact.Record {
		t.Helper()
		r, err := direct.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	shopperLines := func() []contact.Message {
		t.Helper()
		th, err := direct.Thread(ctx, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []contact.Message
		for _, m := range th {
			if m.From == contact.FromShopper {
				out = append(out, m)
			}
		}
		return out
	}

	db.take()
	proxy.SetRate(1) // the conversation's update fails past the SDK's retries: the post dies half way
	if _, err := store.Post(ctx, read(), "and the blue one?", "k1"); !errors.Is(err, contact.ErrThrottled) {
		t.Fatalf("post with the conversation's write throttled: %v, want contact.ErrThrottled", err)
	}
	stored := shopperLines()
	if len(stored) != 1 || stored[0].Text != "and the blue one?" {
		t.Fatalf("thread after the failed post = %+v, want its message stored before the conversation moved", stored)
	}
	if got := read().Status; got != contact.Answered {
		t.Fatalf("status after the failed post = %s, want answered (unchanged)", got)
	}

	proxy.SetRate(0)
	db.take()
	p, err := store.Post(ctx, read(), "and the blue one?", "k1")
	if err != nil || p.Duplicate || p.To != dynamo.ToBot || p.Status != contact.Pending || p.Message.ID != stored[0].ID {
		t.Fatalf("repeat = %+v, %v; want the first post finished: message %s to the bot, pending", p, err, stored[0].ID)
	}
	if got, want := db.take(), map[string]int{"PutItem": 2, "UpdateItem": 1}; !sameCalls(got, want) {
		t.Errorf("repeat's calls = %v, want %v (no transaction)", got, want)
	}
	if r := read(); r.Turn != stored[0].ID || r.Last != stored[0].ID {
		t.Errorf("conversation turn %q last %q, want both %s", r.Turn, r.Last, stored[0].ID)
	}
	p, err = store.Post(ctx, read(), "and the blue one?", "k1")
	if err != nil || !p.Duplicate || p.Message.ID != stored[0].ID {
		t.Fatalf("second repeat = %+v, %v; want a duplicate of %s", p, err, stored[0].ID)
	}
	if got := shopperLines(); len(got) != 1 {
		t.Errorf("shopper's messages = %+v, want one", got)
	}

	// A fresh message: its client id, the message and the conversation, one write each.
	db.take()
	if p, err = store.Post(ctx, read(), "size M", "k2"); err != nil || p.Duplicate || p.To != dynamo.ToBot {
		t.Fatalf("second message: %+v %v", p, err)
	}
	if got, want := db.take(), map[string]int{"PutItem": 2, "UpdateItem": 1}; !sameCalls(got, want) {
		t.Errorf("a follow-up's calls = %v, want %v (no transaction)", got, want)
	}
}

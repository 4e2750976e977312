package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// Follow-ups posted through DynamoDB throttles and SQS timeouts, retried by the page with the same
// clientMessageId: each accepted one is in its thread once, every turn for the bot is answered once, and no
// conversation is left pending.
func TestFollowUpsUnderFaultsLoseNothing(t *testing.T) {
	t.Parallel()
	r := startRig(t, RigOptions{
		Dynamo: Options{Rate: 0.1, Seed: 41},
		SQS:    Options{Rate: 0.15, Seed: 42, Kinds: Kinds, Operations: []string{"SendMessage"}},
	})
	subs := sendAll(t, r, 20, 8, byKey("conversation"))
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	var (
		mu   sync.Mutex
		said []Said
		wg   sync.WaitGroup
	)
	for i, s := range subs {
		if !s.Accepted {
			continue
		}
		wg.Go(func() {
			// Two follow-ups each, one after the other as a shopper types: a thank-you (the bot answers it when the
			// conversation is the bot's) and a question; both posted twice at once, as a double-clicking page does.
			for j, text := range []string{fmt.Sprintf("thanks! #%d", i), fmt.Sprintf("one more question about case %d", i)} {
				id := fmt.Sprintf("f-%d-%d", i, j)
				var pair sync.WaitGroup
				got := make([]Said, 2)
				for k := range got {
					pair.Go(func() { got[k] = r.Say(ctx, s.ID, s.Token, text, id, 12) })
				}
				pair.Wait()
				mu.Lock()
				said = append(said, got[0])
				mu.Unlock()
				if !got[0].Accepted || !got[1].Accepted {
					t.Errorf("follow-up %s: %+v / %+v, want both posts accepted", id, got[0], got[1])
				}
			}
		})
	}
	wg.Wait()
	actx, acancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer acancel()
	l, err := r.AccountMessages(actx, said)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("faults %v; %s", r.Faults(), l)
	if err := l.Check(); err != nil {
		t.Error(err)
	}
	if l.Accepted < 2*len(subs)-2 {
		t.Errorf("only %d follow-ups accepted for %d conversations", l.Accepted, len(subs))
	}
	if l.BotReplies == 0 {
		t.Error("the bot answered no follow-up")
	}
}

package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
)

// The shopper's note is read before a post and written once after it: a second post within the repeat window is a
// repeat (the same idempotency key again is not), a join leaves the last contact as it was, and posts made at once
// lose no contact from the recent ones.
func TestShopperNote(t *testing.T) {
	store := newContacts(t)
	ctx := context.Background()
	at := time.Now()
	post := func(id, shopper string, after time.Duration) contact.Contact {
		return contact.Contact{ID: id, Merchant: "m1", Shopper: contact.Shopper{ID: shopper}, ReceivedAt: at.Add(after)}
	}
	note := func(c contact.Contact, key string) dynamo.Note {
		t.Helper()
		n, err := store.NoteShopper(ctx, c, key)
		if err != nil {
			t.Fatalf("note of %s: %v", c.ID, err)
		}
		return n
	}
	remember := func(c contact.Contact, n dynamo.Note, joined bool) {
		t.Helper()
		if err := store.Remember(ctx, c, n, joined); err != nil {
			t.Fatalf("remember %s: %v", c.ID, err)
		}
	}

	first := post("c_n1", "alice", 0)
	if n := note(first, "k1"); n.Repeat || n.Last != "" || len(n.Recent) != 0 {
		t.Fatalf("first post: %+v, want an empty note", n)
	}
	remember(first, note(first, "k1"), false)
	if n := note(post("c_n1b", "alice", time.Second), "k1"); n.Repeat {
		t.Errorf("the same post again (same key) counted as a repeat")
	}
	second := post("c_n2", "alice", time.Minute)
	n := note(second, "")
	if !n.Repeat || n.Last != "c_n1" || !slices.Equal(n.Recent, []string{"c_n1"}) {
		t.Fatalf("second post: %+v, want a repeat after c_n1", n)
	}
	remember(second, n, true) // it joined c_n1
	if n := note(post("c_n3", "alice", 2*time.Minute), ""); n.Last != "c_n1" || !n.Repeat {
		t.Errorf("after a join: %+v, want c_n1 still the last contact, and a repeat", n)
	}
	if n := note(post("c_n4", "alice", 25*time.Hour), ""); n.Repeat || n.Last != "" || n.Recent != nil {
		t.Errorf("a day later: %+v, want nothing recent", n)
	}

	// Posts at once by one shopper: each reads the note before any writes it.
	var posts []contact.Contact
	var notes []dynamo.Note
	for i := range 6 {
		c := post(fmt.Sprintf("c_b%d", i), "bob", time.Duration(i)*time.Millisecond)
		posts, notes = append(posts, c), append(notes, note(c, ""))
	}
	var wg sync.WaitGroup
	for i := range posts {
		wg.Go(func() {
			if err := store.Remember(ctx, posts[i], notes[i], false); err != nil {
				t.Errorf("remember %s: %v", posts[i].ID, err)
			}
		})
	}
	wg.Wait()
	got := note(post("c_b9", "bob", time.Second), "")
	if len(got.Recent) != dynamo.MaxOpen {
		t.Fatalf("recent after 6 posts at once: %v, want %d of them", got.Recent, dynamo.MaxOpen)
	}
	seen := map[string]bool{}
	for _, id := range got.Recent {
		if !slices.ContainsFunc(posts, func(c contact.Contact) bool { return c.ID == id }) || seen[id] {
			t.Errorf("recent %v: %s is not one of the posts, or twice", got.Recent, id)
		}
		seen[id] = true
	}
}

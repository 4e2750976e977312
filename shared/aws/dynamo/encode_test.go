package dynamo

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"breakwater/shared/contact"
	"breakwater/shared/priority"
)

func TestAttributesMatchMarshalMap(t *testing.T) {
	at := time.Date(2026, 11, 11, 0, 0, 1, 123e6, time.UTC)
	amount := 299.5
	base := contact.Contact{ID: "c_aaaaaaaaaaaaaaaaaaaaaaaaaa", Merchant: "m1", Shopper: contact.Shopper{ID: "s-1", Tier: contact.Gold},
		Locale: contact.Chinese, Channel: "web", Text: "我的快递到哪了", ReceivedAt: at, TokenHash: "0f35d0ae"}
	withContext := base
	withContext.Topic, withContext.Recent = "order.track", 2
	withContext.Context = &contact.Context{Order: &contact.Order{ID: "A100", Amount: &amount, Currency: "CNY"},
		Product: &contact.Product{SKU: "S1", Attributes: map[string]string{"size": "M"}}}
	every := func() contactItem {
		it, err := toItem(contact.Record{Contact: withContext, Status: contact.Queued, Answer: "a", AnsweredBy: "bot",
			Intent: "order.track", Template: "order.track.zh", Confidence: 0.8765432101, Priority: priority.High,
			Reasons: []string{"complaint", "human_request"}, Suggested: []string{"t1", "t2", "t3"}, EnqueuedAt: at,
			Reject: "why", UpdatedAt: at}, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		it.LeaseHash, it.LeaseUntil, it.Agent = "lh", at.UnixMilli()+60000, "agent-1"
		return it
	}
	tests := map[string]func() contactItem{
		"pending": func() contactItem {
			it, _ := toItem(contact.Record{Contact: base, Status: contact.Pending, UpdatedAt: at}, time.Hour)
			return it
		},
		"declined": func() contactItem {
			it, _ := toItem(contact.Record{Contact: base, Status: contact.Answered, Answer: "帮不上忙", AnsweredBy: "bot",
				Declined: true, Confidence: 0.9, UpdatedAt: at}, time.Hour)
			return it
		},
		"answered with context": func() contactItem {
			it, _ := toItem(contact.Record{Contact: withContext, Status: contact.Answered, Answer: "它在路上", AnsweredBy: "bot",
				Intent: "order.track", Template: "order.track.zh", Confidence: 1, UpdatedAt: at}, time.Hour)
			return it
		},
		"queued": func() contactItem {
			it, _ := toItem(contact.Record{Contact: base, Status: contact.Queued, Priority: priority.Urgent, Reasons: []string{"fraud"},
				Confidence: 1e-7, EnqueuedAt: at, UpdatedAt: at}, time.Hour)
			return it
		},
		"empty lists and zero times": func() contactItem {
			it, _ := toItem(contact.Record{Contact: contact.Contact{ID: "c_x"}, Status: contact.Rejected, Reasons: []string{},
				Suggested: []string{}}, 0)
			return it
		},
		"every attribute": every,
		"more values than the arrays hold": func() contactItem {
			it := every()
			for i := range 50 {
				it.Suggested = append(it.Suggested, string(rune('a'+i%26)))
			}
			it.Recent = 1000
			return it
		},
	}
	for name, item := range tests {
		t.Run(name, func(t *testing.T) {
			it := item()
			want, err := attributevalue.MarshalMap(it)
			if err != nil {
				t.Fatal(err)
			}
			if got := it.attributes(); !reflect.DeepEqual(got, want) {
				for k := range want {
					if !reflect.DeepEqual(got[k], want[k]) {
						t.Errorf("attribute %s = %#v, want %#v", k, got[k], want[k])
					}
				}
				for k := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("attribute %s = %#v, want none", k, got[k])
					}
				}
			}
		})
	}
}

// Every field of contactItem must be encoded: a field added to the struct but not to attributes fails here.
func TestAttributesCoverEveryField(t *testing.T) {
	typ := reflect.TypeOf(contactItem{})
	if got, want := typ.NumField(), 32; got != want {
		t.Fatalf("contactItem has %d fields, attributes encodes %d: add the new ones to attributes and this test", got, want)
	}
}

func BenchmarkEncodeItem(b *testing.B) {
	at := time.Date(2026, 11, 11, 0, 0, 1, 0, time.UTC)
	it, err := toItem(contact.Record{Contact: contact.Contact{ID: "c_aaaaaaaaaaaaaaaaaaaaaaaaaa", Merchant: "m1",
		Shopper: contact.Shopper{ID: "s-1", Tier: contact.Gold}, Locale: contact.English, Channel: "web",
		Text: "where is my parcel", ReceivedAt: at, TokenHash: "0f35d0ae"}, Status: contact.Answered,
		Answer: "Your parcel is on its way", AnsweredBy: "bot", Intent: "order.track", Template: "order.track.en",
		Confidence: 0.91, UpdatedAt: at}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("attributes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			it.attributes()
		}
	})
	b.Run("MarshalMap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := attributevalue.MarshalMap(it); err != nil {
				b.Fatal(err)
			}
		}
	})
}

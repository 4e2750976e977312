package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/answer"
	"breakwater/shared/answer/pack"
	"breakwater/shared/aws/dynamo"
	"breakwater/shared/contact"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
	"breakwater/shared/triage"
)

var returns = contact.Contact{ID: "c1", Merchant: "m1", Locale: contact.English, Text: "what is your return policy",
	Shopper: contact.Shopper{ID: "s1", Tier: contact.Standard}, Channel: "web"}

// decodeAt reads the snapshot of version and decodes it, failing the test when there is none.
func decodeAt(t *testing.T, cat *dynamo.Catalog, version int64) *triage.Triage {
	t.Helper()
	b, err := cat.Snapshot(context.Background(), version)
	if err != nil || b == nil {
		t.Fatalf("snapshot of version %d: %d bytes, %v", version, len(b), err)
	}
	tri, err := triage.Decode(b)
	if err != nil {
		t.Fatalf("decode snapshot of version %d: %v", version, err)
	}
	return tri
}

// Every write publishes a snapshot of the version it made, which decides as the templates it was built from;
// the version before stays readable, older ones go.
func TestPutPublishesASnapshotPerVersion(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t) // seeds the default pack and rules, which publishes
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	first, err := cat.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ts, rules, _, err := cat.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	built, err := triage.New(ts, rules)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if got, want := decodeAt(t, cat, first).Decide(returns, now).Answer, built.Decide(returns, now).Answer; got != want || got == "" {
		t.Fatalf("snapshot answers %q, the templates %q", got, want)
	}

	var edited answer.Template
	for _, tpl := range ts {
		if tpl.ID == "return.policy.en" {
			edited = tpl
		}
	}
	if edited.ID == "" {
		t.Fatal("the default pack has no return.policy.en")
	}
	for i, text := range []string{"Returns within 45 days.", "Returns within 60 days."} {
		edited.Answer = text
		if err := cat.PutTemplates(ctx, []answer.Template{edited}); err != nil {
			t.Fatal(err)
		}
		v := first + int64(i) + 1
		if got := decodeAt(t, cat, v).Decide(returns, now).Answer; got != text {
			t.Fatalf("version %d answers %q, want the edit %q", v, got, text)
		}
		decodeAt(t, cat, v-1) // kept for readers still reading it
	}
	if b, err := cat.Snapshot(ctx, first); b != nil || err != nil {
		t.Fatalf("snapshot of version %d two writes ago: %d bytes, %v; want none", first, len(b), err)
	}
}

// A catalog of 500 templates needs a snapshot of several parts; it comes back whole. A damaged part is refused,
// and the cache then builds from the templates instead of failing or misreading it.
func TestSnapshotInPartsAndDamage(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	table := f.Tables[topology.Catalog.ID]
	cat := dynamo.NewCatalog(f.DynamoDB, table)
	def, err := pack.Default()
	if err != nil {
		t.Fatal(err)
	}
	var copies []answer.Template
	for m := 1; len(def)+len(copies) < 500; m++ {
		for _, tpl := range def {
			tpl.ID, tpl.Merchant, tpl.Answer = fmt.Sprintf("%s.m%03d", tpl.ID, m), fmt.Sprintf("m%03d", m), tpl.Answer+" (merchant)"
			copies = append(copies, tpl)
		}
	}
	if err := cat.PutTemplates(ctx, copies); err != nil {
		t.Fatal(err)
	}
	v, err := cat.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.DynamoDB.Query(ctx, &dynamodb.QueryInput{TableName: &table,
		KeyConditionExpression:    strPtr("pk = :pk AND begins_with(sk, :v)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SNAPSHOT"}, ":v": &types.AttributeValueMemberS{Value: fmt.Sprintf("%020d#", v)}},
		ProjectionExpression:      strPtr("pk, sk")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) < 2 {
		t.Fatalf("%d templates published in %d part(s), want several", len(def)+len(copies), len(out.Items))
	}
	m7 := returns
	m7.Merchant = "m007"
	if got := decodeAt(t, cat, v).Decide(m7, time.Now()).Answer; !strings.HasSuffix(got, "(merchant)") {
		t.Fatalf("merchant m007 is answered %q, want its own template", got)
	}

	// Damage the last part.
	key := out.Items[len(out.Items)-1]
	key["data"] = &types.AttributeValueMemberB{Value: []byte("not the data")}
	key["parts"] = &types.AttributeValueMemberN{Value: fmt.Sprint(len(out.Items))}
	key["sha256"] = &types.AttributeValueMemberS{Value: "0"}
	if _, err := f.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: key}); err != nil {
		t.Fatal(err)
	}
	if b, err := cat.Snapshot(ctx, v); err == nil {
		t.Fatalf("a damaged snapshot read as %d bytes, want an error", len(b))
	}
	tri, err := triage.NewCache(cat, time.Minute).Get(ctx)
	if err != nil {
		t.Fatalf("cache with a damaged snapshot: %v", err)
	}
	if got := tri.Decide(m7, time.Now()).Answer; !strings.HasSuffix(got, "(merchant)") {
		t.Fatalf("built from the templates, merchant m007 is answered %q", got)
	}
}

func strPtr(s string) *string { return &s }

package dynamo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// A snapshot larger than one item is stored in parts and comes back whole; the version before a new one stays
// for readers still reading it, older ones go; a damaged part is refused, never misread.
func TestSnapshotPartsVersionsAndDamage(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	table := f.Tables[topology.Catalog.ID]
	cat := dynamo.NewCatalog(f.DynamoDB, table)
	rng := rand.New(rand.NewPCG(1, 2))
	snapshots := map[int64][]byte{}
	for v := int64(101); v <= 103; v++ {
		b := make([]byte, 700_000) // three parts
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		snapshots[v] = b
		if err := cat.PutSnapshot(ctx, v, b); err != nil {
			t.Fatalf("put snapshot %d: %v", v, err)
		}
	}
	for v, want := range map[int64][]byte{103: snapshots[103], 102: snapshots[102], 101: nil} {
		got, err := cat.Snapshot(ctx, v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("snapshot %d: %d bytes (%v), want %d bytes", v, len(got), err, len(want))
		}
	}
	if b, err := cat.Snapshot(ctx, 999); b != nil || err != nil {
		t.Errorf("snapshot of a version never published: %d bytes, %v; want none", len(b), err)
	}

	out, err := f.DynamoDB.Query(ctx, &dynamodb.QueryInput{TableName: &table,
		KeyConditionExpression:    strPtr("pk = :pk AND begins_with(sk, :v)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SNAPSHOT"}, ":v": &types.AttributeValueMemberS{Value: fmt.Sprintf("%020d#", 103)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.Items), 3; got != want {
		t.Fatalf("700 KB stored in %d parts, want %d", got, want)
	}
	damaged := out.Items[len(out.Items)-1]
	damaged["data"] = &types.AttributeValueMemberB{Value: []byte("not the data")}
	if _, err := f.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: damaged}); err != nil {
		t.Fatal(err)
	}
	if b, err := cat.Snapshot(ctx, 103); !errors.Is(err, dynamo.ErrSnapshotDamaged) {
		t.Fatalf("a damaged snapshot read as %d bytes, %v; want ErrSnapshotDamaged", len(b), err)
	}
}

// Bump returns the version it made, which Version then reads.
func TestBumpAndVersion(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	before, err := cat.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, err := cat.Bump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before+1 {
		t.Fatalf("bump from %d made %d", before, after)
	}
	if got, err := cat.Version(ctx); got != after || err != nil {
		t.Fatalf("version after bump = %d, %v; want %d", got, err, after)
	}
	// The version names the snapshot published for it, and no other version's.
	if err := cat.PutSnapshot(ctx, after, []byte("snapshot")); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("snapshot"))
	if v, sum, err := cat.Published(ctx); v != after || sum != hex.EncodeToString(want[:]) || err != nil {
		t.Errorf("published = %d, %q, %v; want %d and the snapshot's SHA-256", v, sum, err, after)
	}
	if err := cat.PutSnapshot(ctx, after-1, []byte("late")); err != nil { // a slow writer of an older version
		t.Fatal(err)
	}
	if _, sum, _ := cat.Published(ctx); sum != hex.EncodeToString(want[:]) {
		t.Errorf("an older version's publish renamed the snapshot to %q", sum)
	}
	next, err := cat.Bump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, sum, err := cat.Published(ctx); v != next || sum != "" || err != nil {
		t.Errorf("after a bump with nothing published: %d, %q, %v; want %d and no snapshot", v, sum, err, next)
	}
}

func strPtr(s string) *string { return &s }

// Staged changes wait without moving the version; Advance moves it, names the snapshot stored ahead and marks the
// changes it took, all or nothing; a change is unstaged only as it was read.
func TestStageAdvanceUnstage(t *testing.T) {
	ctx := context.Background()
	f := runner.Provisioned(t)
	cat := dynamo.NewCatalog(f.DynamoDB, f.Tables[topology.Catalog.ID])
	from, seeded, err := cat.Published(ctx)
	if err != nil || seeded == "" {
		t.Fatalf("published = %d, %q, %v; want the seeded version and its snapshot", from, seeded, err)
	}
	for _, k := range []string{"m1/k1.en", "m2/k2.en"} {
		if err := cat.Stage(ctx, k, []byte(`{"change":"`+k+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	type staged struct {
		body, tag string
		in        int64
	}
	read := func() map[string]staged {
		t.Helper()
		out := map[string]staged{}
		if err := cat.EachStaged(ctx, func(key string, body []byte, tag string, in int64) error {
			out[key] = staged{string(body), tag, in}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := read()
	if len(got) != 2 || got["m1/k1.en"].in != 0 || got["m1/k1.en"].tag == "" || got["m1/k1.en"].tag == got["m2/k2.en"].tag {
		t.Fatalf("staged = %+v, want two waiting changes with their own tags", got)
	}
	if v, sum, _ := cat.Published(ctx); v != from || sum != seeded {
		t.Errorf("staging moved the catalog to %d, %q", v, sum)
	}

	sum, err := cat.StoreSnapshot(ctx, from+1, []byte("next snapshot"))
	if err != nil {
		t.Fatal(err)
	}
	if v, s, _ := cat.Published(ctx); v != from || s != seeded {
		t.Errorf("a stored snapshot moved the catalog to %d, %q", v, s)
	}
	if ok, err := cat.Advance(ctx, from, sum, map[string]string{"m1/k1.en": "not its tag"}); ok || err != nil {
		t.Fatalf("advance with a change staged again = %v, %v; want false", ok, err)
	}
	if v, _, _ := cat.Published(ctx); v != from {
		t.Fatalf("a refused advance moved the version to %d", v)
	}
	if ok, err := cat.Advance(ctx, from, sum, map[string]string{"m1/k1.en": got["m1/k1.en"].tag}); !ok || err != nil {
		t.Fatalf("advance = %v, %v", ok, err)
	}
	if v, s, _ := cat.Published(ctx); v != from+1 || s != sum {
		t.Errorf("published = %d, %q; want %d named with the stored snapshot", v, s, from+1)
	}
	if b, err := cat.Snapshot(ctx, from+1); string(b) != "next snapshot" || err != nil {
		t.Errorf("snapshot of %d = %q, %v", from+1, b, err)
	}
	after := read()
	if after["m1/k1.en"].in != from+1 || after["m2/k2.en"].in != 0 {
		t.Errorf("staged after advance = %+v, want m1's published in %d and m2's waiting", after, from+1)
	}
	if ok, err := cat.Advance(ctx, from, sum, nil); ok || err != nil {
		t.Errorf("advance from a version no longer the catalog's = %v, %v; want false", ok, err)
	}

	if err := cat.Unstage(ctx, "m1/k1.en", "not its tag"); err != nil {
		t.Fatal(err)
	}
	if _, ok := read()["m1/k1.en"]; !ok {
		t.Error("unstaged a change staged again since it was read")
	}
	if err := cat.Unstage(ctx, "m1/k1.en", got["m1/k1.en"].tag); err != nil {
		t.Fatal(err)
	}
	if _, ok := read()["m1/k1.en"]; ok {
		t.Error("the change is still staged after unstaging it")
	}
}

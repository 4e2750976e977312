package secrets

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// fakeSecrets answers GetSecretValue from a map and counts the calls.
type fakeSecrets struct {
	values map[string]string
	calls  int
	fail   error
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	v, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("not found")}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

func TestKeyringReadsCachesAndRotates(t *testing.T) {
	secret := strings.Repeat("k", 32)
	sm := &fakeSecrets{values: map[string]string{
		"bw/m1": `{"keys":[{"kid":"2026-11","secret":"` + b64(secret) + `"}]}`,
		"bw/m2": `not json, with a secret inside: ` + secret,
	}}
	now := time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)
	k := NewKeyring(sm, "bw/")
	k.Now = func() time.Time { return now }
	ctx := context.Background()
	keys, err := k.Keys(ctx, "m1")
	if err != nil || len(keys) != 1 || keys[0].ID != "2026-11" || string(keys[0].Secret) != secret {
		t.Fatalf("keys of m1 = %+v, %v", keys, err)
	}
	if _, err := k.Keys(ctx, "m1"); err != nil || sm.calls != 1 {
		t.Fatalf("second read within the TTL called Secrets Manager %d times (%v), want once", sm.calls, err)
	}
	// Rotation with an overlap: the new key appears after the TTL, beside the old one.
	sm.values["bw/m1"] = `{"keys":[{"kid":"2026-11","secret":"` + b64(secret) + `"},{"kid":"2026-12","secret":"` + b64(strings.Repeat("n", 32)) + `"}]}`
	now = now.Add(6 * time.Minute)
	if keys, err := k.Keys(ctx, "m1"); err != nil || len(keys) != 2 {
		t.Fatalf("after rotation: %+v, %v; want both keys", keys, err)
	}
	if keys, err := k.Keys(ctx, "m9"); err != nil || len(keys) != 0 {
		t.Fatalf("a merchant without a secret: %+v, %v; want no keys and no error", keys, err)
	}
	if _, err := k.Keys(ctx, "m2"); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("malformed secret: err = %v; want an error that does not quote it", err)
	}
	if _, err := k.Keys(ctx, "../other-secret"); err == nil {
		t.Fatal("a merchant id that is not a name read a secret")
	}
	sm.fail = errors.New("throttled")
	now = now.Add(time.Hour)
	if _, err := k.Keys(ctx, "m1"); err == nil {
		t.Fatal("a failed read returned keys")
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

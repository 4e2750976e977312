// Package secrets reads merchants' storefront signing keys from AWS Secrets Manager.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"breakwater/shared/storefront"
)

// getter is the part of *secretsmanager.Client that Keyring uses.
type getter interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Keyring finds merchant M's keys in the secret named <prefix>M, whose value is {"keys":[{"kid","secret"}]}
// (secrets base64). It keeps what it read for TTL, so a rotation reaches every intake instance within TTL while
// a peak costs one read per merchant per instance per TTL; keys never reach logs or errors.
type Keyring struct {
	sm     getter
	prefix string
	// TTL is how long a merchant's keys are kept before they are read again.
	TTL time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	keys []storefront.Key
	at   time.Time
}

// NewKeyring returns a keyring on the secrets named prefix+merchant.
func NewKeyring(sm getter, prefix string) *Keyring {
	return &Keyring{sm: sm, prefix: prefix, TTL: 5 * time.Minute, Now: time.Now, cache: map[string]cached{}}
}

// merchantName is what may follow the prefix in a secret name: a merchant id never names another secret.
var merchantName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,128}$`)

// Keys returns merchant's keys; a merchant without a secret has none (storefront.ErrNoKeys).
func (k *Keyring) Keys(ctx context.Context, merchant string) ([]storefront.Key, error) {
	if !merchantName.MatchString(merchant) {
		return nil, fmt.Errorf("merchant %q: %w", merchant, storefront.ErrNoKeys)
	}
	now := k.Now()
	k.mu.Lock()
	c, ok := k.cache[merchant]
	k.mu.Unlock()
	if ok && now.Sub(c.at) < k.TTL {
		return c.keys, nil
	}
	out, err := k.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.prefix + merchant)})
	var missing *smtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		c = cached{at: now} // no keys: remember that too, so unsigned traffic costs no read per post
	case err != nil:
		return nil, fmt.Errorf("read storefront keys of %s: %w", merchant, err)
	default:
		var v struct {
			Keys []storefront.Key `json:"keys"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
			// The error would quote the secret: say only that it is malformed.
			return nil, fmt.Errorf("storefront keys of %s are not {\"keys\":[{\"kid\",\"secret\"}]}", merchant)
		}
		c = cached{keys: v.Keys, at: now}
	}
	k.mu.Lock()
	k.cache[merchant] = c
	k.mu.Unlock()
	return c.keys, nil
}

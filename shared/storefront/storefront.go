// Package storefront verifies what a merchant's storefront vouches for: the shopper's identity, member tier and
// order, signed with the merchant's key (an HS256 JSON Web Token, as Zendesk's messaging authentication does), so
// that a tier or an order amount that raises a contact's priority is the merchant's word, not the browser's.
package storefront

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Key is one of a merchant's signing keys. A merchant rotates with an overlap: it adds a key, switches its
// storefront to sign with it, and removes the old key once no page signed with it can still be posting.
type Key struct {
	ID     string `json:"kid"`
	Secret []byte `json:"secret"` // at least 32 bytes, base64 in JSON
}

// Keyring finds a merchant's keys.
type Keyring interface {
	Keys(ctx context.Context, merchant string) ([]Key, error)
}

// ErrNoKeys means the merchant has no signing keys: its storefront cannot vouch for anyone.
var ErrNoKeys = errors.New("merchant has no storefront keys")

// MaxAge bounds how long a signature stays valid after it was made: a storefront signs each page as it serves it.
const MaxAge = 15 * time.Minute

// skew tolerates clocks a little apart.
const skew = 30 * time.Second

// Order is the order the storefront vouches for, with its amount in its currency.
type Order struct {
	ID       string   `json:"id,omitempty"`
	Amount   *float64 `json:"amount,omitempty"`
	Currency string   `json:"currency,omitempty"`
}

// Claims are what a storefront signs.
type Claims struct {
	jwt.RegisteredClaims
	Tier  string `json:"tier,omitempty"`
	Order *Order `json:"order,omitempty"`
}

// Verify checks token, signed by merchant's storefront for shopper, at now: signature with one of the merchant's
// keys (by the kid in its header), issuer (the merchant), subject (the shopper), and freshness (issued at most
// MaxAge before now, not in the future, not expired). Any failure is an error; the caller then treats the shopper
// as anonymous.
func Verify(ctx context.Context, ring Keyring, merchant, shopper, token string, now time.Time) (Claims, error) {
	var c Claims
	keys, err := ring.Keys(ctx, merchant)
	if err != nil {
		return c, fmt.Errorf("keys of merchant %s: %w", merchant, err)
	}
	if len(keys) == 0 {
		return c, fmt.Errorf("merchant %s: %w", merchant, ErrNoKeys)
	}
	_, err = jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range keys {
			if k.ID == kid {
				return k.Secret, nil
			}
		}
		return nil, fmt.Errorf("no key %q", kid)
	},
		jwt.WithValidMethods([]string{"HS256"}),
		jwt.WithIssuer(merchant),
		jwt.WithSubject(shopper),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(skew),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return c, fmt.Errorf("storefront signature: %w", err)
	}
	if c.IssuedAt == nil || c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxAge || now.Sub(c.IssuedAt.Time) > MaxAge+skew {
		return c, fmt.Errorf("storefront signature: issued more than %s before it is used, or valid for longer", MaxAge)
	}
	if o := c.Order; o != nil && o.Amount != nil && (math.IsNaN(*o.Amount) || *o.Amount < 0 || *o.Amount > 1e9 || len(o.Currency) != 3) {
		return c, fmt.Errorf("storefront signature: order amount needs a currency and a value from 0 to 1e9")
	}
	return c, nil
}

// Sign makes the token a storefront would send for shopper, with key, valid for ttl from now: for the demo shop
// page, tools and tests. A real storefront signs on its own server with its own JWT library.
func Sign(key Key, merchant, shopper, tier string, order *Order, now time.Time, ttl time.Duration) (string, error) {
	c := Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: merchant, Subject: shopper,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl))}, Tier: tier, Order: order}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	t.Header["kid"] = key.ID
	return t.SignedString(key.Secret)
}

// StaticKeys is a keyring held in memory: {"<merchant>":[{"kid","secret"}]}, secrets base64. The local stack gives
// it to the intake function in its environment; a deployed intake reads Secrets Manager instead.
type StaticKeys map[string][]Key

// ParseStaticKeys reads StaticKeys from JSON.
func ParseStaticKeys(s string) (StaticKeys, error) {
	var k StaticKeys
	if err := json.Unmarshal([]byte(s), &k); err != nil {
		return nil, fmt.Errorf("read storefront keys: %w", err)
	}
	for m, keys := range k {
		for _, key := range keys {
			if key.ID == "" || len(key.Secret) < 32 {
				return nil, fmt.Errorf("storefront key of %s: want a kid and a secret of at least 32 bytes", m)
			}
		}
	}
	return k, nil
}

// Keys returns merchant's keys.
func (k StaticKeys) Keys(_ context.Context, merchant string) ([]Key, error) { return k[merchant], nil }

// NewKey makes a random key with id.
func NewKey(id string, random func([]byte)) Key {
	b := make([]byte, 32)
	random(b)
	return Key{ID: id, Secret: b}
}

// EncodeSecret writes a key's secret as its JSON form does.
func EncodeSecret(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

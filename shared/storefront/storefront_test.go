package storefront

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerify(t *testing.T) {
	now := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	oldKey := Key{ID: "2026-10", Secret: []byte(strings.Repeat("o", 32))}
	newKey := Key{ID: "2026-11", Secret: []byte(strings.Repeat("n", 32))}
	other := Key{ID: "2026-11", Secret: []byte(strings.Repeat("x", 32))}
	ring := StaticKeys{"m1": {oldKey, newKey}, "m2": {other}}
	amount := 899.0
	sign := func(k Key, merchant, shopper string, at time.Time, ttl time.Duration) string {
		tok, err := Sign(k, merchant, shopper, "gold", &Order{ID: "A1", Amount: &amount, Currency: "CNY"}, at, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(newKey, "m1", "s1", now, 10*time.Minute)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = []byte(strings.Replace(string(payload), `"tier":"gold"`, `"tier":"platinum"`, 1))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	none := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "m1", Subject: "s1",
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}, Tier: "platinum"})
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	tests := []struct {
		name, merchant, shopper, token string
		ok                             bool
	}{
		{"signed with the new key", "m1", "s1", good, true},
		{"signed with the old key during the overlap", "m1", "s1", sign(oldKey, "m1", "s1", now, 10*time.Minute), true},
		{"expired", "m1", "s1", sign(newKey, "m1", "s1", now.Add(-20*time.Minute), 10*time.Minute), false},
		{"issued in the future", "m1", "s1", sign(newKey, "m1", "s1", now.Add(10*time.Minute), 10*time.Minute), false},
		{"valid for too long", "m1", "s1", sign(newKey, "m1", "s1", now, 24*time.Hour), false},
		{"tampered claims", "m1", "s1", tampered, false},
		{"another merchant's key", "m1", "s1", sign(other, "m1", "s1", now, time.Minute), false},
		{"issued for another merchant", "m2", "s1", good, false},
		{"issued for another shopper", "m1", "s2", good, false},
		{"alg none", "m1", "s1", unsigned, false},
		{"not a token", "m1", "s1", "hello", false},
		{"merchant without keys", "m3", "s1", good, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Verify(context.Background(), ring, tt.merchant, tt.shopper, tt.token, now)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && (c.Tier != "gold" || c.Order == nil || *c.Order.Amount != amount || c.Order.Currency != "CNY") {
				t.Errorf("claims = %+v", c)
			}
			if err != nil && strings.Contains(err.Error(), string(newKey.Secret)) {
				t.Errorf("error %v quotes the key", err)
			}
		})
	}
}

func TestParseStaticKeys(t *testing.T) {
	k, err := ParseStaticKeys(`{"m1":[{"kid":"a","secret":"` + EncodeSecret([]byte(strings.Repeat("s", 32))) + `"}]}`)
	if err != nil || len(k["m1"]) != 1 {
		t.Fatalf("keys = %v, %v", k, err)
	}
	if _, err := ParseStaticKeys(`{"m1":[{"kid":"a","secret":"c2hvcnQ="}]}`); err == nil {
		t.Fatal("a 5-byte secret was accepted")
	}
}

package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"breakwater/shared/storefront"
)

func TestSignEndpoint(t *testing.T) {
	now := time.Date(2026, 11, 11, 12, 0, 0, 0, time.UTC)
	keys := demoKeys(demoAgents(""))
	if got, want := merchants(keys), "[m1 m2]"; got != want {
		t.Fatalf("demo keys for %s, want %s (every merchant with agents, not the platform)", got, want)
	}
	ctl := &control{sign: signer{keys: keys, now: func() time.Time { return now }}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h := withControl(http.NotFoundHandler(), ctl)
	tests := []struct {
		name     string
		host     string
		header   bool
		body     string
		status   int
		contains string
	}{
		{"gold shopper with an order", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"s1","tier":"gold","order":{"id":"A1","amount":129.9,"currency":"CNY"}}`, 200, `"kid":"local-m1"`},
		{"localhost", "localhost:8080", true, `{"merchant":"m2","shopper":"s1"}`, 200, `"identity":"ey`},
		{"without the control header", "127.0.0.1:8080", false, `{"merchant":"m1","shopper":"s1"}`, 403, ControlHeader},
		{"a rebound DNS name", "evil.example:8080", true, `{"merchant":"m1","shopper":"s1"}`, 403, "127.0.0.1"},
		{"no port in Host", "127.0.0.1", true, `{"merchant":"m1","shopper":"s1"}`, 403, "127.0.0.1"},
		{"merchant without a demo key", "127.0.0.1:8080", true, `{"merchant":"m3","shopper":"s1"}`, 404, "[m1 m2]"},
		{"the platform signs nothing", "127.0.0.1:8080", true, `{"merchant":"platform","shopper":"s1"}`, 404, "no storefront keys"},
		{"unknown tier", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"s1","tier":"diamond"}`, 400, "tier"},
		{"amount without currency", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"s1","order":{"amount":10}}`, 400, "currency"},
		{"bad shopper id", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"a b"}`, 400, "shopper"},
		{"unknown field", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"s1","admin":true}`, 400, "admin"},
		{"duplicate key", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"s1","tier":"standard","tier":"gold"}`, 400, "twice"},
		{"too large", "127.0.0.1:8080", true, `{"merchant":"m1","shopper":"` + strings.Repeat("s", 5000) + `"}`, 400, "4 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", SignPath, strings.NewReader(tt.body))
			req.Host = tt.host
			if tt.header {
				req.Header.Set(ControlHeader, "1")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got, want := rec.Code, tt.status; got != want {
				t.Fatalf("status = %d, want %d; body %s", got, want, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body %s lacks %q", rec.Body, tt.contains)
			}
		})
	}
}

// What the endpoint signs is what the intake verifies: the merchant, the shopper, the tier and the order; and the
// signature is only good for that merchant and that shopper.
func TestSignIdentityVerifies(t *testing.T) {
	now := time.Now()
	keys := demoKeys(demoAgents(""))
	amount := 4000.0
	out, err := SignIdentity(keys, SignRequest{Merchant: "m1", Shopper: "s1", Tier: "gold", Order: &storefront.Order{ID: "A1", Amount: &amount, Currency: "CNY"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.ExpiresAt, now.Add(IdentityTTL); !got.Equal(want) {
		t.Errorf("expires at %s, want %s", got, want)
	}
	c, err := verify(keys, "m1", "s1", out.Identity, now)
	if err != nil {
		t.Fatalf("the intake's check refused the local signature: %v", err)
	}
	if c.Tier != "gold" || c.Order == nil || *c.Order.Amount != amount || c.Order.Currency != "CNY" || c.Order.ID != "A1" {
		t.Errorf("claims = %+v %+v, want gold and order A1 of 4000 CNY", c, c.Order)
	}
	for _, o := range []struct{ merchant, shopper string }{{"m2", "s1"}, {"m1", "s2"}} {
		if _, err := verify(keys, o.merchant, o.shopper, out.Identity, now); err == nil {
			t.Errorf("m1's signature of s1 verified for %s's shopper %s", o.merchant, o.shopper)
		}
	}
	if _, err := verify(keys, "m1", "s1", out.Identity, now.Add(IdentityTTL+time.Minute)); err == nil {
		t.Error("the signature verified after it expired")
	}
	other := demoKeys(demoAgents(""))
	if _, err := verify(other, "m1", "s1", out.Identity, now); err == nil {
		t.Error("the signature verified with another start's keys: demo keys must be random at every start")
	}
	env, err := keysEnv(keys)
	if err != nil {
		t.Fatal(err)
	}
	var parsed map[string][]struct{ Kid, Secret string }
	if err := json.Unmarshal([]byte(env), &parsed); err != nil || len(parsed["m1"]) != 1 || parsed["m1"][0].Kid != "local-m1" {
		t.Errorf("STOREFRONT_KEYS = %s (%v), want each merchant's kid and base64 secret", env, err)
	}
}

func TestMarkShopperPage(t *testing.T) {
	page := []byte("<html><head></head><body>\n<p>hi</p></body></html>")
	got := string(MarkShopperPage(page))
	if want := `<body data-local-sign="/_local/sign">`; strings.Count(got, want) != 1 || strings.Count(got, "<body") != 1 {
		t.Errorf("marked page = %q, want one body with %s", got, want)
	}
}

func verify(keys storefront.Keyring, merchant, shopper, token string, at time.Time) (storefront.Claims, error) {
	return storefront.Verify(context.Background(), keys, merchant, shopper, token, at)
}

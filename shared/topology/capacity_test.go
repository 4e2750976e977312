package topology

import (
	"strings"
	"testing"
)

func TestDefaultCapacity(t *testing.T) {
	c := DefaultCapacity()
	if err := c.Validate(); err != nil {
		t.Fatalf("the default capacity does not deploy: %v", err)
	}
	if sum := AccountSharesSum(); sum > 1+1e-9 {
		t.Errorf("route shares, the WebSocket stage's and the pushes' sum to %.3f, more than the account's quota", sum)
	}
	// Every share RouteShares names counts, whether its route exists yet or not (the push's registrations come
	// with the push), and every route it does not name takes the default share.
	all := WebSocketShare + PushCallbackShare
	for _, s := range RouteShares {
		all += s
	}
	for _, r := range Routes {
		if _, ok := RouteShares[r.Method+" "+r.Path]; !ok {
			all += DefaultRouteShare
		}
	}
	if all > 1+1e-9 {
		t.Errorf("route shares, the default share of the other routes, the WebSocket stage's and the pushes' sum to %.3f, more than 1", all)
	}
	if got := c.RouteThrottle("GET /contacts/{id}"); got.Rate != 4300 || got.Burst != 2150 {
		t.Errorf("poll route throttle = %+v, want 4,300/s burst 2,150", got)
	}
	if got := c.WebSocketThrottle(); got.Rate != 400 || got.Burst != 200 {
		t.Errorf("WebSocket stage throttle = %+v, want 400/s burst 200", got)
	}
	if got, want := c.WSConnectRate, 500; got != want {
		t.Errorf("WebSocket connections = %d/s, want AWS's default %d", got, want)
	}
	if got := c.DefaultThrottle(); got.Rate != 50 || got.Burst != 25 {
		t.Errorf("default throttle = %+v, want 50/s burst 25", got)
	}
	if got, want := c.Reserved(ConsumerOf(Intake.ID)), c.MaxConcurrency; got != want {
		t.Errorf("responder reserves %d, want its MaxConcurrency %d", got, want)
	}
	if got := c.Reserved("agent"); got != 175 {
		t.Errorf("agent reserves %d, want 25%% of the 700 left = 175", got)
	}
	if got := c.Reserved("intake"); got != 0 {
		t.Errorf("intake reserves %d, want 0: it takes the unreserved pool", got)
	}
	if u := c.Unreserved(); u < MinUnreserved {
		t.Errorf("unreserved %d, want at least %d", u, MinUnreserved)
	}
}

func TestCapacityWith(t *testing.T) {
	ctx := map[string]any{KeyAPIRate: "40000", KeyConcurrency: float64(3000), KeyMaxConcurrency: 300, KeyWarmWrites: "", KeyWSConnectRate: "1500"}
	c, err := DefaultCapacity().With(func(k string) any { return ctx[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.APIRate != 40000 || c.Concurrency != 3000 || c.MaxConcurrency != 300 || c.WarmWrites != 0 || c.APIBurst != DefaultAPIBurst || c.WSConnectRate != 1500 {
		t.Errorf("With = %+v", c)
	}
	for _, tc := range []struct {
		ctx  map[string]any
		want string
	}{
		{map[string]any{KeyAPIRate: "lots"}, "apiRateQuota"},
		{map[string]any{KeyConcurrency: 1.5}, "whole number"},
		{map[string]any{KeyWarmReads: -1}, "negative"},
		{map[string]any{KeyMaxConcurrency: 1}, "maxConcurrency"},
		{map[string]any{KeyMaxConcurrency: 1000}, "concurrencyQuota"},
		{map[string]any{KeyWSConnectRate: 0}, "wsConnectQuota"},
	} {
		_, err := DefaultCapacity().With(func(k string) any { return tc.ctx[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("With(%v) = %v, want an error naming %q", tc.ctx, err, tc.want)
		}
	}
}

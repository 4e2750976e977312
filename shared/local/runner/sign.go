package runner

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"time"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
	"breakwater/shared/storefront"
)

// SignPath is the local-only endpoint that signs a demo shopper's identity as the merchant's storefront would: the
// local shopper page calls it before it posts, and scripts/invoke signs its samples the same way. It is served
// next to the other control endpoints on the local listener only; topology.Routes never names it.
const SignPath = ControlPrefix + "sign"

// IdentityTTL is how long a local demo signature stays valid: well inside storefront.MaxAge, as a storefront that
// signs each page it serves would do.
const IdentityTTL = 10 * time.Minute

// demoKeys makes a storefront signing key for each merchant among as (not the platform), random at every start,
// as the demo agents' tokens are: the local stack's keyring, given to the intake function as STOREFRONT_KEYS.
func demoKeys(as []DemoAgent) storefront.StaticKeys {
	keys := storefront.StaticKeys{}
	for _, a := range as {
		if a.Tenant == humanqueue.Platform || keys[a.Tenant] != nil {
			continue
		}
		keys[a.Tenant] = []storefront.Key{storefront.NewKey("local-"+a.Tenant, func(b []byte) { _, _ = rand.Read(b) })}
	}
	return keys
}

// keysEnv is the STOREFRONT_KEYS value for keys: {"<merchant>":[{"kid","secret"}]}, secrets base64.
func keysEnv(keys storefront.StaticKeys) (string, error) {
	b, err := json.Marshal(keys)
	if err != nil {
		return "", fmt.Errorf("encode storefront keys: %w", err)
	}
	return string(b), nil
}

// SignRequest is what POST /_local/sign signs: the shopper of a merchant, its member tier and its order.
type SignRequest struct {
	Merchant string            `json:"merchant"`
	Shopper  string            `json:"shopper"`
	Tier     string            `json:"tier,omitempty"`
	Order    *storefront.Order `json:"order,omitempty"`
}

// SignResponse is what POST /_local/sign answers: the identity token to send as the contact's "identity".
type SignResponse struct {
	Identity  string    `json:"identity"`
	KeyID     string    `json:"kid"`
	ExpiresAt time.Time `json:"expiresAt"`
}

var shopperID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)

// SignIdentity signs r with its merchant's first key in keys at now, valid for IdentityTTL.
func SignIdentity(keys storefront.StaticKeys, r SignRequest, now time.Time) (SignResponse, error) {
	ks := keys[r.Merchant]
	if len(ks) == 0 {
		return SignResponse{}, fmt.Errorf("merchant %q: %w", r.Merchant, storefront.ErrNoKeys)
	}
	if !shopperID.MatchString(r.Shopper) {
		return SignResponse{}, fmt.Errorf("shopper %q: want the id the contact is posted with", r.Shopper)
	}
	if r.Tier != "" && !slices.Contains(contact.Tiers, contact.Tier(r.Tier)) {
		return SignResponse{}, fmt.Errorf("tier %q: want one of %v", r.Tier, contact.Tiers)
	}
	if o := r.Order; o != nil && o.Amount != nil && (math.IsNaN(*o.Amount) || *o.Amount < 0 || *o.Amount > 1e9 || len(o.Currency) != 3) {
		return SignResponse{}, errors.New("order: an amount needs a 3-letter currency and a value from 0 to 1e9")
	}
	tok, err := storefront.Sign(ks[0], r.Merchant, r.Shopper, r.Tier, r.Order, now, IdentityTTL)
	if err != nil {
		return SignResponse{}, fmt.Errorf("sign shopper %s of %s: %w", r.Shopper, r.Merchant, err)
	}
	return SignResponse{Identity: tok, KeyID: ks[0].ID, ExpiresAt: now.Add(IdentityTTL)}, nil
}

// signer serves POST /_local/sign.
type signer struct {
	keys storefront.StaticKeys
	now  func() time.Time
}

func (s signer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A web page that a DNS name rebinds to 127.0.0.1 is same-origin with this server and could send the control
	// header; it cannot choose the Host header its browser sends, which then names its own domain.
	if host, _, err := net.SplitHostPort(r.Host); err != nil || !loopbackName(host) {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "sign only for requests to 127.0.0.1 or localhost"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<10+1))
	if err != nil || len(body) > 4<<10 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "send at most 4 KiB of JSON"})
		return
	}
	var req SignRequest
	if err := contact.DecodeJSON(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "not a sign request: " + err.Error()})
		return
	}
	out, err := SignIdentity(s.keys, req, s.now())
	switch {
	case errors.Is(err, storefront.ErrNoKeys):
		writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error() + ": the local demo merchants are " + merchants(s.keys)})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

func loopbackName(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func merchants(keys storefront.StaticKeys) string {
	var ms []string
	for m := range keys {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return fmt.Sprint(ms)
}

// LocalSignAttr on the shopper page's body names the endpoint that signs its demo shopper. Only the local runner
// adds it (MarkShopperPage), so the deployed page never asks for a signature: a merchant's own server signs.
const LocalSignAttr = "data-local-sign"

// MarkShopperPage marks the shopper page, as the intake function serves it, for the local stack: the page then
// signs its demo shopper's identity at SignPath before it posts (unless its "send unsigned" switch is on).
func MarkShopperPage(page []byte) []byte {
	return bytes.Replace(page, []byte("<body>"), []byte(`<body `+LocalSignAttr+`="`+SignPath+`">`), 1)
}

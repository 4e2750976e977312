// Package webui holds the shopper chat page and the agent console: two self-contained HTML files with inline CSS and JS.
package webui

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

//go:embed shopper.html
var shopperHTML []byte

//go:embed console.html
var consoleHTML []byte

// configPlaceholder is the config element in console.html that Console replaces.
const configPlaceholder = `<script type="application/json" id="config">{"auth":"token"}</script>`

// Auth modes of the console.
const (
	AuthToken = "token" // a bearer token pasted by the agent (local runs)
	AuthJWT   = "jwt"   // a Cognito user pool sign-in (deployed)
)

// ConsoleConfig tells the console how agents sign in; it is injected into the page as JSON.
type ConsoleConfig struct {
	Auth     string `json:"auth"`
	Region   string `json:"region,omitempty"`
	ClientID string `json:"clientId,omitempty"`
	// Endpoint is the Cognito user pool API the console signs in against, an origin without a path. Empty means
	// the region's (https://cognito-idp.<region>.amazonaws.com), as deployed; tests name a fake on 127.0.0.1.
	Endpoint string `json:"endpoint,omitempty"`
	// Push is the WebSocket URL the console connects to for pokes (PushURL); empty: no push, the console re-reads.
	Push string `json:"push,omitempty"`
}

// pushURLRE is what a push URL may be: a wss URL with a stage path (deployed), or ws on 127.0.0.1 (the local
// gateway). Anything else is dropped, and the page polls.
var pushURLRE = regexp.MustCompile(`^(wss://[a-z0-9.-]+(:[0-9]{1,5})?|ws://127\.0\.0\.1:[0-9]{1,5})/[A-Za-z0-9_-]+$`)

// PushURL returns u when it is a valid push URL, else "".
func PushURL(u string) string {
	if pushURLRE.MatchString(u) {
		return u
	}
	return ""
}

// pushOrigin is the scheme and host of a valid push URL, for connect-src; "" for none.
func pushOrigin(u string) string {
	u = PushURL(u)
	if u == "" {
		return ""
	}
	i := strings.Index(u, "://")
	return u[:i+3+strings.Index(u[i+3:], "/")]
}

// endpointRE is what Endpoint may be: an https origin, or plain http on 127.0.0.1 for a test's fake.
var endpointRE = regexp.MustCompile(`^https://[a-z0-9.-]+(:[0-9]{1,5})?$|^http://127\.0\.0\.1:[0-9]{1,5}$`)

// CognitoEndpoint is the origin the console sends its Cognito calls to in jwt mode: Endpoint if it is a valid
// origin, else the region's; "" when there is neither (the page then cannot sign in, and its CSP allows nothing).
func (cfg ConsoleConfig) CognitoEndpoint() string {
	switch {
	case cfg.Auth != AuthJWT:
		return ""
	case cfg.Endpoint != "":
		if endpointRE.MatchString(cfg.Endpoint) {
			return cfg.Endpoint
		}
		return ""
	case regionRE.MatchString(cfg.Region):
		return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com", cfg.Region)
	}
	return ""
}

var (
	scriptHashes []string // 'sha256-…' sources for every inline executable script of both pages
	styleHashes  []string // the same for inline <style> blocks
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
)

func init() {
	for _, page := range [][]byte{shopperHTML, consoleHTML} {
		scripts, styles := inlineBlocks(page)
		scriptHashes = appendHashes(scriptHashes, scripts)
		styleHashes = appendHashes(styleHashes, styles)
	}
}

var (
	scriptRE = regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`)
	styleRE  = regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>`)
)

// inlineBlocks returns the bodies of page's inline scripts the browser executes (not data blocks like the config) and of its style elements.
func inlineBlocks(page []byte) (scripts, styles [][]byte) {
	for _, m := range scriptRE.FindAllSubmatch(page, -1) {
		attrs := string(m[1])
		if strings.Contains(attrs, "src=") || strings.Contains(attrs, `type="application/json"`) {
			continue
		}
		scripts = append(scripts, m[2])
	}
	for _, m := range styleRE.FindAllSubmatch(page, -1) {
		styles = append(styles, m[1])
	}
	return scripts, styles
}

func appendHashes(dst []string, blocks [][]byte) []string {
	for _, b := range blocks {
		sum := sha256.Sum256(b)
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !slices.Contains(dst, h) {
			dst = append(dst, h)
		}
	}
	return dst
}

// Shopper returns the shopper chat page served at GET /, without push.
func Shopper() []byte { return ShopperPage("") }

// shopperPlaceholder is the config element in shopper.html that ShopperPage replaces.
const shopperPlaceholder = `<script type="application/json" id="config">{}</script>`

// ShopperPage returns the shopper chat page with the WebSocket URL it connects to for pokes (PushURL; "" or an
// invalid one: no push).
func ShopperPage(push string) []byte {
	if push = PushURL(push); push == "" {
		return bytes.Clone(shopperHTML)
	}
	js, _ := json.Marshal(map[string]string{"push": push}) // strings always marshal
	return bytes.Replace(shopperHTML, []byte(shopperPlaceholder), []byte(`<script type="application/json" id="config">`+string(js)+`</script>`), 1)
}

// Console returns the agent console served at GET /console with cfg injected, its Cognito endpoint resolved;
// json.Marshal escapes <, > and &, so no value can close the script element.
func Console(cfg ConsoleConfig) []byte {
	cfg.Endpoint = cfg.CognitoEndpoint()
	cfg.Push = PushURL(cfg.Push)
	js, err := json.Marshal(cfg)
	if err != nil { // a struct of strings always marshals; keep the page's default rather than fail
		return bytes.Clone(consoleHTML)
	}
	tag := `<script type="application/json" id="config">` + string(js) + `</script>`
	return bytes.Replace(consoleHTML, []byte(configPlaceholder), []byte(tag), 1)
}

// Headers returns the response headers for either page: a Content-Security-Policy that allows only the pages' own inline
// scripts and styles (by hash) and requests to the same origin, plus nosniff, no referrer and the HTML content type.
// Serve the console with cfg.Headers instead, which also lets the page reach Cognito when cfg.Auth is "jwt".
func Headers() map[string]string { return headers() }

// ShopperHeaders returns the shopper page's headers when it connects to push: Headers plus the push URL's origin
// in connect-src.
func ShopperHeaders(push string) map[string]string { return headers(pushOrigin(push)) }

// Headers returns the console's response headers: Headers plus, when agents sign in with Cognito, exactly the
// Cognito endpoint the page calls (CognitoEndpoint) in connect-src, and the push URL's origin when it has one.
func (cfg ConsoleConfig) Headers() map[string]string {
	return headers(cfg.CognitoEndpoint(), pushOrigin(cfg.Push))
}

// headers are the pages' headers, with the origins the page may connect to besides its own (empty ones skipped).
func headers(origins ...string) map[string]string {
	connect := "'self'"
	for _, o := range origins {
		if o != "" {
			connect += " " + o
		}
	}
	csp := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self' " + strings.Join(scriptHashes, " "),
		"style-src 'self' " + strings.Join(styleHashes, " "),
		"connect-src " + connect,
		"img-src 'self' data:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
	return map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": csp,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-cache",
	}
}

package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestConsoleInjectsConfigEscaped(t *testing.T) {
	tests := []struct {
		name string
		cfg  ConsoleConfig
	}{
		{"token", ConsoleConfig{Auth: AuthToken}},
		{"jwt", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", ClientID: "4abc123def"}},
		{"jwt with a test's endpoint", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", ClientID: "c", Endpoint: "http://127.0.0.1:4567"}},
		{"closes script", ConsoleConfig{Auth: `</script><script>window.pwned=1</script>`, ClientID: `"><img src=x onerror=alert(1)>`}},
		{"comment and cdata", ConsoleConfig{Auth: "<!--", Region: "<![CDATA[", ClientID: "&lt;\u2028\u2029"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := Console(tc.cfg)
			m := regexp.MustCompile(`(?s)<script type="application/json" id="config">(.*?)</script>`).FindAllSubmatch(page, -1)
			if got, want := len(m), 1; got != want {
				t.Fatalf("config elements = %d, want %d", got, want)
			}
			body := m[0][1]
			if bytes.ContainsAny(body, "<>&\u2028\u2029") {
				t.Errorf("config body %q holds a character HTML or JS could misread", body)
			}
			var got ConsoleConfig
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("config body %q is not JSON: %v", body, err)
			}
			want := tc.cfg
			want.Endpoint = tc.cfg.CognitoEndpoint()
			if got != want {
				t.Errorf("config = %+v, want %+v", got, want)
			}
			if got, want := len(scriptRE.FindAll(page, -1)), len(scriptRE.FindAll(consoleHTML, -1)); got != want {
				t.Errorf("script elements = %d, want %d: the config escaped its element", got, want)
			}
		})
	}
}

func TestConsoleTemplateHasPlaceholderOnce(t *testing.T) {
	if got, want := bytes.Count(consoleHTML, []byte(configPlaceholder)), 1; got != want {
		t.Fatalf("placeholder occurs %d times in console.html, want %d", got, want)
	}
}

func TestCSPHashesMatchServedInlineBlocks(t *testing.T) {
	pages := map[string][]byte{
		"shopper":     Shopper(),
		"console":     Console(ConsoleConfig{Auth: AuthToken}),
		"console jwt": Console(ConsoleConfig{Auth: AuthJWT, Region: "us-east-1", ClientID: "abc"}),
	}
	csp := Headers()["Content-Security-Policy"]
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	for name, page := range pages {
		scripts, styles := inlineBlocks(page)
		if len(scripts) == 0 || len(styles) == 0 {
			t.Fatalf("%s: found %d inline scripts and %d styles, want at least one of each", name, len(scripts), len(styles))
		}
		for _, s := range scripts {
			if h := hash(s); !strings.Contains(directives["script-src"], h) {
				t.Errorf("%s: script-src %q lacks %s", name, directives["script-src"], h)
			}
		}
		for _, s := range styles {
			if h := hash(s); !strings.Contains(directives["style-src"], h) {
				t.Errorf("%s: style-src %q lacks %s", name, directives["style-src"], h)
			}
		}
		if bytes.Contains(page, []byte(" style=")) || bytes.Contains(page, []byte(" onclick=")) || bytes.Contains(page, []byte("innerHTML")) {
			t.Errorf("%s: inline style or event attributes, or innerHTML, which the policy forbids or the brief bans", name)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP %q allows unsafe-inline or unsafe-eval", csp)
	}
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// The push URL reaches the pages only in a shape that cannot break out of the config element or the CSP.
func TestPushConfig(t *testing.T) {
	page := string(ShopperPage("wss://abc123.execute-api.us-east-1.amazonaws.com/push"))
	if !strings.Contains(page, `<script type="application/json" id="config">{"push":"wss://abc123.execute-api.us-east-1.amazonaws.com/push"}</script>`) {
		t.Errorf("shopper page lacks the push URL in its config")
	}
	for _, bad := range []string{"", "https://a.example/push", "wss://a.example", "wss://a.example/push</script><script>alert(1)</script>", "ws://evil.example/push"} {
		if got := ShopperPage(bad); !bytes.Equal(got, Shopper()) {
			t.Errorf("ShopperPage(%q) changed the page", bad)
		}
	}
	if got := string(Console(ConsoleConfig{Auth: AuthToken, Push: "ws://127.0.0.1:9/push"})); !strings.Contains(got, `"push":"ws://127.0.0.1:9/push"`) {
		t.Errorf("console lacks the push URL in its config")
	}
	if got := string(Console(ConsoleConfig{Auth: AuthToken, Push: "javascript:alert(1)"})); strings.Contains(got, "javascript") {
		t.Errorf("console took a hostile push URL")
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name        string
		headers     map[string]string
		wantConnect string
	}{
		{"pages", Headers(), "connect-src 'self';"},
		{"console token", ConsoleConfig{Auth: AuthToken, Region: "us-east-1"}.Headers(), "connect-src 'self';"},
		{"console jwt", ConsoleConfig{Auth: AuthJWT, Region: "ap-southeast-1", ClientID: "x"}.Headers(), "connect-src 'self' https://cognito-idp.ap-southeast-1.amazonaws.com;"},
		{"console jwt hostile region", ConsoleConfig{Auth: AuthJWT, Region: "x; script-src *"}.Headers(), "connect-src 'self';"},
		{"console jwt, a test's fake Cognito", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", Endpoint: "http://127.0.0.1:4567"}.Headers(), "connect-src 'self' http://127.0.0.1:4567;"},
		{"console jwt, another https endpoint", ConsoleConfig{Auth: AuthJWT, Endpoint: "https://cognito-idp-fips.us-east-1.amazonaws.com"}.Headers(), "connect-src 'self' https://cognito-idp-fips.us-east-1.amazonaws.com;"},
		{"console jwt, hostile endpoint", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", Endpoint: "https://a.example; script-src *"}.Headers(), "connect-src 'self';"},
		{"console jwt, endpoint with a path", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", Endpoint: "https://a.example/x"}.Headers(), "connect-src 'self';"},
		{"console jwt, plain http elsewhere", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", Endpoint: "http://evil.example:80"}.Headers(), "connect-src 'self';"},
		{"console token with an endpoint", ConsoleConfig{Auth: AuthToken, Endpoint: "https://a.example"}.Headers(), "connect-src 'self';"},
		{"shopper with push", ShopperHeaders("wss://abc123.execute-api.us-east-1.amazonaws.com/push"), "connect-src 'self' wss://abc123.execute-api.us-east-1.amazonaws.com;"},
		{"shopper with local push", ShopperHeaders("ws://127.0.0.1:8080/push"), "connect-src 'self' ws://127.0.0.1:8080;"},
		{"shopper, push elsewhere over ws", ShopperHeaders("ws://evil.example/push"), "connect-src 'self';"},
		{"shopper, hostile push", ShopperHeaders("wss://a.example/push; script-src *"), "connect-src 'self';"},
		{"console jwt with push", ConsoleConfig{Auth: AuthJWT, Region: "eu-west-1", Push: "wss://x1.execute-api.eu-west-1.amazonaws.com/push"}.Headers(),
			"connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com wss://x1.execute-api.eu-west-1.amazonaws.com;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.headers
			for k, want := range map[string]string{
				"Content-Type":           "text/html; charset=utf-8",
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
			} {
				if got := h[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			csp := h["Content-Security-Policy"]
			for _, want := range []string{"default-src 'self'", tc.wantConnect, "img-src 'self' data:", "frame-ancestors 'none'", "object-src 'none'"} {
				if !strings.Contains(csp+";", want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
		})
	}
}

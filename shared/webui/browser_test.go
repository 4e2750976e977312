package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// browser starts a fresh headless Chromium for one test and returns the context of its first tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("BREAKWATER_CHROMIUM")
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if path != "" {
			break
		}
		if _, err := os.Stat(p); err == nil {
			path = p
		}
	}
	if path == "" {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		}
	}
	if path == "" {
		t.Fatal("Chromium not found: apt-get install -y chromium, or set BREAKWATER_CHROMIUM")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"),
		// The pages may only reach the local stack: every other host name fails to resolve.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	watchConsole(t, ctx, "shopper")
	return ctx
}

// tab opens another tab, in its own window so it keeps getting animation frames, in the browser of ctx.
func tab(t *testing.T, ctx context.Context, name string) context.Context {
	t.Helper()
	tctx, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("open tab %s: %v", name, err)
	}
	watchConsole(t, tctx, name)
	return tctx
}

// watchConsole fails the test on any script exception or Content-Security-Policy violation in the tab,
// and logs the tab's console errors and warnings, so a broken hash or script shows up by name.
func watchConsole(t *testing.T, ctx context.Context, name string) {
	var (
		mu   sync.Mutex
		msgs []chromedp.ConsoleMessage
	)
	seq := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range seq {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m)
			mu.Unlock()
		}
	}()
	// Registered after the browser's cleanup, so it runs first, while the test may still log.
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			switch {
			case m.Type == chromedp.ConsoleException:
				t.Errorf("%s: uncaught exception: %s", name, m.Text)
			case strings.Contains(m.Text, "Content Security Policy"):
				t.Errorf("%s: CSP violation: %s", name, m.Text)
			case m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning:
				t.Logf("%s: console %s: %s", name, m.Type, m.Text)
			}
		}
	})
}

// do runs steps in the tab of ctx, bounded by a minute, and fails the test with what was being done.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if _, err := get(ctx, chromedp.Steps(steps...)); err != nil {
		failureShot(t, ctx)
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value, bounded by a minute.
func get[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// must runs a that returns a value and fails the test with what was being done.
func must[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := get(ctx, a)
	if err != nil {
		failureShot(t, ctx)
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// failureShot saves what the tab showed when a step failed, as an artifact named after the test.
func failureShot(t *testing.T, ctx context.Context) {
	t.Helper()
	png, err := get(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no failure screenshot: %v", err)
		return
	}
	p := filepath.Join(artifacts(t), "failed-"+strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		t.Logf("failure screenshot %s", p)
	}
}

// waitJS waits until expr, evaluated in the page, is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Minute))
}

// artifacts returns the folder test artifacts go to: $BREAKWATER_ARTIFACTS or test-artifacts/ at the repo root.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BREAKWATER_ARTIFACTS")
	if dir == "" {
		root, err := emulators.RepoRoot()
		if err != nil {
			t.Fatalf("find repo root for test artifacts: %v", err)
		}
		dir = filepath.Join(root, "test-artifacts")
	}
	dir = filepath.Join(dir, "webui")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("make artifacts folder %s: %v", dir, err)
	}
	return dir
}

// screenshot saves a full-page PNG of ctx's page as an artifact; a readme one also goes to screenshots/, which the
// README shows, when BREAKWATER_UPDATE_SCREENSHOTS is set.
func screenshot(t *testing.T, ctx context.Context, name string, readme bool) {
	t.Helper()
	png := must(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	dirs := []string{artifacts(t)}
	if readme && os.Getenv("BREAKWATER_UPDATE_SCREENSHOTS") != "" {
		dirs = append(dirs, "screenshots")
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("make %s: %v", dir, err)
		}
		p := filepath.Join(dir, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatalf("write screenshot %s: %v", p, err)
		}
		t.Logf("screenshot %s", p)
	}
}

// openShopper loads the shopper page in English with the demo order attached or not.
func openShopper(t *testing.T, ctx context.Context, base string, withOrder bool) {
	t.Helper()
	openShopperIn(t, ctx, base, "en", withOrder)
}

// openShopperIn loads the shopper page in locale with the demo order attached or not.
func openShopperIn(t *testing.T, ctx context.Context, base, locale string, withOrder bool) {
	t.Helper()
	do(t, ctx, "open the shopper page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const set = (id, v, prop) => { const e = document.getElementById(id); e[prop] = v; e.dispatchEvent(new Event("change")); };
			set("locale", %q, "value"); set("withOrder", %t, "checked");
		})()`, locale, withOrder)),
	)
}

// ask types a question into the shopper page and sends it.
func ask(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	do(t, ctx, "ask "+text,
		chromedp.SendKeys(chromedp.ID("text"), text),
		chromedp.Click(chromedp.ID("send")),
	)
}

// signIn opens the console and signs in with the local agent token.
func signIn(t *testing.T, ctx context.Context, base, token string) {
	t.Helper()
	do(t, ctx, "open the console", chromedp.Navigate(base+"/console"), chromedp.WaitVisible(chromedp.ID("token")))
	do(t, ctx, "switch the console to English", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("bw.lang", "en")`), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("token")))
	do(t, ctx, "type the token", chromedp.SendKeys(chromedp.ID("token"), token+"\r"))
	do(t, ctx, "await the queues", chromedp.WaitVisible(chromedp.CSS("#queues .q")))
}

// takeNext waits until a contact waits, presses N and returns the text the console shows.
func takeNext(t *testing.T, ctx context.Context) string {
	t.Helper()
	do(t, ctx, "take the next contact with N",
		waitJS(`[...document.querySelectorAll("#queues .q .depth")].some(e => e.textContent !== "0")`),
		chromedp.KeyEvent("n"),
		chromedp.WaitVisible(chromedp.ID("contact")),
	)
	return must(t, ctx, "read the opening message in the thread", chromedp.TextContent(chromedp.CSS("#cThread .m.shopper .body")))
}

func TestShopperRoutineQuestionIsAnswered(t *testing.T) {
	base, _ := startSystem(t, nil)
	// The local stack marks the page it serves to sign its demo shopper; otherwise it is the function's page.
	// Both pages learn the push stage's WebSocket URL from the function's environment, and may connect to it.
	push := "ws://" + strings.TrimPrefix(base, "http://") + "/" + topology.PushStage
	checkServed(t, base+"/", runner.MarkShopperPage(ShopperPage(push)), ShopperHeaders(push))
	checkServed(t, base+"/console", Console(ConsoleConfig{Auth: AuthToken, Push: push}), ConsoleConfig{Auth: AuthToken, Push: push}.Headers())
	ctx := browser(t)
	openShopper(t, ctx, base, true)
	ask(t, ctx, "Where is my order?")
	do(t, ctx, "await the automatic answer", chromedp.WaitVisible(chromedp.CSS(".msg.bot .body")))
	answer := must(t, ctx, "read the answer", chromedp.TextContent(chromedp.CSS(".msg.bot .body")))
	for _, want := range []string{"SF1234567890"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer %q lacks %q", answer, want)
		}
	}
	screenshot(t, ctx, "shopper", true)

	// A question no shop handles is declined, and the page offers the topic menu with the decline; a topic is
	// answered. Another shopper asks it, so that it is not a repeat.
	do(t, ctx, "become another shopper", chromedp.Clear(chromedp.ID("shopper")), chromedp.SendKeys(chromedp.ID("shopper"), "shopper-1002"))
	ask(t, ctx, "what will the weather be in Paris tomorrow")
	do(t, ctx, "await the topic menu", chromedp.WaitVisible(chromedp.CSS(`.menu .chip[data-topic="order.track"]`)))
	do(t, ctx, "pick Track my order from the menu",
		chromedp.Click(chromedp.CSS(`.menu .chip[data-topic="order.track"]`)),
		// Another shopper is another conversation: the page shows only theirs, the decline and then the topic's answer.
		waitJS(`document.querySelectorAll(".msg.bot .body").length === 2`),
	)
	if got := must(t, ctx, "read the topic's answer", chromedp.Evaluate[string](`[...document.querySelectorAll(".msg.bot .body")].pop().textContent`)); !strings.Contains(got, "SF1234567890") {
		t.Errorf("answer to the order.track topic is %q, want the tracking number SF1234567890", got)
	}

	// The server's validation error is shown next to the message, not swallowed.
	do(t, ctx, "ask without a merchant",
		chromedp.Clear(chromedp.ID("merchant")),
		chromedp.SendKeys(chromedp.ID("text"), "Hello?"),
		chromedp.Click(chromedp.ID("send")),
		waitJS(`document.getElementById("err").textContent.includes("merchant")`),
		waitJS(`[...document.querySelectorAll(".status.bad")].some(e => e.textContent.includes("merchant"))`),
	)
}

func TestComplaintIsTakenAnsweredAndSeenByShopper(t *testing.T) {
	base, token := startSystem(t, nil)
	// Others wait too, at lower priorities, so the overview shows more than one queue and N must pick the complaint.
	for i, c := range []struct{ tier, text string }{
		{"standard", "Do you sell replacement lids for the ceramic teapot?"},
		{"gold", "Is the oolong from this year's spring harvest?"},
		{"standard", "Can I get the gift box engraved with a name?"},
	} {
		post(t, base, fmt.Sprintf(`{"merchant":"m1","shopper":{"id":"bg-%d","tier":%q},"locale":"en","text":%q}`, i, c.tier, c.text))
	}
	shopper := browser(t)
	openShopper(t, shopper, base, true)
	complaint := "The tea box arrived crushed and I want my money back. Can I get a refund?"
	ask(t, shopper, complaint)
	do(t, shopper, "await the queue position", chromedp.WaitVisible(chromedp.CSS(".status.queued")))

	console := tab(t, shopper, "console")
	signIn(t, console, base, token)
	if got := takeNext(t, console); got != complaint {
		t.Fatalf("console shows %q, want %q", got, complaint)
	}
	reasons := must(t, console, "read hand-off reasons", chromedp.TextContent(chromedp.ID("cReasons")))
	if !strings.Contains(reasons, "Complaint") {
		t.Errorf("reasons %q lack the readable label Complaint", reasons)
	}
	screenshot(t, console, "console", true)
	screenshot(t, shopper, "shopper-queued", false)

	// A suggested template starts the reply; the agent then writes their own.
	suggestion := must(t, console, "read the first suggestion", chromedp.TextContent(chromedp.CSS("#cSugs .sug .a")))
	do(t, console, "start from the first suggestion", chromedp.Click(chromedp.CSS("#cSugs .sug")))
	if got := must(t, console, "read the editor", chromedp.Value(chromedp.ID("reply"))); got != suggestion || got == "" {
		t.Errorf("editor holds %q after clicking the suggestion, want its answer %q", got, suggestion)
	}
	reply := "I'm sorry the box arrived damaged. I have refunded order A1001 in full."
	do(t, console, "reply with Ctrl+Enter",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("reply").value = ""`),
		chromedp.SendKeys(chromedp.ID("reply"), reply),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.WaitVisible(chromedp.CSS("#banner.ok")),
	)
	do(t, shopper, "shopper sees the reply", chromedp.WaitVisible(chromedp.CSS(".msg.agent .body")))
	if got := must(t, shopper, "read the reply", chromedp.TextContent(chromedp.CSS(".msg.agent .body"))); got != reply {
		t.Errorf("shopper sees %q, want %q", got, reply)
	}
}

func TestHTMLAndScriptAreShownAsText(t *testing.T) {
	base, token := startSystem(t, nil)
	shopper := browser(t)
	payload := `I want to complain <img src=x onerror="window.__pwned='img'"><script>window.__pwned='script'</script> about my order`
	openShopper(t, shopper, base, false)
	ask(t, shopper, payload)
	do(t, shopper, "await the queued contact", chromedp.WaitVisible(chromedp.CSS(".status.queued")))
	if got := must(t, shopper, "read the shopper's bubble", chromedp.TextContent(chromedp.CSS(".msg.me .body"))); got != payload {
		t.Errorf("shopper page shows %q, want the text %q", got, payload)
	}

	console := tab(t, shopper, "console")
	signIn(t, console, base, token)
	if got := takeNext(t, console); got != payload {
		t.Errorf("console shows %q, want the text %q", got, payload)
	}
	reply := `<b>bold</b><img src=x onerror="window.__pwned='reply'"> done`
	do(t, console, "reply with markup",
		chromedp.SetValue(chromedp.ID("reply"), reply),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS("#banner.ok")),
	)
	do(t, shopper, "shopper sees the reply", chromedp.WaitVisible(chromedp.CSS(".msg.agent .body")))
	if got := must(t, shopper, "read the reply", chromedp.TextContent(chromedp.CSS(".msg.agent .body"))); got != reply {
		t.Errorf("shopper sees %q, want the text %q", got, reply)
	}
	for name, ctx := range map[string]context.Context{"shopper": shopper, "console": console} {
		ran := must(t, ctx, "check "+name+" ran nothing", chromedp.Evaluate[bool](`window.__pwned !== undefined`))
		injected := must(t, ctx, "count injected elements", chromedp.Evaluate[int](`document.querySelectorAll("#log img, #log b, #log script, #contact img, #contact b, #contact script").length`))
		if ran || injected != 0 {
			t.Errorf("%s: window.__pwned set = %t, injected elements = %d; want false and 0", name, ran, injected)
		}
	}
}

// post sends a contact straight to the API, as another shopper would.
func post(t *testing.T, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/contacts", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("post contact %s: %v", body, err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusAccepted; got != want {
		t.Fatalf("post contact %s: status %d, want %d", body, got, want)
	}
}

func TestLeaseExtendsWhileActiveWarnsAndReportsLoss(t *testing.T) {
	base, token := startSystem(t, map[string]string{topology.EnvLeaseSeconds: "40"})
	post(t, base, `{"merchant":"m1","shopper":{"id":"s-lease"},"locale":"en","text":"I want to speak to a human about my account, please."}`)
	ctx := browser(t)
	signIn(t, ctx, base, token)
	takeNext(t, ctx)
	first := must(t, ctx, "read the lease expiry", chromedp.Evaluate[int64](`+document.getElementById("lease").dataset.expires`))
	// Pressing N was activity: before the lease runs out the page extends it by itself.
	do(t, ctx, "await the automatic extension",
		waitJS(fmt.Sprintf(`+document.getElementById("lease").dataset.expires > %d`, first)))
	do(t, ctx, "await the warning banner", chromedp.WaitVisible(chromedp.CSS("#banner.warn")))
	warning := must(t, ctx, "read the warning", chromedp.TextContent(chromedp.ID("bannerText")))
	if !strings.Contains(warning, "ends in") {
		t.Errorf("warning banner says %q, want it to say the lease ends in some seconds", warning)
	}
	// Another agent's view of the lease: the server refuses a wrong token with 409, and the page says the contact is lost.
	do(t, ctx, "replace the lease token and reload",
		chromedp.Evaluate[chromedp.Void](`(() => { const c = JSON.parse(sessionStorage.getItem("bw.claim")); c.lease.token = "not-the-lease"; sessionStorage.setItem("bw.claim", JSON.stringify(c)); })()`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("contact")),
		chromedp.SendKeys(chromedp.ID("reply"), "Hello"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS("#banner.bad")),
	)
	lost := must(t, ctx, "read the loss banner", chromedp.TextContent(chromedp.ID("bannerText")))
	if !strings.Contains(lost, "no longer hold") {
		t.Errorf("banner says %q, want it to say the agent no longer holds the contact", lost)
	}
	if disabled := must(t, ctx, "check the reply button", chromedp.Evaluate[bool](`document.getElementById("send").disabled`)); !disabled {
		t.Error("reply button is enabled after the lease was lost")
	}
}

func TestConsoleSignsInWithCognito(t *testing.T) {
	base, token := startSystem(t, nil)
	// The deployed console: the jwt config and its CSP, served in front of the real local API.
	cfg := ConsoleConfig{Auth: AuthJWT, Region: "eu-central-1", ClientID: "console-client-id"}
	api, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse stack URL %s: %v", base, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		for k, v := range cfg.Headers() {
			w.Header().Set(k, v)
		}
		w.Write(Console(cfg))
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(api))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// Cognito answers from the test: the id token it returns is the local stack's agent token, so the API accepts it.
	ctx := browser(t)
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "https://cognito-idp.*"}}}); err != nil {
		t.Fatalf("intercept Cognito: %v", err)
	}
	type call struct {
		URL, Method, Target string
		Body                map[string]any
	}
	calls := make(chan call, 10)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			c := call{URL: ev.Request.URL, Method: ev.Request.Method, Target: fmt.Sprint(ev.Request.Headers["X-Amz-Target"])}
			var body []byte
			for _, e := range ev.Request.PostDataEntries {
				body = append(body, e.Bytes...)
			}
			json.Unmarshal(body, &c.Body)
			cors := []*fetch.HeaderEntry{
				{Name: "Access-Control-Allow-Origin", Value: srv.URL},
				{Name: "Access-Control-Allow-Headers", Value: "content-type, x-amz-target, x-amz-user-agent"},
				{Name: "Access-Control-Allow-Methods", Value: "POST"},
			}
			p := fetch.FulfillRequestParams{RequestID: ev.RequestID, ResponseCode: 204, ResponseHeaders: cors}
			if c.Method == http.MethodPost {
				calls <- c
				p.ResponseCode = 200
				p.ResponseHeaders = append(cors, &fetch.HeaderEntry{Name: "Content-Type", Value: "application/x-amz-json-1.1"})
				p.Body, _ = json.Marshal(map[string]any{"AuthenticationResult": map[string]any{
					"IdToken": token, "AccessToken": "access", "RefreshToken": "refresh", "ExpiresIn": 3600, "TokenType": "Bearer"}})
			}
			chromedp.Call(ctx, fetch.FulfillRequest, p)
		}
	}()

	do(t, ctx, "sign in with user name and password",
		chromedp.Navigate(srv.URL+"/console"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "mei"),
		chromedp.SendKeys(chromedp.ID("pass"), "correct horse battery staple\r"),
		chromedp.WaitVisible(chromedp.CSS("#queues .q")),
	)
	select {
	case c := <-calls:
		if got, want := c.URL, "https://cognito-idp.eu-central-1.amazonaws.com/"; got != want {
			t.Errorf("sign-in went to %s, want %s", got, want)
		}
		if got, want := c.Target, "AWSCognitoIdentityProviderService.InitiateAuth"; got != want {
			t.Errorf("X-Amz-Target = %q, want %q", got, want)
		}
		params, _ := c.Body["AuthParameters"].(map[string]any)
		if c.Body["AuthFlow"] != "USER_PASSWORD_AUTH" || c.Body["ClientId"] != cfg.ClientID || params["USERNAME"] != "mei" || params["PASSWORD"] != "correct horse battery staple" {
			t.Errorf("InitiateAuth body = %v, want USER_PASSWORD_AUTH for client %s with the typed user name and password", c.Body, cfg.ClientID)
		}
	default:
		t.Fatal("the console reached its queues without calling Cognito")
	}
	if who := must(t, ctx, "read who is signed in", chromedp.TextContent(chromedp.ID("who"))); who != "mei" {
		t.Errorf("header shows %q signed in, want mei", who)
	}
}

func TestChineseInterface(t *testing.T) {
	base, token := startSystem(t, nil)
	shopper := browser(t)
	openShopperIn(t, shopper, base, "zh-CN", true)
	if got, want := must(t, shopper, "read the send button", chromedp.TextContent(chromedp.ID("send"))), "发送"; got != want {
		t.Errorf("send button says %q, want %q", got, want)
	}
	checkCJKFont(t)
	ask(t, shopper, "我的订单到哪了？")
	do(t, shopper, "await the automatic answer", chromedp.WaitVisible(chromedp.CSS(".msg.bot .body")))
	answer := must(t, shopper, "read the answer", chromedp.TextContent(chromedp.CSS(".msg.bot .body")))
	if !strings.Contains(answer, "SF1234567890") || !strings.ContainsFunc(answer, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("answer %q: want Chinese text with the tracking number SF1234567890", answer)
	}
	// A follow-up in the same conversation: the bot takes the thanks, and offers a person under its latest answer.
	ask(t, shopper, "好的，谢谢！")
	do(t, shopper, "await the answer to the thanks", waitJS(`document.querySelectorAll("#log .msg.bot .body").length === 2`))
	if got, want := must(t, shopper, "read the control", chromedp.TextContent(chromedp.CSS("#log .msg.bot:last-child .unhelp"))), "没有帮助？转人工"; got != want {
		t.Errorf("control under the latest answer says %q, want %q", got, want)
	}
	screenshot(t, shopper, "shopper-zh", true)

	console := tab(t, shopper, "console")
	signIn(t, console, base, token)
	do(t, console, "switch the console to Chinese", chromedp.Click(chromedp.ID("lang")))
	for sel, want := range map[string]string{"h1": "客服工作台", "#take span": "接入下一位", `#queues .q[data-priority="urgent"] .name`: "紧急"} {
		if got := must(t, console, "read "+sel, chromedp.TextContent(chromedp.CSS(sel))); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	screenshot(t, console, "console-zh", false)
}

// checkServed fetches a page from the local stack and checks the function serves exactly this package's page and headers.
func checkServed(t *testing.T, url string, page []byte, headers map[string]string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("get %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("get %s: status %d, want %d", url, got, want)
	}
	if !bytes.Equal(body, page) {
		t.Errorf("get %s: body differs from the embedded page (%d bytes, want %d)", url, len(body), len(page))
	}
	for k, want := range headers {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("get %s: %s = %q, want %q", url, k, got, want)
		}
	}
}

func TestEscalateAndRelease(t *testing.T) {
	base, token := startSystem(t, nil)
	text := "Please let me speak to a human about my account."
	post(t, base, fmt.Sprintf(`{"merchant":"m1","shopper":{"id":"s-escalate"},"locale":"en","text":%q}`, text))
	ctx := browser(t)
	signIn(t, ctx, base, token)
	if got := takeNext(t, ctx); got != text {
		t.Fatalf("console shows %q, want %q", got, text)
	}
	if got, want := must(t, ctx, "read the priority", chromedp.TextContent(chromedp.ID("cPriority"))), "High"; got != want {
		t.Fatalf("priority badge says %q, want %q", got, want)
	}
	if got, want := must(t, ctx, "read the escalation choice", chromedp.Value(chromedp.ID("escTo"))), "urgent"; got != want {
		t.Errorf("escalation offers %q first, want %q", got, want)
	}
	do(t, ctx, "escalate", chromedp.Click(chromedp.ID("escalate")), chromedp.WaitVisible(chromedp.CSS("#banner.ok")))
	if got := takeNext(t, ctx); got != text {
		t.Fatalf("after escalating, console shows %q, want %q", got, text)
	}
	if got, want := must(t, ctx, "read the priority", chromedp.TextContent(chromedp.ID("cPriority"))), "Urgent"; got != want {
		t.Errorf("after escalating, priority badge says %q, want %q", got, want)
	}
	if hidden := must(t, ctx, "check escalation is gone", chromedp.Evaluate[bool](`document.getElementById("escalate").hidden`)); !hidden {
		t.Error("an urgent contact still offers escalation")
	}
	do(t, ctx, "release", chromedp.Click(chromedp.ID("release")), chromedp.WaitVisible(chromedp.CSS("#banner.ok")), chromedp.WaitVisible(chromedp.ID("idle")))
	// Released, it waits again: take it once more and answer it, so no other test finds it.
	if got := takeNext(t, ctx); got != text {
		t.Fatalf("after releasing, console shows %q, want %q", got, text)
	}
	do(t, ctx, "answer it", chromedp.SendKeys(chromedp.ID("reply"), "Happy to help with your account."), chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("idle")))
}

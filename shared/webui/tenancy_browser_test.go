package webui

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"breakwater/shared/local/await"
)

// agentToken is the token of the shared local stack's demo agent name (see .breakwater/agents.json).
func agentToken(t *testing.T, name string) string {
	t.Helper()
	startSystem(t, nil)
	tok := shared.stack.Agent(name).Token
	if tok == "" {
		t.Fatalf("the local stack has no demo agent %s", name)
	}
	return tok
}

// api calls the local stack's HTTP API as a storefront or an agent's tool would, and decodes a JSON answer into out.
func api(t *testing.T, method, url string, body any, headers map[string]string, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, url, b, err)
		}
	}
	return resp.StatusCode
}

// queued posts a contact and waits until the responder has put it in a human queue.
func queued(t *testing.T, base string, body map[string]any) string {
	t.Helper()
	var a struct{ ID, Token string }
	if code := api(t, "POST", base+"/contacts", body, nil, &a); code != http.StatusAccepted {
		t.Fatalf("post %v = %d", body, code)
	}
	await.Until(t, time.Minute, "contact "+a.ID+" queued", func() bool {
		var st struct{ Status string }
		api(t, "GET", base+"/contacts/"+a.ID, nil, map[string]string{"X-Contact-Token": a.Token}, &st)
		return st.Status == "queued"
	})
	return a.ID
}

// The demo shopper page signs its shopper with the merchant's local key: a signed gold shopper is raised a step
// and shown to the agent as the merchant's word; with "send unsigned" on, the same gold tier raises nothing and
// the console marks the contact unverified. The console shows the agent's team and languages, and says plainly
// when the agent already holds as many contacts as allowed. Merchant m2 and its agent chen: no other test uses them.
func TestSignedShopperIsRaisedAndUnsignedIsNot(t *testing.T) {
	base, _ := startSystem(t, nil)
	chen := agentToken(t, "chen")
	shopper := browser(t)
	do(t, shopper, "open the shopper page as m2's storefront",
		chromedp.Navigate(base+"/?merchant=m2"),
		chromedp.WaitVisible(chromedp.ID("signRow")),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const set = (id, v, prop) => { const e = document.getElementById(id); e[prop] = v; e.dispatchEvent(new Event("change")); };
			set("locale", "en", "value"); set("tier", "gold", "value"); set("withOrder", false, "checked");
		})()`),
	)
	if got := must(t, shopper, "read the merchant", chromedp.Value(chromedp.ID("merchant"))); got != "m2" {
		t.Fatalf("merchant field = %q, want m2 from ?merchant=m2", got)
	}
	if hint := must(t, shopper, "read the signing hint", chromedp.TextContent(chromedp.ID("signHint"))); !strings.Contains(hint, "signs") {
		t.Errorf("hint %q, want it to say the demo storefront signs", hint)
	}
	const text = "I want to talk to a real person about my order"
	do(t, shopper, "ask signed, as a gold shopper",
		chromedp.Clear(chromedp.ID("shopper")), chromedp.SendKeys(chromedp.ID("shopper"), "gold-signed"))
	// Each shopper is a conversation of its own: the page shows one at a time, so each mark is read while it shows.
	mark := func() string {
		return must(t, shopper, "read the signed mark", chromedp.Evaluate[string](`[...document.querySelectorAll("#log .msg.me .sig")].map(e => e.dataset.signed + ":" + e.textContent).join("|")`))
	}
	ask(t, shopper, text)
	do(t, shopper, "await the queue", chromedp.WaitVisible(chromedp.CSS("#log .msg.me .sig[data-signed]")), chromedp.WaitVisible(chromedp.CSS(".status.queued")))
	tags := []string{mark()}
	do(t, shopper, "ask unsigned, as another gold shopper",
		chromedp.Click(chromedp.ID("unsigned")),
		chromedp.Clear(chromedp.ID("shopper")), chromedp.SendKeys(chromedp.ID("shopper"), "gold-unsigned"))
	ask(t, shopper, text)
	do(t, shopper, "await the second conversation queued",
		chromedp.WaitVisible(chromedp.CSS(`#log .msg.me .sig[data-signed="false"]`)), chromedp.WaitVisible(chromedp.CSS(".status.queued")))
	tags = append(tags, mark())
	if want := []string{"true:signed · Gold", "false:unsigned"}; !slices.Equal(tags, want) {
		t.Errorf("messages are marked %q, want %q", tags, want)
	}
	if hint := must(t, shopper, "read the unsigned hint", chromedp.TextContent(chromedp.ID("signHint"))); !strings.Contains(hint, "anonymous") {
		t.Errorf("hint %q with send unsigned on, want it to say the shopper is anonymous", hint)
	}
	screenshot(t, shopper, "shopper-signed", false)

	console := tab(t, shopper, "console")
	signIn(t, console, base, chen)
	do(t, console, "await the agent's team", chromedp.WaitVisible(chromedp.ID("team")))
	if got, want := must(t, console, "read the team", chromedp.TextContent(chromedp.ID("team"))), "Team m2 · Chinese, English"; got != want {
		t.Errorf("team = %q, want %q", got, want)
	}
	if got, want := must(t, console, "read who", chromedp.TextContent(chromedp.ID("who"))), "chen"; got != want {
		t.Errorf("who = %q, want %q (the agent's name as the API knows it)", got, want)
	}
	for _, c := range []struct {
		priority, shopper string
		gold, verified    bool
	}{{"Urgent", "gold-signed", true, true}, {"High", "gold-unsigned", false, false}} {
		takeNext(t, console)
		if got := must(t, console, "read the priority", chromedp.TextContent(chromedp.ID("cPriority"))); got != c.priority {
			t.Errorf("%s: priority %q, want %q", c.shopper, got, c.priority)
		}
		ctx := must(t, console, "read the context", chromedp.TextContent(chromedp.ID("cContext")))
		reasons := must(t, console, "read the reasons", chromedp.TextContent(chromedp.ID("cReasons")))
		if !strings.Contains(ctx, c.shopper) || strings.Contains(reasons, "Gold member") != c.gold {
			t.Errorf("%s: context %q, reasons %q; want this shopper, and Gold member only when signed", c.shopper, ctx, reasons)
		}
		hidden := must(t, console, "is the unverified badge hidden", chromedp.Evaluate[bool](`document.getElementById("cUnverified").hidden && document.getElementById("cUnverifiedNote").hidden`))
		if hidden != c.verified {
			t.Errorf("%s: unverified badge and note hidden = %t, want %t", c.shopper, hidden, c.verified)
		}
		if !c.verified {
			screenshot(t, console, "console-unverified", false)
		}
		do(t, console, "answer it", chromedp.SendKeys(chromedp.ID("reply"), "Happy to help."), chromedp.Click(chromedp.ID("send")),
			chromedp.WaitVisible(chromedp.ID("idle")))
	}

	// chen takes three contacts elsewhere (another tab, a script): the console's claim is then refused, and it says why.
	var ids []string
	for i := range 4 {
		ids = append(ids, queued(t, base, map[string]any{"merchant": "m2", "shopper": map[string]any{"id": fmt.Sprintf("limit-%d", i)}, "locale": "en", "text": text}))
	}
	var leases []string
	bearer := map[string]string{"Authorization": "Bearer " + chen}
	for range 3 {
		var cl struct {
			Contact struct{ ID string }
			Lease   struct{ Token string }
		}
		if code := api(t, "POST", base+"/agent/claim", nil, bearer, &cl); code != http.StatusOK {
			t.Fatalf("claim elsewhere = %d", code)
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == cl.Contact.ID })
		leases = append(leases, cl.Contact.ID+" "+cl.Lease.Token)
	}
	do(t, console, "press N while holding three contacts elsewhere",
		waitJS(`[...document.querySelectorAll("#queues .q .depth")].some(e => e.textContent !== "0")`),
		chromedp.KeyEvent("n"),
		chromedp.WaitVisible(chromedp.CSS("#banner.warn")),
	)
	if msg := must(t, console, "read the lease limit message", chromedp.TextContent(chromedp.ID("bannerText"))); !strings.Contains(msg, "as many contacts as an agent may") {
		t.Errorf("banner says %q, want it to say the agent holds as many contacts as allowed", msg)
	}
	if visible := must(t, console, "is a contact shown", chromedp.Evaluate[bool](`!document.getElementById("contact").hidden`)); visible {
		t.Error("the console shows a contact although the claim was refused")
	}
	for _, l := range leases {
		id, lease, _ := strings.Cut(l, " ")
		if code := api(t, "POST", base+"/agent/contacts/"+id+"/reply", map[string]string{"lease": lease, "text": "done"}, bearer, nil); code != http.StatusOK {
			t.Errorf("reply to %s = %d", id, code)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("contacts left waiting = %v, want one", ids)
	}
	if got := takeNext(t, console); got != text {
		t.Errorf("after the others were answered the console takes %q, want the last waiting contact", got)
	}
	do(t, console, "answer it", chromedp.SendKeys(chromedp.ID("reply"), "Happy to help."), chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("idle")))
}

// empty clears the input with id, as selecting its text and deleting it would.
func empty(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = ""`, id))
}

// totp is RFC 6238's code for secret (base32, as Cognito's SecretCode) at the 30-second step of at.
func totp(secret string, at time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return ""
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	h := m.Sum(nil)
	o := h[len(h)-1] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(h[o:o+4])&0x7fffffff)%1000000)
}

// wrongCode is a six-digit code that secret's authenticator does not show around now.
func wrongCode(secret string) string {
	now := time.Now()
	for _, c := range []string{"000000", "111111", "222222"} {
		if c != totp(secret, now) && c != totp(secret, now.Add(-30*time.Second)) && c != totp(secret, now.Add(30*time.Second)) {
			return c
		}
	}
	return "333333"
}

// fakeCognito answers the user pool API calls the console makes, as Cognito's JSON protocol does: the browser's
// peer, served by the test on 127.0.0.1. A user may have to change a temporary password and enrol an
// authenticator app before MFA; codes are checked by RFC 6238 with a step either side, as Cognito does.
type fakeCognito struct {
	clientID, origin, idToken string

	mu       sync.Mutex
	users    map[string]*fakeUser
	sessions map[string]fakeSession
	calls    []string // X-Amz-Target operations, with the challenge answered
	refresh  []string // refresh tokens issued
	revoked  []string
}

type fakeUser struct {
	password   string
	mustChange bool
	secret     string // set by AssociateSoftwareToken
	enrolled   bool
}

type fakeSession struct{ user, step string }

func (f *fakeCognito) token(prefix string) string { return prefix + "-" + rand.Text() }

func (f *fakeCognito) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", f.origin)
	w.Header().Set("Access-Control-Allow-Headers", "content-type, x-amz-target, x-amz-user-agent")
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	fail := func(typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fail("InvalidRequestException", "not a Cognito JSON call")
		return
	}
	var in struct {
		AuthFlow, ClientId, ChallengeName, Session, UserCode, Token string
		AuthParameters, ChallengeResponses                          map[string]string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail("InvalidParameterException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.TrimSuffix(op+" "+in.ChallengeName, " "))
	challenge := func(name, user, step string) map[string]any {
		s := f.token("session")
		f.sessions[s] = fakeSession{user: user, step: step}
		return map[string]any{"ChallengeName": name, "Session": s, "ChallengeParameters": map[string]string{"USER_ID_FOR_SRP": user}}
	}
	next := func(user string) map[string]any {
		u := f.users[user]
		switch {
		case u.mustChange:
			return challenge("NEW_PASSWORD_REQUIRED", user, "newpass")
		case !u.enrolled:
			return challenge("MFA_SETUP", user, "setup")
		}
		return challenge("SOFTWARE_TOKEN_MFA", user, "mfa")
	}
	tokens := func() map[string]any {
		rt := f.token("refresh")
		f.refresh = append(f.refresh, rt)
		return map[string]any{"AuthenticationResult": map[string]any{"IdToken": f.idToken, "AccessToken": f.token("access"), "RefreshToken": rt, "ExpiresIn": 3600, "TokenType": "Bearer"}}
	}
	validCode := func(secret, code string) bool {
		now := time.Now()
		return secret != "" && (code == totp(secret, now) || code == totp(secret, now.Add(-30*time.Second)) || code == totp(secret, now.Add(30*time.Second)))
	}
	session, known := f.sessions[in.Session]
	var out map[string]any
	switch op {
	case "InitiateAuth":
		u := f.users[in.AuthParameters["USERNAME"]]
		if in.AuthFlow != "USER_PASSWORD_AUTH" || in.ClientId != f.clientID || u == nil || u.password != in.AuthParameters["PASSWORD"] {
			fail("NotAuthorizedException", "Incorrect username or password.")
			return
		}
		out = next(in.AuthParameters["USERNAME"])
	case "RespondToAuthChallenge":
		if !known || in.ClientId != f.clientID || in.ChallengeResponses["USERNAME"] != session.user {
			fail("NotAuthorizedException", "Invalid session for the user, session is expired.")
			return
		}
		u := f.users[session.user]
		switch {
		case in.ChallengeName == "NEW_PASSWORD_REQUIRED" && session.step == "newpass":
			if len(in.ChallengeResponses["NEW_PASSWORD"]) < 12 {
				fail("InvalidPasswordException", "Password does not conform to policy")
				return
			}
			u.password, u.mustChange = in.ChallengeResponses["NEW_PASSWORD"], false
			out = next(session.user)
		case in.ChallengeName == "SOFTWARE_TOKEN_MFA" && session.step == "mfa":
			if !validCode(u.secret, in.ChallengeResponses["SOFTWARE_TOKEN_MFA_CODE"]) {
				fail("CodeMismatchException", "Invalid code received for user")
				return
			}
			out = tokens()
		case in.ChallengeName == "MFA_SETUP" && session.step == "verified":
			out = tokens()
		default:
			fail("InvalidParameterException", "unexpected challenge "+in.ChallengeName+" at "+session.step)
			return
		}
		delete(f.sessions, in.Session)
	case "AssociateSoftwareToken":
		if !known || session.step != "setup" {
			fail("NotAuthorizedException", "Invalid session")
			return
		}
		b := make([]byte, 20)
		rand.Read(b)
		f.users[session.user].secret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
		delete(f.sessions, in.Session)
		s := f.token("session")
		f.sessions[s] = fakeSession{user: session.user, step: "associated"}
		out = map[string]any{"SecretCode": f.users[session.user].secret, "Session": s}
	case "VerifySoftwareToken":
		if !known || session.step != "associated" {
			fail("NotAuthorizedException", "Invalid session")
			return
		}
		if !validCode(f.users[session.user].secret, in.UserCode) {
			fail("EnableSoftwareTokenMFAException", "Code mismatch")
			return
		}
		f.users[session.user].enrolled = true
		delete(f.sessions, in.Session)
		s := f.token("session")
		f.sessions[s] = fakeSession{user: session.user, step: "verified"}
		out = map[string]any{"Status": "SUCCESS", "Session": s}
	case "RevokeToken":
		if in.ClientId != f.clientID || !slices.Contains(f.refresh, in.Token) {
			fail("UnsupportedTokenTypeException", "not a refresh token of this client")
			return
		}
		f.revoked = append(f.revoked, in.Token)
		out = map[string]any{}
	default:
		fail("UnknownOperationException", op)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// expire drops every open challenge session, as Cognito does after a few minutes.
func (f *fakeCognito) expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sessions)
}

func (f *fakeCognito) state() (calls, refresh, revoked []string, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), slices.Clone(f.refresh), slices.Clone(f.revoked), f.users["nora"].secret
}

// The deployed console's sign-in against a Cognito that requires TOTP: a new agent changes the temporary password,
// enrols an authenticator app from the key and otpauth:// link the page shows, and is signed in; sign-out revokes
// the refresh token; the next sign-in answers the SOFTWARE_TOKEN_MFA challenge, a wrong code is said plainly, and
// an expired challenge starts over. The page may reach only the Cognito endpoint its config names (CSP), and
// the id token it gets works against the real local API.
func TestConsoleEnrolsAndAnswersMFA(t *testing.T) {
	base, token := startSystem(t, nil)
	apiURL, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeCognito{clientID: "console-client-id", idToken: token,
		users:    map[string]*fakeUser{"nora": {password: "Temp-Passw0rd!", mustChange: true}},
		sessions: map[string]fakeSession{}}
	idp := httptest.NewServer(fake)
	t.Cleanup(idp.Close)
	cfg := ConsoleConfig{Auth: AuthJWT, Region: "eu-central-1", ClientID: fake.clientID, Endpoint: idp.URL}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		for k, v := range cfg.Headers() {
			w.Header().Set(k, v)
		}
		w.Write(Console(cfg))
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(apiURL))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fake.origin = srv.URL
	if csp := cfg.Headers()["Content-Security-Policy"]; !strings.Contains(csp, "connect-src 'self' "+idp.URL+";") {
		t.Fatalf("CSP %q does not let the page reach %s alone", csp, idp.URL)
	}

	ctx := browser(t)
	errText := func() string {
		return must(t, ctx, "read the sign-in message", chromedp.TextContent(chromedp.ID("signinErr")))
	}
	do(t, ctx, "sign in with the temporary password",
		chromedp.Navigate(srv.URL+"/console"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem("bw.lang", "en")`), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "nora"),
		chromedp.SendKeys(chromedp.ID("pass"), "Temp-Passw0rd!\r"),
		chromedp.WaitVisible(chromedp.ID("newPass")),
		chromedp.SendKeys(chromedp.ID("newPass"), "Nora-0wn-Passw0rd!\r"),
		chromedp.WaitVisible(chromedp.ID("setupCode")),
	)
	_, _, _, secret := fake.state()
	shown := must(t, ctx, "read the key", chromedp.TextContent(chromedp.ID("totpSecret")))
	uri := must(t, ctx, "read the link", chromedp.TextContent(chromedp.ID("totpUri")))
	if shown != secret || secret == "" {
		t.Fatalf("page shows key %q, want Cognito's SecretCode %q", shown, secret)
	}
	if want := "otpauth://totp/Breakwater%3Anora?secret=" + secret + "&issuer=Breakwater"; uri != want {
		t.Errorf("link = %q, want %q", uri, want)
	}
	screenshot(t, ctx, "console-mfa-setup", false)
	do(t, ctx, "enter a wrong code", chromedp.SendKeys(chromedp.ID("setupCode"), wrongCode(secret)+"\r"),
		waitJS(`document.getElementById("signinErr").textContent.includes("not right")`))
	do(t, ctx, "enter the app's code",
		empty("setupCode"),
		chromedp.SendKeys(chromedp.ID("setupCode"), totp(secret, time.Now())+"\r"),
		chromedp.WaitVisible(chromedp.CSS("#queues .q")),
		chromedp.WaitVisible(chromedp.ID("team")),
	)
	if got, want := must(t, ctx, "read who", chromedp.TextContent(chromedp.ID("who"))), "nora"; got != want {
		t.Errorf("who = %q, want %q", got, want)
	}
	if got, want := must(t, ctx, "read the team", chromedp.TextContent(chromedp.ID("team"))), "Team m1 · Chinese, English"; got != want {
		t.Errorf("team = %q, want %q", got, want)
	}

	do(t, ctx, "sign out", chromedp.Click(chromedp.ID("signout")), chromedp.WaitVisible(chromedp.ID("user")))
	_, issued, revoked, _ := fake.state()
	if len(issued) != 1 || !slices.Equal(revoked, issued) {
		t.Errorf("revoked %v, want the one refresh token issued %v", revoked, issued)
	}

	signInAgain := func() {
		do(t, ctx, "sign in with the new password",
			empty("user"),
			chromedp.SendKeys(chromedp.ID("user"), "nora"),
			chromedp.SendKeys(chromedp.ID("pass"), "Nora-0wn-Passw0rd!\r"),
			chromedp.WaitVisible(chromedp.ID("mfaCode")),
		)
	}
	signInAgain()
	do(t, ctx, "enter a wrong code", chromedp.SendKeys(chromedp.ID("mfaCode"), wrongCode(secret)+"\r"),
		waitJS(`document.getElementById("signinErr").textContent.includes("not right")`))
	if visible := must(t, ctx, "is the code field still there", chromedp.Evaluate[bool](`!document.getElementById("mfaMode").hidden`)); !visible {
		t.Fatal("a wrong code left the MFA step")
	}
	fake.expire()
	do(t, ctx, "answer after the challenge expired",
		empty("mfaCode"),
		chromedp.SendKeys(chromedp.ID("mfaCode"), totp(secret, time.Now())+"\r"),
		chromedp.WaitVisible(chromedp.ID("user")))
	if msg := errText(); !strings.Contains(msg, "took too long") {
		t.Errorf("after an expired challenge the page says %q, want that the sign-in took too long", msg)
	}
	signInAgain()
	do(t, ctx, "enter the app's code",
		chromedp.SendKeys(chromedp.ID("mfaCode"), totp(secret, time.Now())+"\r"),
		chromedp.WaitVisible(chromedp.CSS("#queues .q")),
	)
	calls, _, _, _ := fake.state()
	want := []string{"InitiateAuth", "RespondToAuthChallenge NEW_PASSWORD_REQUIRED", "AssociateSoftwareToken",
		"VerifySoftwareToken", "VerifySoftwareToken", "RespondToAuthChallenge MFA_SETUP", "RevokeToken",
		"InitiateAuth", "RespondToAuthChallenge SOFTWARE_TOKEN_MFA", "RespondToAuthChallenge SOFTWARE_TOKEN_MFA",
		"InitiateAuth", "RespondToAuthChallenge SOFTWARE_TOKEN_MFA"}
	if !slices.Equal(calls, want) {
		t.Errorf("Cognito calls:\n%q\nwant\n%q", calls, want)
	}
}

// The page as the intake function serves it, deployed (unmarked): it never asks for a signature, offers no
// "send unsigned" switch, says a shop's own server signs, and posts its shopper unsigned.
func TestDeployedShopperPageNeverSigns(t *testing.T) {
	base, _ := startSystem(t, nil)
	apiURL, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var signs, posts []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		for k, v := range Headers() {
			w.Header().Set(k, v)
		}
		w.Write(Shopper())
	})
	mux.HandleFunc("/_local/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		signs = append(signs, r.Method+" "+r.URL.Path)
		mu.Unlock()
		http.NotFound(w, r)
	})
	proxy := httputil.NewSingleHostReverseProxy(apiURL)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/contacts" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			mu.Lock()
			posts = append(posts, string(b))
			mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browser(t)
	openShopper(t, ctx, srv.URL, true)
	if hidden := must(t, ctx, "is the switch hidden", chromedp.Evaluate[bool](`document.getElementById("signRow").hidden`)); !hidden {
		t.Error("the deployed page offers a 'send unsigned' switch")
	}
	if hint := must(t, ctx, "read the hint", chromedp.TextContent(chromedp.ID("signHint"))); !strings.Contains(hint, "does not sign") {
		t.Errorf("hint %q, want it to say the page does not sign", hint)
	}
	do(t, ctx, "set a gold tier", chromedp.SetValue(chromedp.ID("tier"), "gold"))
	ask(t, ctx, "I want to talk to a real person about my order")
	do(t, ctx, "await the queue", chromedp.WaitVisible(chromedp.CSS(".status.queued")))
	if got := must(t, ctx, "read the mark", chromedp.Evaluate[string](`document.querySelector(".msg.me .sig").dataset.signed`)); got != "false" {
		t.Errorf("message marked signed = %q, want false", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(signs) != 0 {
		t.Errorf("the deployed page called %v", signs)
	}
	if len(posts) != 1 || strings.Contains(posts[0], `"identity"`) {
		t.Errorf("posts %q, want one without an identity", posts)
	}
}

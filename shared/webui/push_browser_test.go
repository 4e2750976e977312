package webui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"breakwater/shared/topology"
)

// With push, an agent's reply reaches the shopper page and the shopper's answer reaches the console although
// both pages' safety polls are set to ten minutes, far beyond the test's waits: only the content-free poke
// over the WebSocket can bring them in time. English and Chinese screenshots of both. A stack of its own, so
// that N takes this conversation and no other test's.
func TestPushDeliversRepliesWithoutPolling(t *testing.T) {
	base, token := startSystem(t, map[string]string{topology.EnvLeaseSeconds: "240"})
	shopper := browser(t)
	do(t, shopper, "set both pages' safety polls to ten minutes",
		chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("text")),
		chromedp.Evaluate[chromedp.Void](`localStorage.setItem("bw.push.safetyMs", "600000")`))
	openShopper(t, shopper, base, true)
	setShopper(t, shopper, fmt.Sprintf("s-push-%d", time.Now().UnixNano()))
	ask(t, shopper, "I was charged twice for my order, please help")
	do(t, shopper, "await the queue and the registered socket",
		chromedp.WaitVisible(chromedp.CSS("#tail .status.queued")),
		waitJS(`document.body.dataset.push === "on"`),
	)

	console := tab(t, shopper, "console")
	signIn(t, console, base, token)
	do(t, console, "await the console's registered socket, then count its overview polls from here on",
		waitJS(`document.body.dataset.push === "on"`),
		chromedp.Evaluate[chromedp.Void](`(() => {
			window.overviewPolls = 0;
			const f = window.fetch;
			window.fetch = function (u) { if (String(u).includes("/agent/queues")) { window.overviewPolls++; } return f.apply(this, arguments); };
		})()`))
	do(t, console, "mark the overview shown so far", waitJS(`document.querySelectorAll("#queues > *").length > 0`),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("#queues > *").forEach(e => { e.dataset.old = "1"; })`))
	if got := takeNext(t, console); got != "I was charged twice for my order, please help" {
		t.Fatalf("console opened %q, want the shopper's question", got)
	}
	// The claim's answer brings the overview: the console shows it without asking for it.
	do(t, console, "the overview shown again after the claim",
		waitJS(`document.querySelectorAll("#queues > *").length > 0 && !document.querySelector("#queues > [data-old]")`))
	// The page has seen the claim (by push or its queue-paced poll): from now on it polls every ten minutes.
	do(t, shopper, "the shopper page shows the agent joining", chromedp.WaitVisible(chromedp.CSS(`#log .sys[data-event="agent.joined"]`)))
	question := "Which card was charged twice?"
	do(t, console, "send and wait",
		chromedp.SendKeys(chromedp.ID("reply"), question),
		chromedp.Click(chromedp.ID("sendWait")),
		chromedp.WaitVisible(chromedp.CSS(`#mine .mine[data-status="waiting"]`)),
	)
	do(t, shopper, "the agent's question arrives by push",
		waitJS(fmt.Sprintf(`[...document.querySelectorAll("#log .msg.agent .body")].some(e => e.textContent === %q)`, question)),
		chromedp.WaitVisible(chromedp.CSS(`#log .sys[data-event="waiting"]`)),
	)
	if got := must(t, shopper, "read the socket state", chromedp.Evaluate[string](`document.body.dataset.push`)); got != "on" {
		t.Errorf("shopper socket %q after the reply, want still on", got)
	}
	screenshot(t, shopper, "shopper-push", false)
	checkCJKFont(t)
	do(t, shopper, "switch the shopper page to Chinese", chromedp.Evaluate[chromedp.Void](`(() => {
		const e = document.getElementById("locale"); e.value = "zh-CN"; e.dispatchEvent(new Event("change"));
	})()`))
	if got := must(t, shopper, "read the waiting line in Chinese", chromedp.TextContent(chromedp.CSS(`#log .sys[data-event="waiting"]`))); !strings.ContainsFunc(got, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("waiting line reads %q in Chinese", got)
	}
	screenshot(t, shopper, "shopper-push-zh", false)

	answer := "尾号4242的Visa卡"
	ask(t, shopper, answer)
	do(t, console, "the shopper's answer arrives by push",
		waitJS(fmt.Sprintf(`(() => { const m = [...document.querySelectorAll("#cThread .m")].pop(); return !!m && m.classList.contains("shopper") && m.textContent.includes(%q); })()`, answer)),
		waitJS(`document.getElementById("cStatus").textContent === "The shopper answered"`),
	)
	screenshot(t, console, "console-push", false)
	do(t, console, "switch the console to Chinese", chromedp.Click(chromedp.ID("lang")))
	screenshot(t, console, "console-push-zh", false)
	do(t, console, "switch the console back to English", chromedp.Click(chromedp.ID("lang")))

	resolution := "Refunded the second charge."
	do(t, console, "send and resolve",
		chromedp.SendKeys(chromedp.ID("reply"), resolution),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("idle")),
	)
	// Claim, re-reads, send-and-wait and resolve each brought the overview along: no poll of its own.
	if got := must(t, console, "count the overview polls", chromedp.Evaluate[int](`window.overviewPolls`)); got != 0 {
		t.Errorf("the console asked for the overview %d times while its answers carried it, want 0", got)
	}
	do(t, shopper, "the resolution arrives by push, and the socket closes with no person left",
		waitJS(fmt.Sprintf(`[...document.querySelectorAll("#log .msg.agent .body")].some(e => e.textContent === %q)`, resolution)),
		chromedp.WaitVisible(chromedp.CSS(`#log .sys[data-event="resolved"]`)),
		waitJS(`document.body.dataset.push === "off"`),
	)
}

package triage_test

import (
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"breakwater/shared/answer/pack"
	"breakwater/shared/contact"
	"breakwater/shared/priority"
	"breakwater/shared/triage"
)

// benchContacts is a peak-hour mix: routine questions in both locales (some needing the order in the context to
// render), and contacts a person must take.
func benchContacts() map[string][]contact.Contact {
	amount := 299.0
	order := &contact.Context{Order: &contact.Order{ID: "A100", Status: "shipped", Carrier: "SF Express",
		TrackingNumber: "SF1234567890", EstimatedDelivery: "2026-11-25", Amount: &amount, Currency: "CNY"}}
	product := &contact.Context{Product: &contact.Product{SKU: "SKU-1", Name: "Down jacket", Attributes: map[string]string{"size": "M"}}}
	mk := func(locale contact.Locale, ctx *contact.Context, texts ...string) []contact.Contact {
		var cs []contact.Contact
		for _, t := range texts {
			cs = append(cs, contact.Contact{ID: "c_aaaaaaaaaaaaaaaaaaaaaaaaaa", Merchant: "m1",
				Shopper: contact.Shopper{ID: "s-1", Tier: contact.Standard}, Locale: locale, Channel: "web", Text: t,
				Context: ctx, ReceivedAt: time.Date(2026, 11, 11, 0, 0, 1, 0, time.UTC), TokenHash: "0f35d0ae"})
		}
		return cs
	}
	var routineEN, routineZH []contact.Contact
	routineEN = append(routineEN, mk(contact.English, order, "where is my parcel", "when will my order arrive?",
		"can you track my package please")...)
	routineEN = append(routineEN, mk(contact.English, nil, "what is your return policy", "what payment methods do you accept",
		"how long does shipping take", "how do i use a coupon", "forgot my password", "i need an invoice for my order",
		"what are your customer service hours")...)
	routineZH = append(routineZH, mk(contact.Chinese, order, "我的快递到哪了", "订单什么时候到")...)
	routineZH = append(routineZH, mk(contact.Chinese, nil, "支持哪些付款方式？", "可以退货吗", "多久发货", "优惠券怎么用",
		"忘记密码了", "能开发票吗", "客服几点上班")...)
	routineZH = append(routineZH, mk(contact.Chinese, product, "这个是什么材质的")...)
	handoff := append(mk(contact.English, order, "I was charged twice, this is unacceptable",
		"I want to talk to a real person", "my package arrived damaged and I want compensation",
		"what's the weather like in Paris"),
		mk(contact.Chinese, order, "转人工！快递太慢了，差评", "收到的东西是坏的，我要投诉", "有人盗刷了我的卡")...)
	var mixed []contact.Contact
	// Mostly routine, like the surge mix: 8 routine to 2 hand-offs.
	for i := range 40 {
		switch {
		case i%5 == 4:
			mixed = append(mixed, handoff[(i/5)%len(handoff)])
		case i%2 == 0:
			mixed = append(mixed, routineEN[(i/2)%len(routineEN)])
		default:
			mixed = append(mixed, routineZH[(i/2)%len(routineZH)])
		}
	}
	return map[string][]contact.Contact{"routine-en": routineEN, "routine-zh": routineZH, "handoff": handoff, "mixed": mixed}
}

// builtDefault is the shipped pack's triage, built and trained once per test binary: training takes seconds.
var builtDefault = sync.OnceValues(func() (*triage.Triage, error) {
	ts, err := pack.Default()
	if err != nil {
		return nil, err
	}
	return triage.New(ts, map[string]priority.Rules{})
})

func defaultTriage(tb testing.TB) *triage.Triage {
	tb.Helper()
	tri, err := builtDefault()
	if err != nil {
		tb.Fatal(err)
	}
	return tri
}

// BenchmarkDecide measures classify + render for one contact with the default pack (target: 20 µs, 40 allocations).
func BenchmarkDecide(b *testing.B) {
	tri := defaultTriage(b)
	now := time.Date(2026, 11, 11, 0, 0, 2, 0, time.UTC)
	sets := benchContacts()
	for _, name := range []string{"routine-en", "routine-zh", "handoff", "mixed"} {
		cs := sets[name]
		b.Run(name, func(b *testing.B) {
			auto := 0
			for _, c := range cs {
				if tri.Decide(c, now).Auto {
					auto++
				}
			}
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu0 := cpuTime()
			i := 0
			for b.Loop() {
				tri.Decide(cs[i%len(cs)], now)
				i++
			}
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/contact")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(i), "cpu-ns/contact")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(i), "allocs/contact")
			b.ReportMetric(float64(auto)/float64(len(cs)), "auto-share")
		})
	}
}

// BenchmarkNew measures a template load's index build and training with the default pack (once per cold start and per catalog change).
func BenchmarkNew(b *testing.B) {
	ts, err := pack.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := triage.New(ts, map[string]priority.Rules{}); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time this process has used (user and system, every thread, GC included). On a shared machine
// it is the honest cost per operation: wall time per op also counts the time other processes held the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

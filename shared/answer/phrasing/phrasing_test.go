package phrasing

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

const sample = `
# wrappers every class shares
$want: i (want|need) to $vp | (can|could) you $vp
@class order.cancel n=50
$vp:
  cancel my order
  call off the (purchase|order)
> $want
>3 $vp (please|)
@class warranty n=5
$vp: fix it
> $want
`

func TestGenerate(t *testing.T) {
	g, err := Parse(sample)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Classes(), []string{"order.cancel", "warranty"}; !slices.Equal(got, want) {
		t.Fatalf("classes = %v, want %v", got, want)
	}
	out := g.Generate(1, nil)
	for _, s := range out["order.cancel"] {
		if strings.Contains(s, "$") || strings.Contains(s, "(") || strings.Contains(s, "  ") || s != strings.TrimSpace(s) {
			t.Errorf("unexpanded or untidy sentence %q", s)
		}
		if !strings.Contains(s, "cancel") && !strings.Contains(s, "call off") {
			t.Errorf("order.cancel sentence %q lacks its class's own $vp", s)
		}
	}
	// The grammar has (2+2) x 3 wrapped and 3 x 2 bare sentences: all 18 found, none twice.
	if got := len(out["order.cancel"]); got != 18 {
		t.Errorf("order.cancel: %d sentences, want all 18 distinct ones: %q", got, out["order.cancel"])
	}
	if got := out["warranty"]; len(got) != 4 || !slices.Contains(got, "could you fix it") {
		t.Errorf("warranty = %q, want the global wrapper around its local $vp", got)
	}
	if again := g.Generate(1, nil); !slices.Equal(again["order.cancel"], out["order.cancel"]) {
		t.Error("the same seed gave different sentences")
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"undefined rule":       "@class a\n> $nope\n",
		"pattern before class": "> hello\n",
		"unbalanced":           "@class a\n> (a|b\n",
		"no patterns":          "@class a\n$x: y\n",
		"twice":                "@class a\n> x\n@class a\n> y\n",
		"bad count":            "@class a n=zero\n> x\n",
		"stray line":           "hello\n",
	} {
		if _, err := Parse(text); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}
}

func TestNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	typo := Typos(1)
	changed := 0
	for range 100 {
		if s := typo(rng, "where is my package today"); s != "where is my package today" {
			changed++
			if len(strings.Fields(s)) != 5 {
				t.Fatalf("a typo changed the words: %q", s)
			}
		}
	}
	if changed < 90 {
		t.Errorf("rate 1 misspelt %d of 100", changed)
	}
	if got := joinHan("请问 怎么 取消 订单 ， order 123 呢"); got != "请问怎么取消订单，order 123呢" {
		t.Errorf("joinHan = %q", got)
	}
}

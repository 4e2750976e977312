package answer

import (
	_ "embed"
	"strings"
)

//go:embed outofscope.txt
var outOfScopeText string

// outOfScope are pseudo-templates (no intent, never answered) holding off-topic questions per locale: the
// matcher's classifier learns them as one more class, whose share of probability lowers every real
// template's confidence for chit-chat, general knowledge and other shops' questions.
var outOfScope = parseOutOfScope(outOfScopeText)

func parseOutOfScope(text string) []Template {
	byLocale := map[string]*Template{}
	var order []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		locale, q, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		t, seen := byLocale[locale]
		if !seen {
			t = &Template{ID: "out-of-scope." + locale, Locale: locale, Merchant: Platform}
			byLocale[locale] = t
			order = append(order, locale)
		}
		t.Examples = append(t.Examples, q)
	}
	out := make([]Template, 0, len(order))
	for _, l := range order {
		out = append(out, *byLocale[l])
	}
	return out
}

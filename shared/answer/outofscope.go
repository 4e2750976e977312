package answer

import (
	_ "embed"
	"strings"
)

//go:embed outofscope.txt
var outOfScopeText string

// OffTopic is the class of text no shop answers (chit-chat, general knowledge, other shops): with its sentences
// in the Training, its share of probability lowers every template's confidence for such text, and a triage may
// decline it politely.
const OffTopic = "offtopic"

// OffTopicExamples returns the hand-written off-topic questions of outofscope.txt, by locale.
func OffTopicExamples() map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(outOfScopeText, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if locale, q, ok := strings.Cut(line, "|"); ok {
			out[locale] = append(out[locale], q)
		}
	}
	return out
}

package triage

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"breakwater/shared/answer"
)

// Normalize is the text the guards and the matcher read: Unicode NFKC (full-width letters, ligatures and the like
// become plain ones), invisible format characters removed (a zero-width space inside "fr\u200baud" must not hide
// the word), and Traditional Chinese written in Simplified characters.
func Normalize(text string) string {
	if isPlainASCII(text) {
		return text
	}
	text = norm.NFKC.String(text)
	if strings.IndexFunc(text, invisible) >= 0 {
		text = strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, text)
	}
	return answer.Simplify(text)
}

// invisible reports format characters (zero-width spaces and joiners, direction marks, soft hyphens, the BOM).
func invisible(r rune) bool { return unicode.Is(unicode.Cf, r) }

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

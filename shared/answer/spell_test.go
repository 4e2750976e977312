package answer

import (
	"fmt"
	"testing"
)

func TestSpellerCorrects(t *testing.T) {
	// Words by frequency: a few common ones, filler down to rank rareRank, then rare ones.
	words := []string{"coupon", "refund", "warranty", "order"}
	for i := len(words); i < int(rareRank); i++ {
		words = append(words, fmt.Sprintf("filler%c%c%c", 'a'+i%26, 'a'+i/26%26, 'a'+i/676%26))
	}
	words = append(words, "cupon", "ordex", "zebra")
	sp := newSpeller(words)
	knownSet := map[string]bool{"cupon": true, "ordex": true, "zebra": true, "refund": true}
	known := func(w []rune) bool { return knownSet[string(w)] }
	for _, tt := range []struct{ in, want string }{
		{"refnd", "refund"},      // unknown, one letter dropped
		{"warrenty", "warranty"}, // unknown, one letter changed
		{"refund", "refund"},     // known and common
		{"cupon", "coupon"},      // known but rare, and a far commoner word is one edit away
		{"zebra", "zebra"},       // known, rare, and nothing near
		{"ord", "ord"},           // too short to correct
	} {
		if got := string(sp.correct([]rune(tt.in), known)); got != tt.want {
			t.Errorf("correct(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

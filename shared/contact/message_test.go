package contact

import (
	"fmt"
	"testing"
	"time"
)

// A message's id sorts after the system events of its millisecond (a reopening is "#0", an agent joining "#j…")
// and before the bot's reply to it ("#r") and its own event ("#e"), whatever its random tie-breaker.
func TestMessageIDsSortAfterTheirMillisecondsSystemEvents(t *testing.T) {
	at := time.UnixMilli(1796587164375)
	ms := fmt.Sprintf("%013d", at.UnixMilli())
	for range 2000 {
		id := MessageID(at)
		for _, before := range []string{ms + "#0", ms + "#j" + "zzzzzzzz"} {
			if !(before < id) {
				t.Fatalf("system event %s does not sort before message %s", before, id)
			}
		}
		if !(id < ReplyID(id)) || !(id < id+"#e") {
			t.Fatalf("message %s does not sort before its reply and event", id)
		}
	}
}

package runner

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// The local publish tick sends the deployed schedule's event, which is the sample event.
func TestVoicePublishEventIsTheSample(t *testing.T) {
	sample, err := os.ReadFile("../../../events/voice/publish.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(sample, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(VoicePublishEvent), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("VoicePublishEvent = %s, want events/voice/publish.json: %s", VoicePublishEvent, sample)
	}
}

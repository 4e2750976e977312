package contact

import (
	"encoding/json"
	"regexp"
)

// Poke is what a page's WebSocket receives when a conversation it follows changed: which one, and nothing of
// what changed, so that a misrouted or leaked connection learns nothing. The page then reads what is new with
// its cursor (GET ...?after=), through the API that checks its token or lease.
type Poke struct {
	Type    string `json:"type"` // always "changed"
	Contact string `json:"contact"`
}

// PokeFor is the poke about contact id, as sent.
func PokeFor(id string) []byte {
	b, _ := json.Marshal(Poke{Type: "changed", Contact: id}) // two strings always marshal
	return b
}

// connectionID is the shape of an API Gateway WebSocket connection id (for example "L0SM9cOFvHcCIhw="), with
// room for the local gateway's; anything else is refused before it is stored or put in a URL.
var connectionID = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{8,64}$`)

// ValidConnectionID reports whether id has the shape of a WebSocket connection id.
func ValidConnectionID(id string) bool { return connectionID.MatchString(id) }

// PushRegistration is the body of PUT /contacts/{id}/push and PUT /agent/push: the connection id the WebSocket
// API's hello answered with.
type PushRegistration struct {
	ConnectionID string `json:"connectionId"`
}

// DecodePushRegistration reads and checks a registration; errors are *FieldError naming the field.
func DecodePushRegistration(body []byte) (PushRegistration, error) {
	var r PushRegistration
	if err := DecodeJSON(body, &r); err != nil {
		return PushRegistration{}, err
	}
	switch {
	case r.ConnectionID == "":
		return PushRegistration{}, fieldErr("connectionId", "is required: the id the WebSocket's hello answered with")
	case !ValidConnectionID(r.ConnectionID):
		return PushRegistration{}, fieldErr("connectionId", "must be 8-64 letters, digits or + / = _ -")
	}
	return r, nil
}

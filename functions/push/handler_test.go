package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/eventfile"
)

// Every sample event through the handler as Lambda would hand it over: hello answers with the connection's own
// id, in the shape the pages register; any other route is refused.
func TestSampleEvents(t *testing.T) {
	root, err := emulators.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	all, err := eventfile.All(root, "push")
	if err != nil || len(all) == 0 {
		t.Fatalf("sample events: %v (%d)", err, len(all))
	}
	for name, ev := range all {
		t.Run(name, func(t *testing.T) {
			var in events.APIGatewayWebsocketProxyRequest
			if err := json.Unmarshal(ev, &in); err != nil {
				t.Fatal(err)
			}
			out, err := lambda.NewHandler(handle).Invoke(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if in.RequestContext.RouteKey != "hello" {
				if resp.StatusCode != 400 {
					t.Errorf("route %s = %d, want 400", in.RequestContext.RouteKey, resp.StatusCode)
				}
				return
			}
			var h hello
			if err := json.Unmarshal([]byte(resp.Body), &h); err != nil || resp.StatusCode != 200 {
				t.Fatalf("hello = %d %s", resp.StatusCode, resp.Body)
			}
			if h.Type != "hello" || h.ConnectionID != in.RequestContext.ConnectionID || !contact.ValidConnectionID(h.ConnectionID) {
				t.Errorf("hello = %+v, want type hello and connection %s", h, in.RequestContext.ConnectionID)
			}
		})
	}
}

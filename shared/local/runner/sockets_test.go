package runner

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"

	"breakwater/shared/aws/push"
	"breakwater/shared/local/await"
	"breakwater/shared/topology"
)

// The management API answers an unknown connection with 410 and the error type the SDK turns into
// *types.GoneException, so push.Pusher reports Gone; a live one gets the poke; DELETE closes it.
func TestManagementAPI(t *testing.T) {
	hello := invokeFunc(func(context.Context, []byte) ([]byte, error) { return nil, nil })
	ws := NewSockets(topology.WebSocketRoutes, map[string]invoker{"push": hello}, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(withSockets(http.NotFoundHandler(), ws))
	t.Cleanup(func() { _ = ws.Close(); srv.Close() })

	resp, err := http.Post(srv.URL+"/push/@connections/AAAAAAAAAAAAAAA%3D", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || resp.Header.Get("X-Amzn-ErrorType") != "GoneException" {
		t.Errorf("POST to an unknown connection = %d %q, want 410 GoneException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")}
	p := push.New(cfg, srv.URL+"/"+topology.PushStage)
	if got := p.Poke(context.Background(), "AAAAAAAAAAAAAAA=", "c_x"); got != push.Gone {
		t.Errorf("Poke of an unknown connection = %v, want Gone", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http://", "ws://", 1)+"/push", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	id := await.Value(t, 10*time.Second, "the connection registered", func() (string, bool) {
		ws.mu.Lock()
		defer ws.mu.Unlock()
		for k := range ws.conns {
			return k, true
		}
		return "", false
	})
	if got := p.Poke(ctx, id, "c_x"); got != push.Sent {
		t.Fatalf("Poke of a live connection = %v, want Sent", got)
	}
	_, b, err := conn.Read(ctx)
	if err != nil || string(b) != `{"type":"changed","contact":"c_x"}` {
		t.Fatalf("received %s %v, want the poke", b, err)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/push/@connections/"+id, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE = %v %v, want 204", resp, err)
	}
	if _, _, err := conn.Read(ctx); err == nil {
		t.Error("the connection is still open after DELETE")
	}
}

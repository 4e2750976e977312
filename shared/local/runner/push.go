package runner

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

// Sockets serves topology.WebSocketRoutes the way an API Gateway WebSocket API does, at /<PushStage> on the
// local listener: every connection is accepted (no $connect route), each text frame is routed by its "action"
// (topology.WebSocketRouteSelection) to its function through the same Lambda host as the HTTP API, with an
// events.APIGatewayWebsocketProxyRequest, or answered as a mock integration would; a route with a route response
// sends the function's body back on the connection. Its management API, at /<PushStage>/@connections/{id},
// is what the functions' SDK client reaches through topology.EnvPushEndpoint: POST sends the body to the
// connection, GET describes it, DELETE closes it, and an unknown id is 410 Gone.
type Sockets struct {
	routes    []topology.WebSocketRoute
	functions map[string]invoker
	log       *slog.Logger

	mu     sync.Mutex
	conns  map[string]*socket
	closed bool
}

// socket is one open connection.
type socket struct {
	id          string
	conn        *websocket.Conn
	connectedAt time.Time
	sourceIP    string
	cancel      context.CancelFunc

	mu         sync.Mutex // one writer at a time
	lastActive time.Time
}

// NewSockets routes each of routes to the invoker of its function.
func NewSockets(routes []topology.WebSocketRoute, functions map[string]invoker, log *slog.Logger) *Sockets {
	return &Sockets{routes: routes, functions: functions, log: log, conns: map[string]*socket{}}
}

// pushPath is the stage's path; connectionsPath starts its management API's paths.
var (
	pushPath        = "/" + topology.PushStage
	connectionsPath = pushPath + "/@connections/"
)

// handles reports whether path is the WebSocket stage's or its management API's.
func (s *Sockets) handles(path string) bool {
	return path == pushPath || strings.HasPrefix(path, connectionsPath)
}

func (s *Sockets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, connectionsPath) {
		s.manage(w, r)
		return
	}
	s.accept(w, r)
}

// newConnectionID is an id of API Gateway's shape: 16 characters of base64 (URL-safe here, so it needs no
// escaping in a path).
func newConnectionID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return base64.URLEncoding.EncodeToString(b)[:15] + "="
}

func (s *Sockets) accept(w http.ResponseWriter, r *http.Request) {
	// API Gateway checks no Origin; the local listener is on loopback, and only pages it served connect.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{"127.0.0.1:*", "localhost:*"}})
	if err != nil {
		return // Accept has answered the request
	}
	c.SetReadLimit(128 << 10) // API Gateway's frame limit is 32 KB; a message up to 128 KB
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	sk := &socket{id: newConnectionID(), conn: c, connectedAt: time.Now(), lastActive: time.Now(), sourceIP: host, cancel: cancel}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = c.Close(websocket.StatusGoingAway, "stopping")
		return
	}
	s.conns[sk.id] = sk
	s.mu.Unlock()
	go s.serve(ctx, sk)
}

// serve reads sk's frames until it closes, routing each.
func (s *Sockets) serve(ctx context.Context, sk *socket) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, sk.id)
		s.mu.Unlock()
		sk.cancel()
		_ = sk.conn.CloseNow()
	}()
	for {
		typ, data, err := sk.conn.Read(ctx)
		if err != nil {
			return
		}
		sk.mu.Lock()
		sk.lastActive = time.Now()
		sk.mu.Unlock()
		if typ != websocket.MessageText {
			continue
		}
		s.route(ctx, sk, data)
	}
}

// route handles one frame as API Gateway would: by the route its "action" selects.
func (s *Sockets) route(ctx context.Context, sk *socket, data []byte) {
	var sel struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(data, &sel)
	var route *topology.WebSocketRoute
	for i := range s.routes {
		if s.routes[i].Key == sel.Action {
			route = &s.routes[i]
		}
	}
	if route == nil {
		// No $default route: API Gateway answers a frame no route matches with this.
		s.send(ctx, sk, fmt.Appendf(nil, `{"message": "Forbidden", "connectionId":%q, "requestId":%q}`, sk.id, contact.NewSecret()[:16]))
		return
	}
	if route.Function == "" {
		return // a mock integration without a route response: the frame only keeps the connection alive
	}
	now := time.Now()
	ev := events.APIGatewayWebsocketProxyRequest{
		Body: string(data),
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey: route.Key, EventType: "MESSAGE", MessageDirection: "IN", ConnectionID: sk.id,
			MessageID: contact.NewSecret()[:16], RequestID: contact.NewSecret()[:16], ExtendedRequestID: contact.NewSecret()[:16],
			Stage: topology.PushStage, APIID: "local", DomainName: "127.0.0.1", AccountID: "000000000000",
			RequestTimeEpoch: now.UnixMilli(), ConnectedAt: sk.connectedAt.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{SourceIP: sk.sourceIP},
		},
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return
	}
	out, err := s.functions[route.Function].Invoke(ctx, payload)
	if err != nil {
		s.log.Error("WebSocket integration failed", "route", route.Key, "err", err)
		s.send(ctx, sk, fmt.Appendf(nil, `{"message": "Internal server error", "connectionId":%q, "requestId":%q}`, sk.id, ev.RequestContext.RequestID))
		return
	}
	if !route.Response {
		return
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return
	}
	if resp.Body != "" {
		s.send(ctx, sk, []byte(resp.Body))
	}
}

func (s *Sockets) send(ctx context.Context, sk *socket, data []byte) error {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return sk.conn.Write(wctx, websocket.MessageText, data)
}

// manage serves the management API: POST, GET and DELETE /<stage>/@connections/{id}.
func (s *Sockets) manage(w http.ResponseWriter, r *http.Request) {
	id, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), connectionsPath))
	if err != nil || id == "" || strings.Contains(id, "/") {
		managementError(w, http.StatusNotFound, "NotFoundException", "No method found matching route")
		return
	}
	s.mu.Lock()
	sk := s.conns[id]
	s.mu.Unlock()
	if sk == nil {
		managementError(w, http.StatusGone, "GoneException", "")
		return
	}
	switch r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(r.Body, 128<<10+1))
		if err != nil || len(data) > 128<<10 {
			managementError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Message too long")
			return
		}
		if err := s.send(r.Context(), sk, data); err != nil {
			managementError(w, http.StatusGone, "GoneException", "")
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		sk.mu.Lock()
		last := sk.lastActive
		sk.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"connectedAt": sk.connectedAt.UTC().Format(time.RFC3339Nano),
			"lastActiveAt": last.UTC().Format(time.RFC3339Nano), "identity": map[string]string{"sourceIp": sk.sourceIP}})
	case http.MethodDelete:
		_ = sk.conn.Close(websocket.StatusNormalClosure, "")
		sk.cancel()
		w.WriteHeader(http.StatusNoContent)
	default:
		managementError(w, http.StatusForbidden, "ForbiddenException", "")
	}
}

// managementError answers as the management API does: the error's type in X-Amzn-ErrorType, which the SDK turns
// into its typed error (a *types.GoneException for 410).
func managementError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": message})
}

// Connections is how many sockets are open.
func (s *Sockets) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Close closes every connection: an HTTP server's shutdown leaves hijacked connections alone.
func (s *Sockets) Close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*socket, 0, len(s.conns))
	for _, sk := range s.conns {
		conns = append(conns, sk)
	}
	s.mu.Unlock()
	for _, sk := range conns {
		sk.cancel()
		_ = sk.conn.CloseNow()
	}
	return nil
}

// withSockets serves the WebSocket stage's paths from ws and everything else from h.
func withSockets(h http.Handler, ws *Sockets) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws.handles(r.URL.Path) {
			ws.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

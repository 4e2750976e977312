package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

// maxPayload is API Gateway's request body limit.
const maxPayload = 10 << 20

// Gateway serves topology.Routes the way an API Gateway HTTP API with payload format 2.0 does.
type Gateway struct {
	routes    []topology.Route
	functions map[string]invoker
	log       *slog.Logger
	// rewrite changes the body a route's function answered with, by route key ("GET /"): local-only marks.
	rewrite map[string]func([]byte) []byte
}

// NewGateway routes each of routes to the invoker of its function.
func NewGateway(routes []topology.Route, functions map[string]invoker, log *slog.Logger) *Gateway {
	return &Gateway{routes: routes, functions: functions, log: log}
}

// match finds the route for method and path and the path parameters it binds.
func match(routes []topology.Route, method, path string) (topology.Route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range routes {
		if r.Method != method {
			continue
		}
		want := strings.Split(strings.Trim(r.Path, "/"), "/")
		if len(want) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, w := range want {
			if strings.HasPrefix(w, "{") && strings.HasSuffix(w, "}") && segs[i] != "" {
				params[strings.Trim(w, "{}")] = segs[i]
			} else if w != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return r, params, true
		}
	}
	return topology.Route{}, nil, false
}

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, params, ok := match(g.routes, r.Method, r.URL.Path)
	if !ok {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		http.Error(w, `{"message":"Bad Request"}`, http.StatusBadRequest)
		return
	}
	if len(body) > maxPayload {
		http.Error(w, `{"message":"Request Entity Too Large"}`, http.StatusRequestEntityTooLarge)
		return
	}
	payload, err := json.Marshal(event(r, route, params, body))
	if err != nil {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	out, err := g.functions[route.Function].Invoke(r.Context(), payload)
	if err != nil {
		// API Gateway answers 500 when the integration fails; 503 tells a client retrying is worth it.
		g.log.Error("integration failed", "route", route.Method+" "+route.Path, "err", err)
		http.Error(w, `{"message":"Service Unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if respBody, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
			return
		}
	}
	if f := g.rewrite[route.Method+" "+route.Path]; f != nil && resp.StatusCode == http.StatusOK {
		respBody = f(respBody)
	}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

func event(r *http.Request, route topology.Route, params map[string]string, body []byte) events.APIGatewayV2HTTPRequest {
	headers := make(map[string]string, len(r.Header))
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	var query map[string]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		for k, vs := range q {
			query[k] = strings.Join(vs, ",")
		}
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: route.Method + " " + route.Path, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: headers, QueryStringParameters: query, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.Method + " " + route.Path, AccountID: "000000000000", Stage: "$default",
			RequestID: contact.NewSecret()[:16], DomainName: r.Host, APIID: "local",
			Time: time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: time.Now().UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: host, UserAgent: r.UserAgent()},
		},
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev
}

// Serve listens on addr (loopback) and serves g until ctx ends.
func Serve(ctx context.Context, addr string, h http.Handler) (string, func() error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	url, stop := ServeOn(ctx, ln, h)
	return url, stop, nil
}

// ServeOn serves h on ln until the returned stop is called.
func ServeOn(ctx context.Context, ln net.Listener, h http.Handler) (string, func() error) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("HTTP server stopped", "err", err)
		}
	}()
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
	return "http://" + ln.Addr().String(), stop
}

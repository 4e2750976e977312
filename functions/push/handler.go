package main

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// hello is the route response to {"action":"hello"}.
type hello struct {
	Type         string `json:"type"`
	ConnectionID string `json:"connectionId"`
}

// handle answers the WebSocket API's hello route with the caller's connection id; any other route is refused.
func handle(_ context.Context, ev events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	if ev.RequestContext.RouteKey != "hello" || ev.RequestContext.ConnectionID == "" {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusBadRequest, Body: `{"type":"error","message":"send {\"action\":\"hello\"}"}`}, nil
	}
	b, err := json.Marshal(hello{Type: "hello", ConnectionID: ev.RequestContext.ConnectionID})
	if err != nil {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusInternalServerError}, nil
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Body: string(b)}, nil
}

// Package apigw turns API Gateway HTTP API (payload 2.0) events into requests and JSON answers back.
package apigw

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Request is an HTTP API event.
type Request = events.APIGatewayV2HTTPRequest

// Response is an HTTP API answer.
type Response = events.APIGatewayV2HTTPResponse

// Header reads a request header; API Gateway lower-cases names, local callers may not.
func Header(req Request, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Body returns the request body, decoding base64 when API Gateway encoded it.
func Body(req Request) ([]byte, error) {
	if !req.IsBase64Encoded {
		return []byte(req.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, fmt.Errorf("decode base64 body: %w", err)
	}
	return b, nil
}

// Route returns "METHOD /path/{param}" as API Gateway's route key, falling back to the method and raw path.
func Route(req Request) string {
	if req.RouteKey != "" && req.RouteKey != "$default" {
		return req.RouteKey
	}
	return req.RequestContext.HTTP.Method + " " + req.RawPath
}

var secureHeaders = map[string]string{
	"Content-Type":           "application/json; charset=utf-8",
	"Cache-Control":          "no-store",
	"X-Content-Type-Options": "nosniff",
}

// JSON answers status with v as the body.
func JSON(status int, v any) Response {
	b, err := json.Marshal(v)
	if err != nil {
		return Error(http.StatusInternalServerError, "internal", "", "could not encode the answer")
	}
	h := make(map[string]string, len(secureHeaders))
	for k, val := range secureHeaders {
		h[k] = val
	}
	return Response{StatusCode: status, Headers: h, Body: string(b)}
}

// NoContent answers 204.
func NoContent() Response {
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong and, for bad input, which field.
type ErrorDetail struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error answers status with a JSON error naming code, the field at fault (if any) and a message.
func Error(status int, code, field, message string) Response {
	b, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: code, Field: field, Message: message}})
	h := make(map[string]string, len(secureHeaders))
	for k, val := range secureHeaders {
		h[k] = val
	}
	return Response{StatusCode: status, Headers: h, Body: string(b)}
}

// Page answers 200 with an HTML page and its headers.
func Page(body []byte, headers map[string]string) Response {
	h := map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"}
	for k, v := range headers {
		h[k] = v
	}
	return Response{StatusCode: http.StatusOK, Headers: h, Body: string(body)}
}

// Package push pokes pages' WebSocket connections through the API Gateway management API (PostToConnection).
package push

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/smithy-go"

	"breakwater/shared/contact"
)

// poster is the part of *apigatewaymanagementapi.Client that Pusher uses.
type poster interface {
	PostToConnection(context.Context, *apigatewaymanagementapi.PostToConnectionInput, ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
}

// Timeout bounds one poke: a push must never hold up the request that caused it for long.
const Timeout = 2 * time.Second

// Pusher sends content-free pokes (contact.PokeFor). The zero value and a nil *Pusher push nothing: push is off.
type Pusher struct {
	api poster
}

// New returns a Pusher posting to the WebSocket stage's management API at endpoint (its https callback URL, or
// the local gateway's). A poke is not retried: the page's safety poll catches up with one that was lost.
func New(cfg aws.Config, endpoint string) *Pusher {
	return &Pusher{api: apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.RetryMaxAttempts = 1
	})}
}

// NewWith returns a Pusher on api (tests).
func NewWith(api poster) *Pusher { return &Pusher{api: api} }

// Result is what a poke did.
type Result int

// Results of a poke.
const (
	Off    Result = iota // push is off, or there was no connection to poke
	Sent                 // API Gateway took the poke
	Gone                 // the connection is gone (410): drop its registration
	Failed               // throttled, timed out, anything else: the safety poll catches up
)

// Poke tells connection conn that contact id changed. It never fails the caller: a failure is logged at debug,
// with the contact id and never the connection's owner or any token, and reported as Gone or Failed.
func (p *Pusher) Poke(ctx context.Context, conn, id string) Result {
	if p == nil || p.api == nil || conn == "" || !contact.ValidConnectionID(conn) {
		return Off
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	_, err := p.api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(conn), Data: contact.PokeFor(id)})
	var gone *types.GoneException
	switch {
	case err == nil:
		return Sent
	case errors.As(err, &gone):
		slog.DebugContext(ctx, "push connection gone; dropping it", "contact", id)
		return Gone
	default:
		slog.DebugContext(ctx, "push failed; the page's safety poll catches up", "contact", id, "reason", reason(err))
		return Failed
	}
}

// reason names a failure without its text, which may hold the URL and so the connection id.
func reason(err error) string {
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		return api.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "transport"
}

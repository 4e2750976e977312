package localstack

import (
	"fmt"
	"log/slog"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// loggedHTTP logs the SQS calls of the stack's own client (the event source's receives and deletes) that fail in
// transport or with a server error. The SDK retries those silently, and a retried receive whose first answer was
// lost leaves that answer's messages in flight until the visibility timeout.
type loggedHTTP struct {
	next sqs.HTTPClient
	log  *slog.Logger
}

func (c loggedHTTP) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(r)
	switch {
	case err != nil:
		c.log.Warn("SQS call failed in transport; the SDK may retry it", "call", r.Header.Get("X-Amz-Target"), "err", err)
	case resp.StatusCode >= 500:
		c.log.Warn("SQS call failed; the SDK may retry it", "call", r.Header.Get("X-Amz-Target"), "status", fmt.Sprint(resp.StatusCode))
	}
	return resp, err
}

// logSQSFailures makes o's HTTP client a loggedHTTP.
func logSQSFailures(log *slog.Logger) func(*sqs.Options) {
	return func(o *sqs.Options) {
		next := o.HTTPClient
		if next == nil {
			next = awshttp.NewBuildableClient()
		}
		o.HTTPClient = loggedHTTP{next: next, log: log}
	}
}

package runner

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// loggedHTTP logs the SQS calls of the stack's own client (the event source's receives and deletes) that fail in
// transport, with an error status, or while their answer is read. The SDK retries those silently, and a retried receive whose first answer was
// lost leaves that answer's messages in flight until the event source's claim runs out.
type loggedHTTP struct {
	next sqs.HTTPClient
	log  *slog.Logger
}

func (c loggedHTTP) Do(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := c.next.Do(r)
	switch {
	case err != nil:
		c.log.Warn("SQS call failed in transport; the SDK may retry it", "call", r.Header.Get("X-Amz-Target"), "err", err)
	case resp.StatusCode >= 400: // throttling codes come with a 4xx, and the SDK retries them
		c.log.Warn("SQS call failed; the SDK may retry it", "call", r.Header.Get("X-Amz-Target"), "status", fmt.Sprint(resp.StatusCode))
	}
	if err == nil && resp.Body != nil {
		resp.Body = &loggedBody{ReadCloser: resp.Body, call: r.Header.Get("X-Amz-Target"), length: resp.ContentLength, log: c.log, start: start}
	}
	return resp, err
}

// loggedBody logs a response body that breaks off before its end: the SDK retries that too.
type loggedBody struct {
	io.ReadCloser
	call   string
	length int64
	read   int64
	log    *slog.Logger
	start  time.Time // when the call was sent
}

func (b *loggedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		b.log.Warn("SQS answer broke off; the SDK may retry the call", "call", b.call, "read", b.read, "contentLength", b.length, "err", err, "sinceSent", time.Since(b.start))
	}
	return n, err
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

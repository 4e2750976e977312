package runner

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// memoryBodies hands net/http each request body as an in-memory reader, read from the SDK's body before sending.
//
// The SDK (smithy-go up to v1.28.9) wraps a request body so that, once the SDK has closed it, WriteTo answers
// io.EOF, which io.Copy reports as an error. The SDK closes it as soon as the answer's headers are in. net/http,
// given a body it does not know to be in memory, flushes the headers, copies the body straight to the socket and
// then copies the rest of the body to io.Discard to check that nothing is left. When the server answers between
// those two copies (fauxqs on loopback answers within a millisecond, and on two loaded cores the writing goroutine
// can wait longer than that), the second copy fails with io.EOF, net/http's write loop closes the connection, and
// the answer being read breaks off with "use of closed network connection". The SDK retries the call; a retried
// ReceiveMessage gets other messages, and the first attempt's messages stay hidden until their visibility ends.
//
// An in-memory body has no such WriteTo, and net/http writes it with the headers in one write, before the server
// can answer. The bodies of SQS calls are small JSON documents the SDK already holds in memory.
type memoryBodies struct {
	next sqs.HTTPClient
}

func (c memoryBodies) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return c.next.Do(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read body of %s request: %w", r.Header.Get("X-Amz-Target"), err)
	}
	sent := *r // a shallow copy: the SDK keeps its own request as it built it
	sent.Body = io.NopCloser(bytes.NewReader(body))
	sent.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	sent.ContentLength = int64(len(body))
	return c.next.Do(&sent)
}

// sendBodiesFromMemory makes o's HTTP client a memoryBodies.
func sendBodiesFromMemory(o *sqs.Options) {
	next := o.HTTPClient
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	o.HTTPClient = memoryBodies{next: next}
}

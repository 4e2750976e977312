// Package sdkconfig builds the AWS clients the functions share, tuned for a traffic surge.
package sdkconfig

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// CallTimeout bounds one attempt of one AWS call; the Lambda deadline bounds the whole.
const CallTimeout = 5 * time.Second

// Load reads the AWS configuration from the environment (AWS_ENDPOINT_URL_* point it at the emulators) with a
// retryer for bursts: the default client-wide retry quota runs dry under a surge ("retry quota exceeded"), so it is
// off, and throttles are retried with jittered backoff up to a bound instead.
func Load(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 6
				o.MaxBackoff = 2 * time.Second
				o.RateLimiter = ratelimit.None
			})
		}),
		// A buildable client, not a bare *http.Client: the SDK must still be able to add AWS_CA_BUNDLE's roots.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(CallTimeout).WithTransportOptions(func(tr *http.Transport) {
			tr.DialContext = (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext
			tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
			tr.IdleConnTimeout = 90 * time.Second
			tr.TLSHandshakeTimeout = 3 * time.Second
			tr.ForceAttemptHTTP2 = true
		})),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

// DynamoDB returns a DynamoDB client. Pointed at DynamoDB Local, it skips the CRC32 check its error responses lack.
func DynamoDB(cfg aws.Config, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
		opts = append([]func(*dynamodb.Options){func(o *dynamodb.Options) { o.DisableValidateResponseChecksum = true }}, opts...)
	}
	return dynamodb.NewFromConfig(cfg, opts...)
}

// SQS returns an SQS client.
func SQS(cfg aws.Config, opts ...func(*sqs.Options)) *sqs.Client {
	return sqs.NewFromConfig(cfg, opts...)
}

package sdkconfig

import (
	"context"
	"os"
	"testing"
	"time"
)

// apiError is an AWS error code as the SDK's retry classifiers see it.
type apiError struct{ code string }

func (e apiError) Error() string        { return e.code }
func (e apiError) ErrorCode() string    { return e.code }
func (e apiError) ErrorMessage() string { return e.code }

// A surge throttles thousands of calls at once; the default retryer's client-wide quota (500 tokens, 5 per retry,
// 10 per timeout) would run dry and fail calls with "retry quota exceeded". This one never refuses a retry, backs
// off at most 2 s, and every attempt has a timeout (the Lambda context's deadline bounds the whole call).
func TestRetryerIsConfiguredForBursts(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "") // set on some machines; Load must work with and without it
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	cfg, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Retryer()
	if got, want := r.MaxAttempts(), 6; got != want {
		t.Errorf("max attempts = %d, want %d", got, want)
	}
	for _, code := range []string{"ThrottlingException", "ProvisionedThroughputExceededException", "RequestThrottled"} {
		if !r.IsErrorRetryable(apiError{code}) {
			t.Errorf("%s is not retried", code)
		}
	}
	throttle := apiError{"ThrottlingException"}
	for i := range 10000 {
		if _, err := r.GetRetryToken(context.Background(), throttle); err != nil {
			t.Fatalf("retry %d refused: %v", i, err)
		}
	}
	for attempt := 1; attempt <= 5; attempt++ {
		if d, err := r.RetryDelay(attempt, throttle); err != nil || d > 2*time.Second {
			t.Errorf("backoff before attempt %d = %s (%v), want at most 2s", attempt+1, d, err)
		}
	}
	hc, ok := cfg.HTTPClient.(interface{ GetTimeout() time.Duration })
	if !ok {
		t.Fatalf("HTTP client is %T, want one with a timeout", cfg.HTTPClient)
	}
	if got, want := hc.GetTimeout(), CallTimeout; got != want {
		t.Errorf("per-attempt timeout = %s, want %s", got, want)
	}
}

// Load must work where AWS_CA_BUNDLE names extra roots (corporate proxies; this machine sets it).
func TestLoadWithCABundle(t *testing.T) {
	const bundle = "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(bundle); err != nil {
		t.Skipf("no CA bundle at %s", bundle)
	}
	t.Setenv("AWS_CA_BUNDLE", bundle)
	t.Setenv("AWS_REGION", "us-east-1")
	if _, err := Load(context.Background()); err != nil {
		t.Fatalf("load with AWS_CA_BUNDLE: %v", err)
	}
}

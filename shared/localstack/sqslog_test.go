package localstack

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

type doFunc func(*http.Request) (*http.Response, error)

func (f doFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestLoggedHTTP(t *testing.T) {
	tests := []struct {
		name   string
		status int
		err    error
		logged string
	}{
		{"success is quiet", 200, nil, ""},
		{"client error is the SDK's to report", 400, nil, ""},
		{"server error", 503, nil, `status=503`},
		{"transport error", 0, errors.New("connection reset by peer"), `err="connection reset by peer"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := loggedHTTP{log: slog.New(slog.NewTextHandler(&buf, nil)), next: doFunc(func(*http.Request) (*http.Response, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				return &http.Response{StatusCode: tt.status}, nil
			})}
			req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", nil)
			req.Header.Set("X-Amz-Target", "AmazonSQS.ReceiveMessage")
			c.Do(req)
			got := buf.String()
			if tt.logged == "" && got != "" {
				t.Fatalf("logged %q, want nothing", got)
			}
			if tt.logged != "" && (!strings.Contains(got, tt.logged) || !strings.Contains(got, "AmazonSQS.ReceiveMessage")) {
				t.Fatalf("logged %q, want the call and %s", got, tt.logged)
			}
		})
	}
}

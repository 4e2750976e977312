package runner

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
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
		{"client error", 400, nil, `status=400`},
		{"server error", 503, nil, `status=503`},
		{"transport error", 0, errors.New("connection reset by peer"), `err="connection reset by peer"`},
		{"answer broken off", 299, nil, `read=2 contentLength=10 err="unexpected EOF" sinceSent=`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			c := loggedHTTP{log: slog.New(slog.NewTextHandler(&buf, nil)), next: doFunc(func(*http.Request) (*http.Response, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				if tt.status == 299 {
					return &http.Response{StatusCode: 200, ContentLength: 10, Body: io.NopCloser(io.MultiReader(strings.NewReader("{}"), iotest.ErrReader(io.ErrUnexpectedEOF)))}, nil
				}
				return &http.Response{StatusCode: tt.status, Body: io.NopCloser(strings.NewReader("{}"))}, nil
			})}
			req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", nil)
			req.Header.Set("X-Amz-Target", "AmazonSQS.ReceiveMessage")
			resp, err := c.Do(req)
			if err == nil {
				io.ReadAll(resp.Body)
			}
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

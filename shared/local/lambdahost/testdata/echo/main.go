// Command echo is a Lambda function for lambdahost's tests: the payload's action says how to behave.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
)

type request struct {
	Action  string          `json:"action"` // echo, error, panic, exit, sleep, env, config, big
	Bytes   int             `json:"bytes"`
	Message string          `json:"message"`
	Millis  int             `json:"ms"`
	Value   json.RawMessage `json:"value"`
}

func main() {
	slog.SetDefault(lambdacontext.NewLogger())
	if os.Getenv("ECHO_FAIL_INIT") != "" {
		slog.Error("cold start failed", "err", "ECHO_FAIL_INIT is set")
		os.Exit(1)
	}
	if msg := os.Getenv("ECHO_INIT_ERROR"); msg != "" { // a runtime that reports its failed init, as custom runtimes do
		body := `{"errorType":"Runtime.ConfigError","errorMessage":"` + msg + `"}`
		resp, err := http.Post("http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, req request) (any, error) {
	slog.InfoContext(ctx, "invoked", "action", req.Action)
	switch req.Action {
	case "error":
		return nil, errors.New(req.Message)
	case "panic":
		panic(req.Message)
	case "exit":
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Duration(req.Millis) * time.Millisecond) // a stuck handler: ignores ctx's deadline
		return map[string]any{"slept": req.Millis}, nil
	case "env":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"function":  lambdacontext.FunctionName,
			"memory":    lambdacontext.MemoryLimitInMB,
			"version":   lambdacontext.FunctionVersion,
			"requestId": lc.AwsRequestID,
			"arn":       lc.InvokedFunctionArn,
			"deadline":  deadline.UnixMilli(),
			"region":    os.Getenv("AWS_REGION"),
			"extra":     os.Getenv("ECHO_EXTRA"),
			"pid":       os.Getpid(),
		}, nil
	case "big":
		return strings.Repeat("x", req.Bytes), nil
	case "config":
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, err
		}
		return map[string]any{"region": cfg.Region}, nil
	}
	return req.Value, nil
}

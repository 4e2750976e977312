package runner

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/local/emulators"
)

// Fixture is a fresh set of tables and queue on the test binary's shared emulators, with clients for them.
type Fixture struct {
	Resources
	Config   aws.Config
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
}

var fixtureSeq atomic.Int64

// Provisioned makes a Fixture for tb: real DynamoDB Local and fauxqs, never a fake. The package's TestMain must
// call emulators.Main.
func Provisioned(tb testing.TB) Fixture {
	tb.Helper()
	emu := emulators.Shared(tb)
	ctx := context.Background()
	cfg, err := emu.AWSConfig(ctx)
	if err != nil {
		tb.Fatalf("emulator config: %v", err)
	}
	f := Fixture{Config: cfg, DynamoDB: sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), SQS: sdkconfig.SQS(cfg)}
	prefix := fmt.Sprintf("t%d-", fixtureSeq.Add(1)) // each test binary has its own emulators
	if f.Resources, err = Provision(ctx, f.DynamoDB, f.SQS, prefix, 0); err != nil {
		tb.Fatalf("provision tables and queue: %v", err)
	}
	return f
}

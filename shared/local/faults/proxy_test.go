package faults

import (
	"context"
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

func TestDecisionsAreSeededAndRated(t *testing.T) {
	p := &Proxy{o: Options{Kinds: Kinds, Seed: 42}}
	q := &Proxy{o: Options{Kinds: Kinds, Seed: 42}}
	other := &Proxy{o: Options{Kinds: Kinds, Seed: 43}}
	for _, x := range []*Proxy{p, q, other} {
		x.SetRate(0.1)
	}
	const n = 20000
	faulted, differ := 0, 0
	byKind := map[Kind]int{}
	for i := range uint64(n) {
		k := p.decide(i, "PutItem")
		if got, want := q.decide(i, "PutItem"), k; got != want {
			t.Fatalf("call %d: same seed decided %q and %q", i, got, want)
		}
		if other.decide(i, "PutItem") != k {
			differ++
		}
		if k != "" {
			faulted++
			byKind[k]++
		}
	}
	if got := float64(faulted) / n; math.Abs(got-0.1) > 0.01 {
		t.Errorf("faulted %.3f of calls, want about 0.1", got)
	}
	for _, k := range Kinds {
		if byKind[k] < faulted/len(Kinds)/2 {
			t.Errorf("kind %s picked %d times of %d faults, want about a fifth", k, byKind[k], faulted)
		}
	}
	if differ == 0 {
		t.Errorf("another seed made the same decisions")
	}
	p.o.Operations = []string{"SendMessage"}
	for i := range uint64(1000) {
		if k := p.decide(i, "ReceiveMessage"); k != "" {
			t.Fatalf("call %d to an operation not listed got fault %s", i, k)
		}
	}
}

func TestStartRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Service: "s3", Target: "http://127.0.0.1:1"},
		{Service: DynamoDB, Rate: 1.5},
		{Service: SQS, Kinds: []Kind{"flood"}},
	} {
		if p, err := Start(o); err == nil {
			p.Close()
			t.Errorf("Start(%+v) = nil error, want one", o)
		}
	}
}

func TestMain(m *testing.M) { emulators.Main(m) }

func proxied(t *testing.T, o Options) *Proxy {
	t.Helper()
	p, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close proxy: %v", err)
		}
	})
	return p
}

// The SDK must read each injected error as the real service's: throttles as throttles, 5xx as retryable.
func TestInjectedErrorsReadAsTheServicesOwn(t *testing.T) {
	f := runner.Provisioned(t)
	emu := emulators.Shared(t)
	ctx := context.Background()
	table := f.Tables[topology.Contacts.ID]
	for _, tt := range []struct {
		service  Service
		kind     Kind
		status   int
		code     string
		throttle bool
	}{
		{DynamoDB, Throttle, 400, "ThrottlingException", true},
		{DynamoDB, ServerError, 500, "InternalServerError", false},
		{DynamoDB, Unavailable, 503, "InternalServerError", false},
		{SQS, Throttle, 400, "RequestThrottled", true},
		{SQS, ServerError, 500, "InternalError", false},
		{SQS, Unavailable, 503, "ServiceUnavailable", false},
	} {
		t.Run(string(tt.service)+" "+string(tt.kind), func(t *testing.T) {
			target := emu.DynamoDB
			if tt.service == SQS {
				target = emu.SQS
			}
			p := proxied(t, Options{Target: target, Service: tt.service, Rate: 1, Kinds: []Kind{tt.kind}})
			var err error
			if tt.service == DynamoDB {
				db := dynamodb.NewFromConfig(f.Config, emulators.DynamoOptions, func(o *dynamodb.Options) {
					o.BaseEndpoint, o.Retryer = aws.String(p.URL), aws.NopRetryer{}
				})
				_, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
			} else {
				sq := sqs.NewFromConfig(f.Config, func(o *sqs.Options) { o.BaseEndpoint, o.Retryer = aws.String(p.URL), aws.NopRetryer{} })
				_, err = sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &f.QueueURL, MessageBody: aws.String("x")})
			}
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("err = %v, want an API error", err)
			}
			if got, want := api.ErrorCode(), tt.code; got != want {
				t.Errorf("error code = %q, want %q", got, want)
			}
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() != tt.status {
				t.Errorf("status = %d, want %d", re.HTTPStatusCode(), tt.status)
			}
			if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary; got != tt.throttle {
				t.Errorf("SDK sees a throttle: %v, want %v", got, tt.throttle)
			}
			if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary; !got && !tt.throttle {
				t.Errorf("SDK does not retry %s", tt.kind)
			}
			if got, want := p.Counts()[tt.kind], int64(1); got != want {
				t.Errorf("counted %d %s faults, want %d", got, tt.kind, want)
			}
		})
	}
}

// A late call is done by the emulator although the client gave up; a timed-out one never reaches it.
func TestTimeoutAndLate(t *testing.T) {
	f := runner.Provisioned(t)
	emu := emulators.Shared(t)
	ctx := context.Background()
	table := f.Tables[topology.Contacts.ID]
	for _, tt := range []struct {
		kind   Kind
		stored bool
	}{{Timeout, false}, {Late, true}} {
		t.Run(string(tt.kind), func(t *testing.T) {
			p := proxied(t, Options{Target: emu.DynamoDB, Service: DynamoDB, Rate: 1, Kinds: []Kind{tt.kind}, Delay: 3 * time.Second})
			db := dynamodb.NewFromConfig(f.Config, emulators.DynamoOptions, func(o *dynamodb.Options) {
				o.BaseEndpoint, o.Retryer = aws.String(p.URL), aws.NopRetryer{}
				o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
			})
			key := "late-" + string(tt.kind)
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}}})
			if err == nil {
				t.Fatalf("put through a %s fault succeeded, want a client timeout", tt.kind)
			}
			out, err := f.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}}})
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Item != nil; got != tt.stored {
				t.Errorf("item stored = %v, want %v", got, tt.stored)
			}
		})
	}
}

func TestTouchesPrefix(t *testing.T) {
	for _, tt := range []struct {
		body string
		want bool
	}{
		{`{"Key":{"pk":{"S":"C#c_1"}}}`, true},
		{`{"Key":{"pk":{"S":"S#m1#s1"}}}`, false},
		{`{"Item":{"pk":{"S":"C#c_1"},"text":{"S":"x"}}}`, true},
		{`{"TransactItems":[{"Update":{"Key":{"pk":{"S":"A#m1#alice"}}}},{"Update":{"Key":{"pk":{"S":"C#c_2"}}}}]}`, true},
		{`{"TransactItems":[{"Put":{"Item":{"pk":{"S":"I#m1#s#k"}}}}]}`, false},
		{`not json`, false},
	} {
		if got := touchesPrefix([]byte(tt.body), "C#"); got != tt.want {
			t.Errorf("touchesPrefix(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

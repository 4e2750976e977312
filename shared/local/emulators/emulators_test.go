package emulators

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestMain(m *testing.M) { Main(m) }

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "shared", "local", "emulators")); err != nil {
		t.Fatalf("RepoRoot() = %s, which has no shared/local/emulators: %v", root, err)
	}
}

func TestStateRoundTrip(t *testing.T) {
	root := t.TempDir()
	if _, err := ReadState(root); !errors.Is(err, ErrNoState) {
		t.Fatalf("ReadState on empty root: err = %v, want ErrNoState", err)
	}
	want := State{URL: "http://127.0.0.1:8080", AgentToken: "tok", Env: map[string]string{"CONTACTS_TABLE": "c", "AWS_REGION": "us-east-1"}}
	if err := WriteState(root, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(root)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != want.URL || got.AgentToken != want.AgentToken || len(got.Env) != 2 || got.Env["CONTACTS_TABLE"] != "c" {
		t.Fatalf("ReadState = %+v, want %+v", got, want)
	}
	if got, want := strings.Join(got.Environ(), " "), "AWS_REGION=us-east-1 CONTACTS_TABLE=c"; got != want {
		t.Fatalf("Environ = %q, want %q", got, want)
	}
	info, err := os.Stat(StatePath(root))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Fatalf("state file mode = %v, want %v", got, want)
	}
	if err := RemoveState(root); err != nil {
		t.Fatal(err)
	}
	if err := RemoveState(root); err != nil {
		t.Fatalf("second RemoveState: %v", err)
	}
}

// TestStartClose starts its own pair, uses both through the SDK, and checks Close leaves no port open and no process behind.
func TestStartClose(t *testing.T) {
	ctx := context.Background()
	emu, err := Start(ctx, Options{FastStart: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	t.Logf("emulators ready in %s", emu.Started)

	cfg, err := emu.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(cfg, DynamoOptions)
	_, err = ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("probe"),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	tables, err := ddb.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(tables.TableNames, ","), "probe"; got != want {
		t.Fatalf("tables = %q, want %q", got, want)
	}
	q := sqs.NewFromConfig(cfg)
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("probe")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
		t.Fatalf("send message: %v", err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("receive message: %v", err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hello" {
		t.Fatalf("received %+v, want one message hello", got.Messages)
	}

	pids := []int{emu.procs[0].cmd.Process.Pid, emu.procs[1].cmd.Process.Pid}
	if err := emu.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := emu.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, endpoint := range []string{emu.DynamoDB, emu.SQS} {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(endpoint, "http://"), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", endpoint)
		}
	}
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d still exists after Close (kill 0: %v)", pid, err)
		}
	}
}

func TestSharedIsStartedOnce(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Fatal("Shared returned two different emulator pairs")
	}
	if err := Ping(context.Background(), a.DynamoDB, a.SQS); err != nil {
		t.Fatal(err)
	}
}

// TestSetenv points config.LoadDefaultConfig, as the functions use it, at the shared emulators.
func TestSetenv(t *testing.T) {
	emu := Shared(t)
	for k := range emu.EnvMap() {
		t.Setenv(k, "") // restored after the test
	}
	if err := emu.Setenv(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg, DynamoOptions).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("DynamoDB through the environment: %v", err)
	}
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("SQS through the environment: %v", err)
	}
}

func TestEnv(t *testing.T) {
	e := &Emulators{DynamoDB: "http://127.0.0.1:1", SQS: "http://127.0.0.1:2"}
	got := strings.Join(e.Env(), " ")
	want := "AWS_ACCESS_KEY_ID=local AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1 AWS_ENDPOINT_URL_SQS=http://127.0.0.1:2 AWS_REGION=us-east-1 AWS_SECRET_ACCESS_KEY=local"
	if got != want {
		t.Fatalf("Env = %q, want %q", got, want)
	}
}

// BenchmarkStart measures Start to both emulators answering, and Close; run with -benchtime=3x.
func BenchmarkStart(b *testing.B) {
	for _, fast := range []bool{false, true} {
		b.Run(fmt.Sprintf("fast=%v", fast), func(b *testing.B) {
			for b.Loop() {
				emu, err := Start(context.Background(), Options{FastStart: fast})
				if err != nil {
					b.Fatal(err)
				}
				if err := emu.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

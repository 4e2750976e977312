// Command ddbcost measures what each DynamoDB operation the functions make costs DynamoDB Local: its CPU time
// per call (read from /proc for the emulator's process) and calls a second, so the local stack's limit can be
// traced to the calls that cause it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func main() {
	n := flag.Int("n", 2000, "calls per operation")
	conc := flag.Int("c", 8, "concurrent callers")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *n, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "ddbcost:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n, conc int) error {
	emu, err := emulators.Start(ctx, emulators.Options{})
	if err != nil {
		return err
	}
	defer emu.Close()
	pid, err := javaPid(emu.DynamoDB)
	if err != nil {
		return err
	}
	cfg, err := emu.AWSConfig(ctx)
	if err != nil {
		return err
	}
	db, sq := sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), sdkconfig.SQS(cfg)
	res, err := runner.Provision(ctx, db, sq, "cost-", 0)
	if err != nil {
		return err
	}
	table := res.Tables[topology.Contacts.ID]
	store := dynamo.NewContacts(db, table, time.Hour)
	at := time.Now().UTC()
	mk := func(i int, prefix string) contact.Contact {
		return contact.Contact{ID: fmt.Sprintf("c_%s%024d", prefix, i), Merchant: "m1",
			Shopper: contact.Shopper{ID: "s-" + strconv.Itoa(i), Tier: contact.Standard}, Locale: contact.English,
			Channel: "web", Text: "where is my parcel", ReceivedAt: at, TokenHash: strings.Repeat("0", 64)}
	}
	queued := func(c contact.Contact) contact.Record {
		return contact.Record{Contact: c, Status: contact.Queued, Priority: priority.Normal, Reasons: []string{"no_match"},
			EnqueuedAt: at, UpdatedAt: at}
	}
	answered := func(c contact.Contact) contact.Record {
		return contact.Record{Contact: c, Status: contact.Answered, Answer: "Your parcel is on its way: track it under My orders.",
			AnsweredBy: "bot", Intent: "order.track", Template: "order.track", Confidence: 0.91, UpdatedAt: at, AnsweredAt: at}
	}
	// Warm the JVM up first, so the first operation measured does not pay for the JIT.
	for i := range 500 {
		if _, err := store.Accept(ctx, mk(i, "wu"), "t", "", ""); err != nil {
			return err
		}
	}
	// settleTen settles, at every tenth i, the ten contacts from i as outcome makes them: a batch of the responder.
	settleTen := func(i int, prefix string, outcome func(contact.Contact) contact.Record) error {
		if i%10 != 0 {
			return nil
		}
		recs := make([]contact.Record, 10)
		for j := range recs {
			recs[j] = outcome(mk(i+j, prefix))
		}
		if res := store.Settle(ctx, recs); len(res.Failed) > 0 {
			return fmt.Errorf("settle: %v", res.Failed)
		}
		return nil
	}
	ops := []struct {
		name string
		call func(i int) error
		n    int    // calls, when not n
		prep string // contacts accepted with this prefix before the calls are timed
	}{
		{"PutItem (Accept, no idempotency key)", func(i int) error {
			_, err := store.Accept(ctx, mk(i, "pa"), "t", "", "")
			return err
		}, 0, ""},
		{"TransactWriteItems x2 (Accept with key)", func(i int) error {
			_, err := store.Accept(ctx, mk(i, "pb"), "t", "key-"+strconv.Itoa(i), "h")
			return err
		}, 0, ""},
		{"GetItem (NoteShopper)", func(i int) error {
			_, err := store.NoteShopper(ctx, mk(i, "pa"), "")
			return err
		}, 0, ""},
		{"GetItem (Get)", func(i int) error {
			_, err := store.Get(ctx, mk(i, "pa").ID)
			return err
		}, 0, ""},
		{"UpdateItem x10 (Settle queued), per contact", func(i int) error { return settleTen(i, "pb", queued) }, 0, ""},
		{"UpdateItem x10 (Settle answered), per contact", func(i int) error { return settleTen(i, "pc", answered) }, 0, "pc"},
		{"Query queue index (Position, 1 page)", func(i int) error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, IndexName: aws.String("queue"),
				KeyConditionExpression:    aws.String("qp = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "normal"}},
				Select:                    types.SelectCount})
			return err
		}, n / 10, ""},
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "operation\tcalls\tcalls/s\temulator CPU ms/call\tof it on the SQLite thread\t\n")
	for _, op := range ops {
		n := n
		if op.n > 0 {
			n = op.n
		}
		if op.prep != "" {
			for i := range n {
				if _, err := store.Accept(ctx, mk(i, op.prep), "t", "", ""); err != nil {
					return err
				}
			}
		}
		cpu0, err := cpuTicks(pid)
		if err != nil {
			return err
		}
		sql0 := threadTicks(pid, "SQLiteQueue")
		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		var first atomic.Value
		for range conc {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if err := op.call(i); err != nil {
						first.CompareAndSwap(nil, err)
						return
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		if err, _ := first.Load().(error); err != nil {
			return fmt.Errorf("%s: %w", op.name, err)
		}
		cpu1, err := cpuTicks(pid)
		if err != nil {
			return err
		}
		sql1 := threadTicks(pid, "SQLiteQueue")
		calls := n
		if strings.Contains(op.name, "x10") {
			calls = n / 10
		}
		perCall := func(ticks int64) float64 { return float64(ticks) * 1000 / 100 / float64(n) } // ticks are 1/100 s; per contact
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t\n", op.name, calls, float64(calls)/took.Seconds(), perCall(cpu1-cpu0), perCall(sql1-sql0))
	}
	return tw.Flush()
}

// javaPid finds the DynamoDB Local process listening at endpoint's port.
func javaPid(endpoint string) (int, error) {
	port := endpoint[strings.LastIndex(endpoint, ":")+1:]
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		if strings.Contains(string(cmd), "DynamoDBLocal.jar") && strings.Contains(string(cmd), "-port\x00"+port+"\x00") {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no DynamoDB Local process on port %s", port)
}

// threadTicks sums the CPU ticks of pid's threads whose name starts with prefix (DynamoDB Local runs every
// storage operation on one "SQLiteQueue" thread, which bounds its throughput).
func threadTicks(pid int, prefix string) int64 {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	var sum int64
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		name := s[strings.IndexByte(s, '(')+1 : strings.LastIndexByte(s, ')')]
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		sum += u + st
	}
	return sum
}

// cpuTicks is a process's user plus system time in clock ticks (1/100 s on Linux).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st, nil
}

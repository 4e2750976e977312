package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"breakwater/shared/aws/dynamo"
	"breakwater/shared/aws/intakequeue"
	"breakwater/shared/aws/sdkconfig"
	"breakwater/shared/catalog"
	"breakwater/shared/contact"
	"breakwater/shared/local/emulators"
	"breakwater/shared/local/runner"
	"breakwater/shared/topology"
)

// RigOptions configures StartRig.
type RigOptions struct {
	// Stack is passed to runner.Start; its ExtraEnv gets the proxies' endpoints. Emulators must be set.
	Stack runner.Options
	// Dynamo and SQS configure the proxies; Target and Service are filled in.
	Dynamo, SQS Options
}

// Rig is a local stack whose functions reach DynamoDB and SQS only through fault proxies, and an accountant that
// reads the emulators directly.
type Rig struct {
	Stack       *runner.Stack
	Dynamo, SQS *Proxy
	// Settles sums the responder's EMF counts: one per contact it settled.
	Settles *SettleCounter

	db   *dynamodb.Client
	sq   *sqs.Client
	http *http.Client
}

// StartRig starts the proxies in front of o.Stack.Emulators and the stack behind them.
func StartRig(ctx context.Context, o RigOptions) (_ *Rig, err error) {
	emu := o.Stack.Emulators
	if emu == nil {
		return nil, errors.New("start fault rig: no emulators")
	}
	r := &Rig{Settles: &SettleCounter{}}
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Close())
		}
	}()
	o.Dynamo.Target, o.Dynamo.Service = emu.DynamoDB, DynamoDB
	if r.Dynamo, err = Start(o.Dynamo); err != nil {
		return nil, err
	}
	o.SQS.Target, o.SQS.Service = emu.SQS, SQS
	if r.SQS, err = Start(o.SQS); err != nil {
		return nil, err
	}
	env := map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": r.Dynamo.URL, "AWS_ENDPOINT_URL_SQS": r.SQS.URL}
	for k, v := range o.Stack.ExtraEnv {
		env[k] = v
	}
	o.Stack.ExtraEnv = env
	if o.Stack.Log == nil {
		o.Stack.Log = r.Settles
	} else {
		o.Stack.Log = io.MultiWriter(o.Stack.Log, r.Settles)
	}
	if r.Stack, err = runner.Start(ctx, o.Stack); err != nil {
		return nil, err
	}
	cfg, err := emu.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	r.db, r.sq = sdkconfig.DynamoDB(cfg, emulators.DynamoOptions), sdkconfig.SQS(cfg)
	r.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	return r, nil
}

// Close stops the stack, then the proxies.
func (r *Rig) Close() error {
	var errs []error
	if r.Stack != nil {
		errs = append(errs, r.Stack.Close())
	}
	for _, p := range []*Proxy{r.Dynamo, r.SQS} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

// Faults sums the injected faults of both proxies by service and kind, as "dynamodb throttle".
func (r *Rig) Faults() map[string]int64 {
	out := map[string]int64{}
	for _, p := range []*Proxy{r.Dynamo, r.SQS} {
		for k, n := range p.Counts() {
			out[string(p.o.Service)+" "+string(k)] += n
		}
	}
	return out
}

// Submission is what became of one contact a storefront posted.
type Submission struct {
	ID, Token string
	// Accepted is true once a post answered 202; Attempts counts the posts.
	Accepted bool
	Attempts int
	// LastStatus is the HTTP status of the last post.
	LastStatus int
	// Seen is the contact's first settled state the shopper read; empty until Watch.
	Seen View
}

// View is a contact as the shopper's status call shows it.
type View struct {
	Status string `json:"status"`
	Answer string `json:"answer"`
}

// Submit posts body as a storefront does: on 503 (or any 5xx or a broken connection) it waits and posts again with the
// same Idempotency-Key, up to attempts times.
func (r *Rig) Submit(ctx context.Context, body []byte, key string, attempts int) Submission {
	var s Submission
	for s.Attempts < attempts && ctx.Err() == nil {
		s.Attempts++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Stack.URL+"/contacts", bytes.NewReader(body))
		if err != nil {
			return s
		}
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := r.http.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			s.LastStatus = resp.StatusCode
			if resp.StatusCode == http.StatusAccepted {
				var a struct{ ID, Token string }
				if err := json.Unmarshal(b, &a); err == nil && a.ID != "" {
					s.ID, s.Token, s.Accepted = a.ID, a.Token, true
				}
				return s
			}
			if resp.StatusCode < 500 {
				return s
			}
		}
		backoff(ctx, s.Attempts)
	}
	return s
}

func backoff(ctx context.Context, attempt int) {
	d := time.Duration(min(50<<attempt, 2000)) * time.Millisecond
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Watch polls the shopper's status call until the contact leaves pending (retrying 503s) and records what it saw.
func (r *Rig) Watch(ctx context.Context, s *Submission, every time.Duration) error {
	for ctx.Err() == nil {
		v, code, err := r.Read(ctx, s.ID, s.Token)
		if err == nil && code == http.StatusOK && v.Status != string(contact.Pending) {
			s.Seen = v
			return nil
		}
		if err == nil && code != http.StatusOK && code < 500 {
			return fmt.Errorf("read contact %s: status %d", s.ID, code)
		}
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
	return fmt.Errorf("watch contact %s: %w", s.ID, ctx.Err())
}

// Read is one shopper status call.
func (r *Rig) Read(ctx context.Context, id, token string) (View, int, error) {
	var v View
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.Stack.URL+"/contacts/"+id, nil)
	if err != nil {
		return v, 0, err
	}
	req.Header.Set("X-Contact-Token", token)
	resp, err := r.http.Do(req)
	if err != nil {
		return v, 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &v); err != nil {
			return v, resp.StatusCode, fmt.Errorf("decode status of %s: %w", id, err)
		}
	}
	return v, resp.StatusCode, nil
}

// Ledger is the accounting of a run: where every accepted contact ended.
type Ledger struct {
	Accepted, Answered, Queued, Claimed, Resolved, Rejected, InDLQ int
	// Lost are accepted contacts that are pending with nothing left to process them, or gone.
	Lost []string
	// Pending are accepted contacts still pending with messages still on the intake queue (not lost, not done).
	Pending int
	// Changed are contacts whose stored answer differs from what the shopper first read: answered twice.
	Changed []string
	// Misjudged are answered contacts whose answer a fresh triage decision would not give.
	Misjudged []string
	// Withdrawn counts tombstones of contacts the intake could not queue (their shopper got 503).
	Withdrawn int
	// Phantoms are settled contacts no shopper got a 202 for; Orphans are pending ones.
	Phantoms, Orphans []string
	// NoTTL lists items (any kind) without expiresAt.
	NoTTL []string
	// Items counts the table's items by kind: contact, shopper note, idempotency key.
	Items map[string]int
	// DLQ is the dead-letter queue's depth (visible messages, the alarm's metric); DLQContacts the contacts it holds.
	DLQ         int
	DLQContacts map[string]bool
	// IntakeDepth is what was left on the intake queue.
	IntakeDepth int
}

// Check reports the accounting errors: accepted must equal answered + queued + claimed + resolved + rejected + in the
// DLQ, nothing lost, no answer changed or misjudged, no phantom.
func (l Ledger) Check() error {
	var errs []error
	if sum := l.Answered + l.Queued + l.Claimed + l.Resolved + l.Rejected + l.InDLQ; sum != l.Accepted {
		errs = append(errs, fmt.Errorf("accepted %d != answered %d + queued %d + claimed %d + resolved %d + rejected %d + in DLQ %d = %d (pending %d, lost %d)",
			l.Accepted, l.Answered, l.Queued, l.Claimed, l.Resolved, l.Rejected, l.InDLQ, sum, l.Pending, len(l.Lost)))
	}
	for name, ids := range map[string][]string{"lost": l.Lost, "answered twice (answer changed)": l.Changed,
		"answered differently from a fresh decision": l.Misjudged, "phantom (settled, never accepted)": l.Phantoms, "without TTL": l.NoTTL} {
		if len(ids) > 0 {
			errs = append(errs, fmt.Errorf("%d contacts %s: %s", len(ids), name, strings.Join(ids[:min(5, len(ids))], ", ")))
		}
	}
	return errors.Join(errs...)
}

// String is the ledger as one line.
func (l Ledger) String() string {
	return fmt.Sprintf("accepted %d: answered %d, queued %d, claimed %d, resolved %d, rejected %d, in DLQ %d, pending %d, lost %d; changed %d, misjudged %d; withdrawn %d, phantoms %d, orphans %d; items %v; DLQ depth %d, intake depth %d",
		l.Accepted, l.Answered, l.Queued, l.Claimed, l.Resolved, l.Rejected, l.InDLQ, l.Pending, len(l.Lost), len(l.Changed), len(l.Misjudged),
		l.Withdrawn, len(l.Phantoms), len(l.Orphans), l.Items, l.DLQ, l.IntakeDepth)
}

// Drain waits until the intake queue is empty (no message visible or in flight) or ctx ends.
func (r *Rig) Drain(ctx context.Context) error {
	for {
		n, err := r.Stack.IntakeDepth(ctx)
		if err == nil && n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain intake queue (%d left): %w", n, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Account drains the intake queue and reads the table and the DLQ to say where each submission ended.
func (r *Rig) Account(ctx context.Context, subs []Submission) (Ledger, error) {
	l := Ledger{Items: map[string]int{}, DLQContacts: map[string]bool{}}
	drainErr := r.Drain(ctx)
	var err error
	if l.IntakeDepth, err = r.Stack.IntakeDepth(ctx); err != nil {
		return l, err
	}
	if l.DLQ, l.DLQContacts, err = r.dlq(ctx); err != nil {
		return l, err
	}
	items, err := r.scan(ctx)
	if err != nil {
		return l, err
	}
	tri, err := catalog.NewCache(dynamo.NewCatalog(r.db, r.Stack.Resources.Tables[topology.Catalog.ID]), time.Hour).Get(ctx)
	if err != nil {
		return l, fmt.Errorf("load templates for the fresh decisions: %w", err)
	}
	now := time.Now()
	accepted := map[string]bool{}
	for _, s := range subs {
		if !s.Accepted {
			continue
		}
		accepted[s.ID] = true
		l.Accepted++
		it, ok := items[s.ID]
		switch {
		case l.DLQContacts[s.ID] && (!ok || it.rec.Status == contact.Pending):
			l.InDLQ++
			continue
		case !ok:
			l.Lost = append(l.Lost, s.ID)
			continue
		}
		rec := it.rec
		switch rec.Status {
		case contact.Answered:
			l.Answered++
			if d := tri.Decide(rec.Contact, rec.UpdatedAt); !d.Auto || d.Answer != rec.Answer {
				l.Misjudged = append(l.Misjudged, s.ID)
			}
		case contact.Queued:
			l.Queued++
		case contact.Claimed:
			l.Claimed++
		case contact.Resolved:
			l.Resolved++
		case contact.Rejected:
			l.Rejected++
		case contact.Pending:
			if l.IntakeDepth > 0 {
				l.Pending++
			} else {
				l.Lost = append(l.Lost, s.ID)
			}
		default:
			l.Lost = append(l.Lost, s.ID) // withdrawn after a 202
		}
		if s.Seen.Status != "" && (s.Seen.Answer != rec.Answer && rec.Status != contact.Resolved) {
			l.Changed = append(l.Changed, s.ID)
		}
	}
	for id, it := range items {
		if it.kind != "contact" || accepted[id] {
			continue
		}
		switch it.rec.Status {
		case contact.Withdrawn:
			l.Withdrawn++
		case contact.Pending:
			l.Orphans = append(l.Orphans, id)
		default:
			l.Phantoms = append(l.Phantoms, id)
		}
	}
	for key, it := range items {
		l.Items[it.kind]++
		if it.expiresAt <= now.Unix() {
			l.NoTTL = append(l.NoTTL, key)
		}
	}
	return l, drainErr
}

type scanned struct {
	kind      string // contact, shopper, idempotency
	rec       contact.Record
	expiresAt int64
}

// scan reads the whole contacts table, keyed by contact id (contacts) or pk (the other kinds). Contacts are read
// with the adapter's own Get, so the ledger sees what the API sees.
func (r *Rig) scan(ctx context.Context) (map[string]scanned, error) {
	table := r.Stack.Resources.Tables[topology.Contacts.ID]
	out := map[string]scanned{}
	var ids []string
	var start map[string]types.AttributeValue
	for {
		page, err := r.db.Scan(ctx, &dynamodb.ScanInput{TableName: &table, ExclusiveStartKey: start, ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("#p, #e"), ExpressionAttributeNames: map[string]string{"#p": "pk", "#e": "expiresAt"}})
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", table, err)
		}
		for _, item := range page.Items {
			var head struct {
				PK        string `dynamodbav:"pk"`
				ExpiresAt int64  `dynamodbav:"expiresAt"`
			}
			if err := attributevalue.UnmarshalMap(item, &head); err != nil {
				return nil, fmt.Errorf("decode item: %w", err)
			}
			kind := map[string]string{"C#": "contact", "S#": "shopper", "I#": "idempotency"}[head.PK[:min(2, len(head.PK))]]
			if kind == "" {
				kind = "other"
			}
			key := head.PK
			if kind == "contact" {
				key = strings.TrimPrefix(head.PK, "C#")
				ids = append(ids, key)
			}
			out[key] = scanned{kind: kind, expiresAt: head.ExpiresAt}
		}
		if start = page.LastEvaluatedKey; len(start) == 0 {
			break
		}
	}
	store := dynamo.NewContacts(r.db, table, time.Hour)
	recs := make([]contact.Record, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				recs[i], errs[i] = store.Get(ctx, ids[i])
			}
		})
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	for i, id := range ids {
		it := out[id]
		it.rec = recs[i]
		out[id] = it
	}
	return out, nil
}

// dlq reads the dead-letter queue's visible depth (the alarm's metric) and the contact ids its messages carry.
// The messages stay where they are.
func (r *Rig) dlq(ctx context.Context) (int, map[string]bool, error) {
	url := r.Stack.Resources.DLQURL
	attrs, err := r.sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return 0, nil, fmt.Errorf("read DLQ depth: %w", err)
	}
	depth, _ := strconv.Atoi(attrs.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	ids := map[string]bool{}
	var handles []string
	defer func() {
		// Make them visible again at once, so the alarm's metric still counts them.
		for start := 0; start < len(handles); start += 10 {
			var entries []sqstypes.ChangeMessageVisibilityBatchRequestEntry
			for i, h := range handles[start:min(start+10, len(handles))] {
				entries = append(entries, sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h), VisibilityTimeout: 0})
			}
			_, _ = r.sq.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: entries})
		}
	}()
	for seen := 0; seen < depth; {
		out, err := r.sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, VisibilityTimeout: 60,
			MessageAttributeNames: []string{"All"}})
		if err != nil {
			return 0, nil, fmt.Errorf("read DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			seen++
			handles = append(handles, aws.ToString(m.ReceiptHandle))
			if a, ok := m.MessageAttributes[intakequeue.ContactIDAttribute]; ok && a.StringValue != nil {
				ids[*a.StringValue] = true
			} else if c, err := intakequeue.Decode(aws.ToString(m.Body)); err == nil {
				ids[c.ID] = true
			}
		}
	}
	return depth, ids, nil
}

// SettleCounter is an io.Writer for the functions' logs that sums the responder's EMF counts.
type SettleCounter struct {
	mu      sync.Mutex
	part    []byte
	totals  map[string]float64
	capture *bytes.Buffer
}

// Capture keeps every log line from now on, for tests that scan the logs.
func (c *SettleCounter) Capture() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.capture = &bytes.Buffer{}
}

// Logs is what Capture kept.
func (c *SettleCounter) Logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.capture == nil {
		return ""
	}
	return c.capture.String()
}

func (c *SettleCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.capture != nil {
		c.capture.Write(p)
	}
	c.part = append(c.part, p...)
	consumed := 0
	for {
		i := bytes.IndexByte(c.part[consumed:], '\n')
		if i < 0 {
			break
		}
		c.line(c.part[consumed : consumed+i])
		consumed += i + 1
	}
	c.part = append(c.part[:0], c.part[consumed:]...)
	return len(p), nil
}

func (c *SettleCounter) line(b []byte) {
	if !bytes.Contains(b, []byte(`"_aws"`)) {
		return
	}
	i := bytes.IndexByte(b, '{')
	if i < 0 {
		return
	}
	var rec map[string]any
	if json.Unmarshal(b[i:], &rec) != nil {
		return
	}
	if c.totals == nil {
		c.totals = map[string]float64{}
	}
	for _, name := range []string{topology.MetricAnswered, topology.MetricQueued, topology.MetricRejected} {
		if v, ok := rec[name].(float64); ok {
			c.totals[name] += v
		}
	}
}

// Total is the number of settles the responder counted.
func (c *SettleCounter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0.0
	for _, v := range c.totals {
		n += v
	}
	return int(n)
}

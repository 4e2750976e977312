package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
)

// Agents' activity, for honest wait estimates: per tenant and minute, spread over activityShards items so that a
// tenant with thousands of agents writes no one item hot, each holds the set of agents active in that minute per
// language, and the sum and count of handle times of the contacts they resolved.
const (
	activityShards = 16 // scripts/plan: at 8 the biggest merchant's items took 2,112 WCU/s each at Double 11 (a write is billed for the whole set of names)
	// activityWindow is how far back agents count as on shift for an estimate.
	activityWindow = 5 * time.Minute
)

func activityKey(tenant string, minute int64, shard int) string {
	return "T#" + tenant + "#" + strconv.FormatInt(minute, 10) + "#" + strconv.Itoa(shard)
}

// recordActivity notes that agent worked at now and, when handled is positive, resolved a contact it held that
// long. It is best effort: an estimate is a little less sure without it, and nothing else depends on it.
func (s *Contacts) recordActivity(ctx context.Context, agent humanqueue.Agent, now time.Time, handled time.Duration) {
	h := fnv.New32a()
	h.Write([]byte(agent.Name))
	update := "SET expiresAt = :exp"
	names := map[string]string{}
	values := map[string]types.AttributeValue{":exp": num(now.Add(24 * time.Hour).Unix())}
	if len(agent.Languages) > 0 {
		update += " ADD"
		for i, l := range agent.Languages {
			ref := "#l" + strconv.Itoa(i)
			names[ref] = string(l)
			if i > 0 {
				update += ","
			}
			update += " " + ref + " :who"
		}
		values[":who"] = &types.AttributeValueMemberSS{Value: []string{agent.Name}}
	}
	if handled > 0 {
		update += ", handleMs :ms, handled :one"
		values[":ms"], values[":one"] = num(handled.Milliseconds()), num(1)
	}
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(activityKey(agent.Tenant, now.Unix()/60, int(h.Sum32()%activityShards))),
		UpdateExpression: aws.String(update), ExpressionAttributeValues: values,
	}
	if len(names) > 0 {
		in.ExpressionAttributeNames = names
	}
	_, _ = s.db.UpdateItem(ctx, in)
}

// Staffing returns how many of tenant's agents who speak locale were active in the last few minutes, and their
// average handle time over that window (zero when none resolved a contact in it).
func (s *Contacts) Staffing(ctx context.Context, tenant string, locale contact.Locale) (int, time.Duration, error) {
	now := s.Now()
	var keys []map[string]types.AttributeValue
	for m := now.Add(-activityWindow).Unix() / 60; m <= now.Unix()/60; m++ {
		for sh := range activityShards {
			keys = append(keys, key(activityKey(tenant, m, sh)))
		}
	}
	out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{s.table: {Keys: keys}}})
	if err != nil {
		return 0, 0, fmt.Errorf("read staffing of %s: %w", tenant, translate(err))
	}
	agents := map[string]bool{}
	var ms, n int64
	for _, item := range out.Responses[s.table] {
		if set, ok := item[string(locale)].(*types.AttributeValueMemberSS); ok {
			for _, a := range set.Value {
				agents[a] = true
			}
		}
		if v, ok := item["handleMs"].(*types.AttributeValueMemberN); ok {
			x, _ := strconv.ParseInt(v.Value, 10, 64)
			ms += x
		}
		if v, ok := item["handled"].(*types.AttributeValueMemberN); ok {
			x, _ := strconv.ParseInt(v.Value, 10, 64)
			n += x
		}
	}
	if n == 0 {
		return len(agents), 0, nil
	}
	return len(agents), time.Duration(ms/n) * time.Millisecond, nil
}

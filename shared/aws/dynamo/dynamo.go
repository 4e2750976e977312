// Package dynamo stores contacts, the human queues and the answer catalog in DynamoDB, and turns its errors into
// the domain's.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"breakwater/shared/contact"
	"breakwater/shared/topology"
)

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{topology.ContactKey: str(pk)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

// throttleCodes are the error codes with which DynamoDB says it is throttling: the typed exceptions, and the
// "ThrottlingException" that control-plane and on-demand throttles carry, for which the SDK has no type.
var throttleCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"RequestLimitExceeded":                   true,
	"ThrottlingException":                    true,
}

// translate turns SDK errors the domain cares about into its sentinels, keeping the original in the chain.
func translate(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && throttleCodes[api.ErrorCode()] {
		return errors.Join(contact.ErrThrottled, err)
	}
	return err
}

// errThrottledBatch is a batch write DynamoDB kept leaving unprocessed: it is throttling.
var errThrottledBatch = errors.Join(contact.ErrThrottled, errors.New("batch write left items unprocessed"))

// querier is the part of *dynamodb.Client that reading a query's pages uses.
type querier interface {
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// eachItem runs in page by page, visiting every item, and stops at the first error; what names the read in errors.
func eachItem(ctx context.Context, db querier, what string, in *dynamodb.QueryInput, visit func(map[string]types.AttributeValue) error) error {
	return eachPage(ctx, db, what, in, 0, func(out *dynamodb.QueryOutput) error {
		for _, item := range out.Items {
			if err := visit(item); err != nil {
				return err
			}
		}
		return nil
	})
}

// eachPage runs in and hands over each page, stopping after maxPages pages when maxPages is positive.
func eachPage(ctx context.Context, db querier, what string, in *dynamodb.QueryInput, maxPages int, visit func(*dynamodb.QueryOutput) error) error {
	pages := dynamodb.NewQueryPaginator(db, in)
	for n := 0; pages.HasMorePages() && (maxPages <= 0 || n < maxPages); n++ {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, translate(err))
		}
		if err := visit(out); err != nil {
			return err
		}
	}
	return nil
}

// Backoff is how long a retry waits: Base doubled per attempt, capped at Max, with full jitter.
type Backoff struct {
	Base, Max time.Duration
}

// DefaultBackoff starts at 25 ms and waits at most 1 s between attempts.
var DefaultBackoff = Backoff{Base: 25 * time.Millisecond, Max: time.Second}

// delay is the pause before retry attempt (1 for the first retry).
func (b Backoff) delay(attempt int) time.Duration {
	d := b.Max
	if attempt < 30 && b.Base<<(attempt-1) < b.Max {
		d = b.Base << (attempt - 1)
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d) + 1
}

// wait pauses before retry attempt, or returns ctx's error when ctx ends first.
func (b Backoff) wait(ctx context.Context, attempt int) error {
	t := time.NewTimer(b.delay(attempt))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

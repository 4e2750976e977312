package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"breakwater/shared/contact"
	"breakwater/shared/humanqueue"
)

// Where the pages' WebSocket connections are kept: the shopper's on the contact (pushConn), an agent's console's
// on the agent's own record, beside its lease slots. A registration replaces the one before (a page has one
// socket); a connection found gone is removed only while it is still the one registered.

// pushAttr is the attribute holding a registered connection id.
const pushAttr = "pushConn"

// agentPushTTL is how long an agent's record with only a registration lives: API Gateway ends a WebSocket
// connection after two hours at most, and the console registers again when it reconnects.
const agentPushTTL = 24 * time.Hour

// RegisterShopperPush stores conn as the connection of the page following contact id, in one UpdateItem;
// contact.ErrNotFound when there is no such contact.
func (s *Contacts) RegisterShopperPush(ctx context.Context, id, conn string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(contactKey(id)),
		UpdateExpression:          aws.String("SET #p = :c"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#p": pushAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(conn)},
	})
	if isConditionFailed(err) {
		return fmt.Errorf("register push of contact %s: %w", id, contact.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("register push of contact %s: %w", id, translate(err))
	}
	return nil
}

// RegisterAgentPush stores conn as the connection of agent's console, on the agent's record, in one UpdateItem.
func (s *Contacts) RegisterAgentPush(ctx context.Context, agent humanqueue.Agent, conn string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(agentKey(agent.Tenant, agent.Name)),
		// A claim sets the record's expiry by its lease; a registration alone keeps the record a day.
		UpdateExpression:          aws.String("SET #p = :c, expiresAt = if_not_exists(expiresAt, :exp)"),
		ExpressionAttributeNames:  map[string]string{"#p": pushAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(conn), ":exp": num(s.Now().Add(agentPushTTL).Unix())},
	})
	if err != nil {
		return fmt.Errorf("register push of agent %s: %w", agent.Name, translate(err))
	}
	return nil
}

// HolderPush returns the connection of the console of the agent who holds contact id with a live lease (claimed,
// or waiting for the shopper), and that agent's tenant and name; conn is "" when nobody holds it or the agent
// registered no console.
func (s *Contacts) HolderPush(ctx context.Context, id string) (conn, tenant, agent string, err error) {
	it, err := s.getItem(ctx, id)
	if err != nil {
		return "", "", "", err
	}
	if it.Agent == "" || it.LeaseHash == "" || !humanqueue.Held(fromMillis(it.LeaseUntil), s.Now()) {
		return "", "", "", nil
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(agentKey(it.Tenant, it.Agent)),
		ProjectionExpression: aws.String("#p"), ExpressionAttributeNames: map[string]string{"#p": pushAttr}})
	if err != nil {
		return "", "", "", fmt.Errorf("read push of agent %s: %w", it.Agent, translate(err))
	}
	var rec struct {
		Conn string `dynamodbav:"pushConn"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return "", "", "", fmt.Errorf("decode push of agent %s: %w", it.Agent, err)
	}
	return rec.Conn, it.Tenant, it.Agent, nil
}

// DropShopperPush removes the registration of contact id's page while it is still conn (a connection found
// gone). Best effort: a registration left behind costs one failed poke, then the page registers anew.
func (s *Contacts) DropShopperPush(ctx context.Context, id, conn string) error {
	return s.dropPush(ctx, contactKey(id), conn)
}

// DropAgentPush removes the registration of the agent's console while it is still conn.
func (s *Contacts) DropAgentPush(ctx context.Context, tenant, agent, conn string) error {
	return s.dropPush(ctx, agentKey(tenant, agent), conn)
}

func (s *Contacts) dropPush(ctx context.Context, pk, conn string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(pk),
		UpdateExpression:          aws.String("REMOVE #p"),
		ConditionExpression:       aws.String("#p = :c"),
		ExpressionAttributeNames:  map[string]string{"#p": pushAttr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(conn)},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("drop a gone push connection: %w", translate(err))
	}
	return nil
}

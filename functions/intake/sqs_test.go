package main

import (
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func receiveAll(url string) *sqs.ReceiveMessageInput {
	return &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30}
}

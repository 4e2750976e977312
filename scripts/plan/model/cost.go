package model

import "math"

// Prices are list prices in US dollars (us-east-1).
type Prices struct {
	HTTPPerMillion    float64 // API Gateway HTTP API requests
	SQSPerMillion     float64 // SQS standard requests
	LambdaPerGBSecond float64 // arm64
	LambdaPerMillion  float64 // invocations
	WRUPerMillion     float64 // DynamoDB on-demand write request units
	RRUPerMillion     float64 // DynamoDB on-demand read request units
}

// ListPrices are the us-east-1 list prices the plan uses.
func ListPrices() Prices {
	return Prices{
		HTTPPerMillion: 1.00, SQSPerMillion: 0.40, LambdaPerGBSecond: 0.0000133334, LambdaPerMillion: 0.20,
		WRUPerMillion: 0.625, RRUPerMillion: 0.125,
	}
}

// Calls is what one contact costs in calls and time, the assumptions the cost rests on.
type Calls struct {
	RoutineShare float64
	BatchSize    int
	// Polls is how many GET /contacts/{id} a shopper's page makes per contact.
	Polls float64
	// AgentCalls is how many agent API calls a handed-off contact takes (claim, read, reply).
	AgentCalls float64
	// Milliseconds of Lambda time and memory in MB per call.
	IntakeMillis, ResponderBatchMillis, AgentMillis float64
	IntakeMB, ResponderMB, AgentMB                  float64
	// DynamoDB units per contact.
	IntakeWRU, ResponderWRU, AgentWRU float64
	RRUPerPoll, AgentRRU              float64
}

// CostLine is one service's share of the cost of a million contacts.
type CostLine struct {
	Service    string
	Unit       string
	PerContact float64 // units per contact
	PerMillion float64 // dollars per million contacts
}

// CostPerMillion prices a million contacts line by line.
func CostPerMillion(c Calls, p Prices) []CostLine {
	handed := 1 - c.RoutineShare
	batches := 1 / float64(c.BatchSize)
	http := 1 + c.Polls + handed*c.AgentCalls
	sqs := 1 + 2*batches // one send by intake; one receive and one delete batch per batch by the event source
	invocations := 1 + c.Polls + batches + handed*c.AgentCalls
	gbs := ((1+c.Polls)*billedMillis(c.IntakeMillis)*c.IntakeMB +
		batches*billedMillis(c.ResponderBatchMillis)*c.ResponderMB +
		handed*c.AgentCalls*billedMillis(c.AgentMillis)*c.AgentMB) / 1000 / 1024
	wru := c.IntakeWRU + c.ResponderWRU + handed*c.AgentWRU
	rru := c.Polls*c.RRUPerPoll + handed*c.AgentRRU
	return []CostLine{
		{"API Gateway HTTP API", "requests", http, http * p.HTTPPerMillion},
		{"SQS", "requests", sqs, sqs * p.SQSPerMillion},
		{"Lambda invocations", "invocations", invocations, invocations * p.LambdaPerMillion},
		{"Lambda duration (arm64)", "GB-s", gbs, gbs * 1e6 * p.LambdaPerGBSecond},
		{"DynamoDB writes", "WRU", wru, wru * p.WRUPerMillion},
		{"DynamoDB reads", "RRU", rru, rru * p.RRUPerMillion},
	}
}

// billedMillis rounds up to the millisecond Lambda bills by.
func billedMillis(ms float64) float64 { return math.Ceil(ms) }

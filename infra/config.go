package main

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
)

// config is everything the stack takes from CDK context (`-c key=value` or cdk.json), with defaults.
type config struct {
	Stage            string        // stage: the stack is Breakwater-<stage>; "prod" retains stateful resources
	AssetDir         string        // assetDir: folder holding <function>/bootstrap, built by scripts/build
	MaxConcurrency   int           // maxConcurrency: cap on concurrent responder batches
	RetentionDays    int           // retentionDays: how long contacts live before TTL removes them
	AlarmEmail       string        // alarmEmail: optional address subscribed to the alarm topic
	IntakeAgeAlarm   time.Duration // intakeAgeAlarmSeconds: oldest intake message age that raises an alarm
	ThrottleRate     int           // throttleRate: steady requests per second across the HTTP API
	ThrottleBurst    int           // throttleBurst: burst requests across the HTTP API
	LogRetentionDays int           // logRetentionDays: how long function and access logs are kept
	LeaseSeconds     int           // leaseSeconds: how long a claim holds a contact for its agent
	HandleSeconds    int           // averageHandleSeconds: an agent's average time per contact, for wait estimates
	TemplateRefresh  time.Duration // templateRefreshSeconds: how often responders check the catalog for edits
}

// Defaults. The throttle leaves the account's 10,000 req/s API Gateway quota for other APIs and keeps the
// intake function well under the default 1,000 concurrent Lambda executions (10 ms handlers: ~20 concurrent).
const (
	defaultStage            = "dev"
	defaultAssetDir         = "build"
	defaultIntakeAgeAlarm   = 300
	defaultThrottleRate     = 1000
	defaultThrottleBurst    = 2000
	defaultLogRetentionDays = 30
)

var stageName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

// contextReader is the part of constructs.Node that configFrom uses.
type contextReader interface {
	TryGetContext(key *string) interface{}
}

// configFrom reads the stack settings from context; values from -c arrive as strings, from cdk.json as JSON values.
func configFrom(node contextReader) (config, error) {
	c := config{
		Stage:      str(node, "stage", defaultStage),
		AssetDir:   str(node, "assetDir", defaultAssetDir),
		AlarmEmail: str(node, "alarmEmail", ""),
	}
	if !stageName.MatchString(c.Stage) {
		return config{}, fmt.Errorf("context stage %q: want lower-case letters, digits and dashes, starting with a letter, at most 20", c.Stage)
	}
	ints := []struct {
		key      string
		def      int
		min, max int
		dst      *int
	}{
		// Lambda accepts 2..1000 for an SQS event source's maximum concurrency.
		{"maxConcurrency", topology.IntakeSource.MaxConcurrency, 2, 1000, &c.MaxConcurrency},
		{"retentionDays", topology.DefaultRetentionDays, 1, 3650, &c.RetentionDays},
		{"leaseSeconds", topology.DefaultLeaseSeconds, 30, int(humanqueue.MaxHold.Seconds()), &c.LeaseSeconds},
		{"averageHandleSeconds", topology.DefaultAverageHandleSeconds, 10, 3600, &c.HandleSeconds},
		{"throttleRate", defaultThrottleRate, 1, 10000, &c.ThrottleRate},
		{"throttleBurst", defaultThrottleBurst, 1, 5000, &c.ThrottleBurst},
		{"logRetentionDays", defaultLogRetentionDays, 1, 3653, &c.LogRetentionDays},
	}
	for _, in := range ints {
		v, err := integer(node, in.key, in.def)
		if err != nil {
			return config{}, err
		}
		if v < in.min || v > in.max {
			return config{}, fmt.Errorf("context %s = %d: want %d to %d", in.key, v, in.min, in.max)
		}
		*in.dst = v
	}
	age, err := integer(node, "intakeAgeAlarmSeconds", defaultIntakeAgeAlarm)
	if err != nil {
		return config{}, err
	}
	if age < 60 {
		return config{}, fmt.Errorf("context intakeAgeAlarmSeconds = %d: want at least 60 (SQS publishes once a minute)", age)
	}
	c.IntakeAgeAlarm = time.Duration(age) * time.Second
	refresh, err := integer(node, "templateRefreshSeconds", int(topology.DefaultTemplateTTL.Seconds()))
	if err != nil {
		return config{}, err
	}
	if refresh < 1 || refresh > 3600 {
		return config{}, fmt.Errorf("context templateRefreshSeconds = %d: want 1 to 3600", refresh)
	}
	c.TemplateRefresh = time.Duration(refresh) * time.Second
	return c, nil
}

func str(node contextReader, key, def string) string {
	v := node.TryGetContext(jsii.String(key))
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return def
}

func integer(node contextReader, key string, def int) (int, error) {
	switch v := node.TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case float64:
		if v != float64(int(v)) {
			return 0, fmt.Errorf("context %s = %v: want a whole number", key, v)
		}
		return int(v), nil
	case string:
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("context %s = %q: want a whole number", key, v)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("context %s = %v (%T): want a whole number", key, v, v)
	}
}

// prod reports whether the stage keeps its data when resources are removed from the stack or the stack is deleted.
func (c config) prod() bool { return c.Stage == "prod" }

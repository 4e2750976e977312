package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
)

// config is everything the stack takes from CDK context (`-c key=value` or cdk.json), with defaults.
type config struct {
	Stage    string // stage: the stack is Breakwater-<stage>; "prod" retains stateful resources
	AssetDir string // assetDir: folder holding <function>/bootstrap, built by scripts/build
	// Capacity is the account's quotas and how the stack shares them out (apiRateQuota, apiBurstQuota,
	// concurrencyQuota, maxConcurrency, warmWrites, warmReads, warmIndexWrites, warmIndexReads, wsConnectQuota:
	// topology.Capacity), what scripts/plan -check holds a peak against.
	Capacity         topology.Capacity
	RetentionDays    int           // retentionDays: how long contacts live before TTL removes them
	AlarmEmail       string        // alarmEmail: optional address subscribed to the alarm topic
	IntakeAgeAlarm   time.Duration // intakeAgeAlarmSeconds: oldest intake message age that raises an alarm
	LogRetentionDays int           // logRetentionDays: how long function and access logs are kept
	LeaseSeconds     int           // leaseSeconds: how long a claim holds a contact for its agent
	HandleSeconds    int           // averageHandleSeconds: an agent's average time per contact, for wait estimates
	TemplateRefresh  time.Duration // templateRefreshSeconds: how often responders check the catalog for edits
}

// Defaults. The HTTP API's throttles and the functions' reserved concurrency come from topology.Capacity.
const (
	defaultStage            = "dev"
	defaultAssetDir         = "build"
	defaultIntakeAgeAlarm   = 300
	defaultLogRetentionDays = 30
)

// removedKeys are context keys the stack no longer reads, with what replaced them: a deploy that still sets one
// gets an error rather than a setting silently ignored.
var removedKeys = map[string]string{
	"throttleRate":  "the stage-wide throttle is gone: set apiRateQuota to the account's HTTP API quota, and each route gets its share (topology.RouteShares)",
	"throttleBurst": "the stage-wide throttle is gone: set apiBurstQuota to the account's HTTP API burst quota, and each route gets its share (topology.RouteShares)",
}

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
	for _, key := range slices.Sorted(maps.Keys(removedKeys)) {
		if v := node.TryGetContext(jsii.String(key)); v != nil {
			return config{}, fmt.Errorf("context %s: %s", key, removedKeys[key])
		}
	}
	capacity, err := topology.DefaultCapacity().With(func(key string) any { return node.TryGetContext(jsii.String(key)) })
	if err != nil {
		return config{}, err
	}
	c.Capacity = capacity
	ints := []struct {
		key      string
		def      int
		min, max int
		dst      *int
	}{
		{"retentionDays", topology.DefaultRetentionDays, 1, 3650, &c.RetentionDays},
		{"leaseSeconds", topology.DefaultLeaseSeconds, 30, int(humanqueue.MaxHold.Seconds()), &c.LeaseSeconds},
		{"averageHandleSeconds", topology.DefaultAverageHandleSeconds, 10, 3600, &c.HandleSeconds},
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

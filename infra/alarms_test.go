package main

import (
	"fmt"
	"strings"
	"testing"

	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

func TestAlarms(t *testing.T) {
	dev, prod := stages(t)
	targets := humanqueue.DefaultTargets()
	type want struct {
		name      string
		namespace string
		metric    string
		dimension string // a logical id or a literal the alarm's dimensions must carry
		threshold float64
		op        string
	}
	atLeast, above := "GreaterThanOrEqualToThreshold", "GreaterThanThreshold"
	wants := []want{
		{"intake DLQ has messages", "AWS/SQS", "ApproximateNumberOfMessagesVisible", topology.Intake.ID + "DLQ", 1, atLeast},
		{"schedule DLQ has messages", "AWS/SQS", "ApproximateNumberOfMessagesVisible", dev.logicalID(dev.Schedule.DLQ), 1, atLeast},
		{"intake oldest message", "AWS/SQS", "ApproximateAgeOfOldestMessage", topology.Intake.ID, dev.Config.IntakeAgeAlarm.Seconds(), above},
		{"responder errors", "AWS/Lambda", "Errors", dev.logicalID(dev.Functions[topology.ConsumerOf(topology.Intake.ID)]), 1, atLeast},
		{"responder throttles", "AWS/Lambda", "Throttles", dev.logicalID(dev.Functions[topology.ConsumerOf(topology.Intake.ID)]), 1, atLeast},
	}
	for _, p := range priority.All {
		wants = append(wants, want{p.String() + " wait past target", topology.MetricsNamespace, topology.MetricOldestWait, p.String(), targets[p].Seconds(), above})
	}
	if got := dev.Config.IntakeAgeAlarm.Seconds(); got != 300 {
		t.Errorf("default intake age threshold = %vs, want 300s", got)
	}
	alarms := dev.resources("AWS::CloudWatch::Alarm")
	topic := dev.logicalID(dev.Alarms.Topic)
	for _, w := range wants {
		t.Run(w.name, func(t *testing.T) {
			var found []resource
			for _, a := range alarms {
				p := a.Properties
				if p["Namespace"] == w.namespace && p["MetricName"] == w.metric && dimensionHas(p["Dimensions"], w.dimension) {
					found = append(found, a)
				}
			}
			if len(found) != 1 {
				t.Fatalf("alarms on %s %s for %s = %d, want 1", w.namespace, w.metric, w.dimension, len(found))
			}
			p := found[0].Properties
			if got := num(p["Threshold"]); got != w.threshold {
				t.Errorf("Threshold = %v, want %v", got, w.threshold)
			}
			if got := p["ComparisonOperator"]; got != w.op {
				t.Errorf("ComparisonOperator = %v, want %v", got, w.op)
			}
			if got, want := p["TreatMissingData"], "notBreaching"; got != want {
				t.Errorf("TreatMissingData = %v, want %v", got, want)
			}
			if !refersTo(p["AlarmActions"], topic) {
				t.Errorf("AlarmActions = %v, want the alarm topic", p["AlarmActions"])
			}
		})
	}
	for id, a := range alarms {
		if !refersTo(a.Properties["AlarmActions"], topic) {
			t.Errorf("alarm %s notifies %v, want the alarm topic", id, a.Properties["AlarmActions"])
		}
	}
	if got := len(dev.resources("AWS::SNS::Subscription")); got != 0 {
		t.Errorf("dev subscriptions = %d, want 0 without alarmEmail", got)
	}
	subs := prod.resources("AWS::SNS::Subscription")
	if got, want := len(subs), 1; got != want {
		t.Fatalf("prod subscriptions = %d, want %d with alarmEmail", got, want)
	}
	for _, s := range subs {
		if s.Properties["Protocol"] != "email" || s.Properties["Endpoint"] != prod.Config.AlarmEmail {
			t.Errorf("subscription = %v, want email to %s", s.Properties, prod.Config.AlarmEmail)
		}
	}
}

func dimensionHas(dims any, want string) bool {
	for _, d := range asSlice(dims) {
		v := asMap(d)["Value"]
		if v == want || refersTo(v, want) {
			return true
		}
	}
	return false
}

func TestDashboardShowsTheFigures(t *testing.T) {
	dev, _ := stages(t)
	dashboards := dev.resources("AWS::CloudWatch::Dashboard")
	if got, want := len(dashboards), 1; got != want {
		t.Fatalf("dashboards = %d, want %d", got, want)
	}
	for _, d := range dashboards {
		body := js(d.Properties["DashboardBody"])
		for _, want := range []string{
			"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
			topology.MetricAnswered, topology.MetricQueued, "FILL(answered, 0)", "FILL(unhelpful, 0)",
			topology.MetricUnhelpful, topology.MetricRating,
			topology.MetricQueueDepth, topology.MetricOldestWait,
			"ConcurrentExecutions", "Errors", "Throttles", "Duration",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("dashboard does not show %s", want)
			}
		}
		for _, p := range priority.All {
			if !strings.Contains(body, fmt.Sprintf(`\"%s\",\"%s\"`, topology.DimensionPriority, p)) {
				t.Errorf("dashboard has no %s series for priority %s", topology.DimensionPriority, p)
			}
		}
	}
}

package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"breakwater/shared/humanqueue"
	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// autoAnswerRate is the share of triaged contacts the responder answered from a template, in percent, from the
// responder's EMF counters: answered / (answered + declined + queued at every priority). Declined off-topic
// questions are shown apart (declineRate): they take no agent's time, but they are not answers.
func autoAnswerRate() awscloudwatch.MathExpression {
	return rateOf("answered", "Auto-answered %")
}

// declineRate is the share of triaged contacts the bot declined as off-topic, in percent.
func declineRate() awscloudwatch.MathExpression {
	return rateOf("declined", "Declined as off-topic %")
}

// rateOf is 100 * the named responder counter / every triaged contact.
func rateOf(of, label string) awscloudwatch.MathExpression {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	using := map[string]awscloudwatch.IMetric{
		"answered": awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(topology.MetricsNamespace), MetricName: jsii.String(topology.MetricAnswered),
			Statistic: jsii.String("Sum"), Period: minute,
		}),
		"declined": awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(topology.MetricsNamespace), MetricName: jsii.String(topology.MetricDeclined),
			Statistic: jsii.String("Sum"), Period: minute,
		}),
	}
	var queued []string
	for _, p := range priority.All {
		id := "queued" + p.String()
		using[id] = humanQueueMetric(topology.MetricQueued, p, "Sum")
		queued = append(queued, "FILL("+id+", 0)")
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(fmt.Sprintf("100 * FILL(%s, 0) / (FILL(answered, 0) + FILL(declined, 0) + %s)", of, strings.Join(queued, " + "))),
		UsingMetrics: &using,
		Label:        jsii.String(label),
		Period:       minute,
	})
}

// newDashboard shows, top to bottom, what an on-call engineer asks at the peak: is intake keeping up, how much
// the bot answers, who is waiting for a person, and whether the functions are healthy.
func newDashboard(scope constructs.Construct, cfg config, in *intake, fns functions, al *alarms) awscloudwatch.Dashboard {
	minute := awscdk.Duration_Minutes(jsii.Number(1))
	maxPerMinute := &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: minute}
	sumPerMinute := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: minute}
	wide, half := jsii.Number(24), jsii.Number(12)

	graph := func(title string, width *float64, left []awscloudwatch.IMetric, right []awscloudwatch.IMetric, unit string) awscloudwatch.GraphWidget {
		props := &awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Width: width, Height: jsii.Number(6), Left: &left,
			LeftYAxis: &awscloudwatch.YAxisProps{Label: jsii.String(unit), Min: jsii.Number(0), ShowUnits: jsii.Bool(false)},
		}
		if len(right) > 0 {
			props.Right = &right
		}
		return awscloudwatch.NewGraphWidget(props)
	}

	var depth, wait []awscloudwatch.IMetric
	for _, p := range priority.All {
		depth = append(depth, humanQueueMetric(topology.MetricQueueDepth, p, "Maximum"))
		wait = append(wait, humanQueueMetric(topology.MetricOldestWait, p, "Maximum"))
	}
	var concurrency, errors, throttles, durations []awscloudwatch.IMetric
	for _, def := range topology.Functions {
		fn := fns[def.Name]
		label := &awscloudwatch.MetricOptions{Label: jsii.String(def.Name)}
		concurrency = append(concurrency, fn.Metric(jsii.String("ConcurrentExecutions"), maxPerMinute).With(label))
		errors = append(errors, fn.MetricErrors(sumPerMinute).With(label))
		throttles = append(throttles, fn.MetricThrottles(sumPerMinute).With(label))
		durations = append(durations, fn.MetricDuration(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: minute, Label: jsii.String(def.Name + " p99")}))
	}

	var alarmRows []interfacesawscloudwatch.IAlarmRef
	for _, a := range al.Alarms {
		alarmRows = append(alarmRows, a)
	}
	d := awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
	})
	d.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
		Title: jsii.String("Breakwater " + cfg.Stage + " alarms"), Alarms: &alarmRows, Width: wide,
	}))
	d.AddWidgets(
		graph("Intake queue depth", half, []awscloudwatch.IMetric{
			in.Queue.MetricApproximateNumberOfMessagesVisible(maxPerMinute).With(&awscloudwatch.MetricOptions{Label: jsii.String("waiting")}),
			in.Queue.MetricApproximateNumberOfMessagesNotVisible(maxPerMinute).With(&awscloudwatch.MetricOptions{Label: jsii.String("in flight")}),
			in.DLQ.MetricApproximateNumberOfMessagesVisible(maxPerMinute).With(&awscloudwatch.MetricOptions{Label: jsii.String("dead-lettered")}),
		}, nil, "messages"),
		graph("Intake oldest message age", half, []awscloudwatch.IMetric{
			in.Queue.MetricApproximateAgeOfOldestMessage(maxPerMinute).With(&awscloudwatch.MetricOptions{Label: jsii.String("oldest")}),
		}, nil, "seconds"),
	)
	d.AddWidgets(graph("Auto-answer and off-topic decline rates", wide, []awscloudwatch.IMetric{autoAnswerRate(), declineRate()}, nil, "percent"))
	var targetLines []*awscloudwatch.HorizontalAnnotation
	targets := humanqueue.DefaultTargets()
	for _, p := range priority.All {
		targetLines = append(targetLines, &awscloudwatch.HorizontalAnnotation{
			Value: jsii.Number(targets[p].Seconds()), Label: jsii.String(p.String() + " target"),
		})
	}
	waitWidget := awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String("Human queue oldest wait"), Width: half, Height: jsii.Number(6), Left: &wait,
		LeftYAxis:       &awscloudwatch.YAxisProps{Label: jsii.String("seconds"), Min: jsii.Number(0), ShowUnits: jsii.Bool(false)},
		LeftAnnotations: &targetLines,
	})
	d.AddWidgets(graph("Human queue depth", half, depth, nil, "contacts"), waitWidget)
	d.AddWidgets(
		graph("Lambda concurrency", half, concurrency, nil, "executions"),
		graph("Lambda duration", half, durations, nil, "ms"),
	)
	d.AddWidgets(
		graph("Lambda errors", half, errors, nil, "count"),
		graph("Lambda throttles", half, throttles, nil, "count"),
	)
	return d
}

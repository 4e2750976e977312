package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"breakwater/shared/aws/emf"
	"breakwater/shared/humanqueue"
	"breakwater/shared/topology"
)

// statser is the part of *dynamo.Contacts the metrics function uses.
type statser interface {
	GlobalStats(ctx context.Context, targets humanqueue.Targets) ([]humanqueue.Stats, error)
}

type handler struct {
	queues  statser
	targets humanqueue.Targets
	metrics *emf.Writer
}

// result is what an invocation reports, so a tester invoking it sees the figures it published.
type result struct {
	Queues []queueFigures `json:"queues"`
}

type queueFigures struct {
	Priority          string `json:"priority"`
	Depth             int    `json:"depth"`
	Claimed           int    `json:"claimed"`
	Overdue           int    `json:"overdue"`
	OldestWaitSeconds int    `json:"oldestWaitSeconds"`
}

// handle publishes each priority's depth and oldest wait across every tenant (the aging index), including
// contacts that no agent on shift can serve; the alarms on waits past target read these.
// The scheduled event's content does not matter.
func (h *handler) handle(ctx context.Context, _ any) (result, error) {
	stats, err := h.queues.GlobalStats(ctx, h.targets)
	if err != nil {
		return result{}, fmt.Errorf("read human queues: %w", err)
	}
	var res result
	var werr error
	for _, s := range stats {
		f := queueFigures{Priority: s.Priority.String(), Depth: s.Waiting, Claimed: s.Claimed, Overdue: s.Overdue, OldestWaitSeconds: int(s.OldestWait.Seconds())}
		res.Queues = append(res.Queues, f)
		dims := map[string]string{topology.DimensionPriority: f.Priority}
		werr = errors.Join(werr,
			h.metrics.Emit(dims, emf.Count, map[string]float64{topology.MetricQueueDepth: float64(f.Depth)}),
			h.metrics.Emit(dims, emf.Seconds, map[string]float64{topology.MetricOldestWait: float64(f.OldestWaitSeconds)}))
	}
	if werr != nil {
		return res, fmt.Errorf("publish queue metrics: %w", werr)
	}
	slog.InfoContext(ctx, "queue metrics published", "queues", len(res.Queues))
	return res, nil
}

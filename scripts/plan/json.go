package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"breakwater/scripts/plan/model"
	"breakwater/shared/priority"
)

// jsonPlan is what -json prints: the same findings as the text report.
type jsonPlan struct {
	Name        string              `json:"name"`
	Contacts    float64             `json:"contacts"`
	Messages    float64             `json:"messages"`
	TopMerchant float64             `json:"topMerchantShare"`
	Settings    map[string]setting  `json:"settings"`
	Binding     *model.Limit        `json:"binding,omitempty"`
	Limits      []jsonLimit         `json:"limits"`
	Peak        jsonPeak            `json:"peak"`
	Intake      jsonIntake          `json:"intake"`
	Queues      map[string]jsonWait `json:"queues"`
	Staffing    jsonStaffing        `json:"staffing"`
	Checklist   checklist           `json:"checklist"`
	Cost        jsonCost            `json:"cost"`
	Check       *jsonCheck          `json:"check,omitempty"`
}

type setting struct {
	Value  int    `json:"value"`
	Source string `json:"source"`
}

type jsonLimit struct {
	model.Limit
	Headroom float64 `json:"headroom"`
	Binds    bool    `json:"binds"`
}

type jsonPeak struct {
	At          float64            `json:"at"`
	Requests    map[string]float64 `json:"requests"`
	Concurrency map[string]float64 `json:"concurrency"`
	TableWRU    float64            `json:"tableWRU"`
	TableRRU    float64            `json:"tableRRU"`
	QueueWRU    float64            `json:"queueIndexWRU"`
	QueueRRU    float64            `json:"queueIndexRRU"`
	Partitions  []model.KeyLoad    `json:"partitions"`
}

type jsonIntake struct {
	PeakBacklog float64 `json:"peakBacklog"`
	MaxOldest   float64 `json:"maxOldestSeconds"`
	DrainedAt   float64 `json:"drainedAt"`
	Refused     float64 `json:"refused"`
}

type jsonWait struct {
	model.Waits
	TargetSeconds float64 `json:"targetSeconds"`
}

type jsonStaffing struct {
	Recommended int     `json:"recommended"`
	Simulated   int     `json:"simulated"`
	Margin      int     `json:"margin"`
	SteadyTotal int     `json:"erlangPerPriorityTotal"`
	OnShift     float64 `json:"onShift"`
	Why         string  `json:"why"`
}

type jsonCost struct {
	Lines      []model.CostLine `json:"lines"`
	PerMillion float64          `json:"perMillion"`
	Logs       model.CostLine   `json:"logs"`
	ThisRun    float64          `json:"thisRun"`
}

type jsonCheck struct {
	Pass     bool     `json:"pass"`
	Failures []string `json:"failures"`
	Warnings []string `json:"warnings,omitempty"`
}

func writeJSON(w io.Writer, p plan, o outcome) error {
	j := jsonPlan{Name: p.Name, Contacts: o.Contacts, Messages: o.Messages, TopMerchant: p.Workload.Tenants.Top(),
		Settings: map[string]setting{}, Queues: map[string]jsonWait{}, Checklist: o.List}
	for k, src := range p.Sources {
		v, _ := p.Stack.Capacity.Get(k)
		j.Settings[k] = setting{Value: v, Source: src}
	}
	if b, ok := o.Binding(); ok {
		j.Binding = &b
	}
	for _, l := range o.Limits {
		h := l.Headroom()
		if math.IsInf(h, 0) {
			h = -1
		}
		j.Limits = append(j.Limits, jsonLimit{Limit: l, Headroom: h, Binds: l.Binds()})
	}
	pk := o.peakLoad()
	j.Peak = jsonPeak{At: pk.T, Requests: pk.Routes, Concurrency: pk.Concurrency, TableWRU: pk.TableWRU, TableRRU: pk.TableRRU,
		QueueWRU: pk.QueueWRU, QueueRRU: pk.QueueRRU, Partitions: pk.Hot}
	r := o.Result
	j.Intake = jsonIntake{PeakBacklog: r.PeakBacklog, MaxOldest: r.MaxOldestAge, DrainedAt: r.DrainedAt, Refused: r.Refused}
	for _, pr := range priority.All {
		j.Queues[pr.String()] = jsonWait{Waits: r.Waits[pr], TargetSeconds: p.Sim.Targets[pr].Seconds()}
	}
	a := o.Advice
	j.Staffing = jsonStaffing{Recommended: a.Recommended, Simulated: a.Simulated, Margin: a.Margin, SteadyTotal: a.SteadyTotal, OnShift: o.Agents, Why: o.List.Staffing}
	total := model.Total(o.Cost)
	j.Cost = jsonCost{Lines: o.Cost, PerMillion: total, Logs: o.Logs, ThisRun: total * o.Contacts / 1e6}
	if p.Check {
		fails := o.failures()
		j.Check = &jsonCheck{Pass: len(fails) == 0, Failures: fails, Warnings: o.warnings()}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(j); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

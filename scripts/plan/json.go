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
	// Workload's switches: the push, the console's watch without it, the two write changes.
	Push   model.Push   `json:"push"`
	Watch  float64      `json:"watchSeconds"`
	Writes model.Writes `json:"writes"`
	Check  *jsonCheck   `json:"check,omitempty"`
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
	// Polls and re-reads by state, and the push's load (zero without it).
	PendingPolls float64        `json:"pendingPolls"`
	QueuedPolls  float64        `json:"queuedPolls"`
	ClaimedPolls float64        `json:"claimedPolls"`
	PokedPolls   float64        `json:"pokedPolls"`
	Rereads      float64        `json:"rereads"`
	PokedRereads float64        `json:"pokedRereads"`
	Push         model.PushLoad `json:"push"`
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
	// RequestsPerContact is HTTP requests by route, WSMessagesPerContact WebSocket messages by what sends them.
	RequestsPerContact   map[string]float64 `json:"requestsPerContact"`
	WSMessagesPerContact map[string]float64 `json:"wsMessagesPerContact"`
	ReadsPerContact      map[string]float64 `json:"readsPerContact"`
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
		QueueWRU: pk.QueueWRU, QueueRRU: pk.QueueRRU, Partitions: pk.Hot,
		PendingPolls: pk.PendingPolls, QueuedPolls: pk.QueuedPolls, ClaimedPolls: pk.ClaimedPolls, PokedPolls: pk.PokedPolls,
		Rereads: pk.Rereads, PokedRereads: pk.PokedRereads, Push: pk.Push}
	j.Push, j.Watch, j.Writes = p.Workload.Push, p.Workload.WatchSeconds, p.Workload.Writes
	r := o.Result
	j.Intake = jsonIntake{PeakBacklog: r.PeakBacklog, MaxOldest: r.MaxOldestAge, DrainedAt: r.DrainedAt, Refused: r.Refused}
	for _, pr := range priority.All {
		j.Queues[pr.String()] = jsonWait{Waits: r.Waits[pr], TargetSeconds: p.Sim.Targets[pr].Seconds()}
	}
	a := o.Advice
	j.Staffing = jsonStaffing{Recommended: a.Recommended, Simulated: a.Simulated, Margin: a.Margin, SteadyTotal: a.SteadyTotal, OnShift: o.Agents, Why: o.List.Staffing}
	total := model.Total(o.Cost)
	j.Cost = jsonCost{Lines: o.Cost, PerMillion: total, Logs: o.Logs, ThisRun: total * o.Contacts / 1e6,
		RequestsPerContact: perContact(o.Usage.Requests, o.Usage.Contacts), WSMessagesPerContact: perContact(o.Usage.WSMessages, o.Usage.Contacts),
		ReadsPerContact: perContact(o.Usage.Reads, o.Usage.Contacts)}
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

func perContact(m map[string]float64, contacts float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if contacts > 0 {
			out[k] = v / contacts
		}
	}
	return out
}

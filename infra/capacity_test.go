package main

import (
	"testing"

	"breakwater/shared/topology"
)

// TestReservedConcurrency: the responder reserves its event source's MaximumConcurrency and the agent function its
// share, so the intake's surge cannot starve either; the intake reserves nothing and takes the unreserved pool.
func TestReservedConcurrency(t *testing.T) {
	dev, prod := stages(t)
	for _, s := range []*synthesized{dev, prod} {
		reserved := 0
		for _, def := range topology.Functions {
			fn := s.resource(t, s.logicalID(s.Functions[def.Name]))
			got, set := fn.Properties["ReservedConcurrentExecutions"]
			want := s.Config.Capacity.Reserved(def.Name)
			switch {
			case want == 0 && set:
				t.Errorf("%s %s: ReservedConcurrentExecutions = %v, want none (the unreserved pool)", s.Config.Stage, def.Name, got)
			case want > 0 && num(got) != float64(want):
				t.Errorf("%s %s: ReservedConcurrentExecutions = %v, want %d", s.Config.Stage, def.Name, got, want)
			}
			reserved += want
		}
		if got := s.Config.Capacity.Reserved(topology.ConsumerOf(topology.Intake.ID)); got != s.Config.Capacity.MaxConcurrency {
			t.Errorf("%s: responder reserves %d, want its MaximumConcurrency %d", s.Config.Stage, got, s.Config.Capacity.MaxConcurrency)
		}
		if s.Config.Capacity.Reserved("agent") < topology.MinReserved || s.Config.Capacity.Reserved("intake") != 0 {
			t.Errorf("%s: agent reserves %d, intake %d: want the agent apart and the intake unreserved", s.Config.Stage, s.Config.Capacity.Reserved("agent"), s.Config.Capacity.Reserved("intake"))
		}
		if left := s.Config.Capacity.Concurrency - reserved; left < topology.MinUnreserved {
			t.Errorf("%s: %d left unreserved, Lambda refuses below %d", s.Config.Stage, left, topology.MinUnreserved)
		}
	}
}

// TestWarmThroughput: dev leaves DynamoDB's own; a stage deployed with warm* context pre-warms the Contacts table
// and each of its indexes, and never the catalog.
func TestWarmThroughput(t *testing.T) {
	dev, prod := stages(t)
	for id, tbl := range dev.resources("AWS::DynamoDB::Table") {
		if tbl.Properties["WarmThroughput"] != nil {
			t.Errorf("dev table %s: WarmThroughput = %v, want none", id, tbl.Properties["WarmThroughput"])
		}
	}
	cp := prod.Config.Capacity
	tbl := prod.resource(t, topology.Contacts.ID)
	w := asMap(tbl.Properties["WarmThroughput"])
	if num(w["WriteUnitsPerSecond"]) != float64(cp.WarmWrites) || w["ReadUnitsPerSecond"] != nil {
		t.Errorf("prod Contacts WarmThroughput = %v, want %d writes and reads left alone", w, cp.WarmWrites)
	}
	indexes := asSlice(tbl.Properties["GlobalSecondaryIndexes"])
	if len(indexes) != len(topology.Contacts.Indexes) {
		t.Fatalf("prod Contacts has %d indexes, want %d", len(indexes), len(topology.Contacts.Indexes))
	}
	for _, ix := range indexes {
		w := asMap(asMap(ix)["WarmThroughput"])
		if num(w["ReadUnitsPerSecond"]) != float64(cp.WarmIndexReads) || w["WriteUnitsPerSecond"] != nil {
			t.Errorf("prod index %v WarmThroughput = %v, want %d reads", asMap(ix)["IndexName"], w, cp.WarmIndexReads)
		}
	}
	if w := prod.resource(t, topology.Catalog.ID).Properties["WarmThroughput"]; w != nil {
		t.Errorf("prod Catalog WarmThroughput = %v, want none", w)
	}
}

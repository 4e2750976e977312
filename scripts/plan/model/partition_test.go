package model

import (
	"testing"

	"breakwater/shared/priority"
	"breakwater/shared/topology"
)

// double11 is scripts/plan/testdata/double11.json's peak with the stack pre-warmed past it, so that no contact is
// refused and every hand-off reaches the queues.
func double11() (Config, Workload, Stack) {
	c := DefaultConfig()
	c.Profile = Profile{{0, 0}, {10, 20000}, {40, 20000}, {50, 0}}
	c.Lambda.BatchMillis = 50
	c.Agents.Pooled = 300000 // enough to serve every hand-off as it comes: the queue index's busiest case
	c.Step = 5
	w := DefaultWorkload()
	r := priority.DefaultRules()
	w.Shards, w.PlatformShards = r.Shards, r.PlatformShards
	cp := topology.DefaultCapacity()
	cp.APIRate, cp.APIBurst, cp.Concurrency = 400000, 200000, 3000
	cp.WarmWrites, cp.WarmReads, cp.WarmIndexWrites, cp.WarmIndexReads = 200000, 200000, 20000, 20000
	return c, w, Stack{Capacity: cp, Memory: map[string]float64{FnIntake: 256, FnResponder: 512, FnAgent: 256}}
}

// TestPartitionArithmetic is the tenancy issue's arithmetic: at the Double 11 profile with its tenant mix, the
// busiest partition key value of each index takes at most PartitionWriteBudget writes a second with the default
// shard counts (priority.DefaultRules), and would not with one shard. go test -v prints the arithmetic.
func TestPartitionArithmetic(t *testing.T) {
	c, w, st := double11()
	worst := func(w Workload) map[string]Limit {
		a, err := Analyze(c, w, st)
		if err != nil {
			t.Fatal(err)
		}
		if a.Result.Refused > 0 {
			t.Fatalf("%.0f contacts refused: the test wants every hand-off queued", a.Result.Refused)
		}
		out := map[string]Limit{}
		for _, l := range a.Limits {
			if l.Unit != "WCU/s" {
				continue
			}
			for _, where := range []string{"queue index", "aging index", "table"} {
				if len(l.Name) > len(where) && l.Name[:len(where)] == where && l.Peak > out[where].Peak {
					out[where] = l
				}
			}
		}
		return out
	}
	got := worst(w)
	for _, where := range []string{"queue index", "aging index", "table"} {
		l, ok := got[where]
		if !ok {
			t.Fatalf("no partition writes on the %s", where)
		}
		t.Logf("%s: %s: %.0f WCU/s at %.0fs\n    %s", where, l.Name, l.Peak, l.PeakAt, l.Why)
	}
	for _, where := range []string{"queue index", "aging index"} {
		if l := got[where]; l.Peak > PartitionWriteBudget {
			t.Errorf("%s: %.0f writes/s on one key value, over the budget of %d (%s)", where, l.Peak, PartitionWriteBudget, l.Why)
		}
	}
	// The staffing notes (table items T#tenant#minute#shard) are billed by their size, which grows with the
	// tenant's agents: the plan reports them as a code limit that only degrades estimates.
	if l := got["table"]; l.Severity != Degrades {
		t.Errorf("staffing notes' severity = %q, want %q (recordActivity is best effort)", l.Severity, Degrades)
	}

	one := w
	one.Shards, one.PlatformShards = 1, 1
	if l := worst(one)["queue index"]; l.Peak <= PartitionWriteBudget {
		t.Errorf("with one shard the queue index takes %.0f writes/s on one key value: the default shards would not be needed", l.Peak)
	}
}
